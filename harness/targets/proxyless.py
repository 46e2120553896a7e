"""The proxy twin of the bug (hermes-agent 11609): the Codex split is right, but the keepalive
transport drops env proxies, because ``httpx.Client(transport=...)`` never reads them."""

from __future__ import annotations

import httpx
import openai

from harness.targets.keepalive import keepalive_socket_options
from harness.targets.reference import is_codex_backend


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    options = keepalive_socket_options()
    if async_client:
        if is_codex_backend(provider, base_url):
            return openai.AsyncOpenAI(api_key=api_key, base_url=base_url)
        transport = httpx.AsyncHTTPTransport(socket_options=options)
        return openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, http_client=httpx.AsyncClient(transport=transport)
        )
    if is_codex_backend(provider, base_url):
        return openai.OpenAI(api_key=api_key, base_url=base_url)
    client = httpx.Client(transport=httpx.HTTPTransport(socket_options=options))
    return openai.OpenAI(api_key=api_key, base_url=base_url, http_client=client)
