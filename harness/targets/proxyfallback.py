"""A client that hides a refusing proxy (hermes-agent 14451, 14966): the reference fix, except
that when the proxy refuses the tunnel its keepalive client retries the request directly.

On a network where direct connections work the call then succeeds and nobody learns that the
proxy denies the endpoint; where they do not, it fails with a connect error that names neither
the proxy nor its refusal. A forwarded plain-HTTP request is refused with an ordinary reply, so
only tunnels (https endpoints) fall back.
"""

from __future__ import annotations

import httpx
import openai

from harness.targets.keepalive import env_proxy_for, keepalive_socket_options
from harness.targets.reference import codex_client, is_codex_backend


class DirectFallback(httpx.BaseTransport):
    """The proxy's transport first; on a :class:`httpx.ProxyError`, a direct one."""

    def __init__(self, proxy: str | None) -> None:
        options = keepalive_socket_options()
        self.proxied = httpx.HTTPTransport(socket_options=options, proxy=proxy)
        self.direct = httpx.HTTPTransport(socket_options=options)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return self.proxied.handle_request(request)
        except httpx.ProxyError:
            return self.direct.handle_request(request)

    def close(self) -> None:
        self.proxied.close()
        self.direct.close()


class AsyncDirectFallback(httpx.AsyncBaseTransport):
    """:class:`DirectFallback` for async clients."""

    def __init__(self, proxy: str | None) -> None:
        options = keepalive_socket_options()
        self.proxied = httpx.AsyncHTTPTransport(socket_options=options, proxy=proxy)
        self.direct = httpx.AsyncHTTPTransport(socket_options=options)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self.proxied.handle_async_request(request)
        except httpx.ProxyError:
            return await self.direct.handle_async_request(request)

    async def aclose(self) -> None:
        await self.proxied.aclose()
        await self.direct.aclose()


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    if is_codex_backend(provider, base_url):
        return codex_client(base_url, api_key, async_client=async_client)
    proxy = env_proxy_for(base_url)
    if async_client:
        http_client = httpx.AsyncClient(transport=AsyncDirectFallback(proxy))
        return openai.AsyncOpenAI(api_key=api_key, base_url=base_url, http_client=http_client)
    client = httpx.Client(transport=DirectFallback(proxy))
    return openai.OpenAI(api_key=api_key, base_url=base_url, http_client=client)
