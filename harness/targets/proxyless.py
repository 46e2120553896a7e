"""The proxy twin of the bug (hermes-agent 11609): the Codex split is right, but the keepalive
transport drops env proxies, because ``httpx.Client(transport=...)`` never reads them."""

from __future__ import annotations

import httpx
import openai

from harness.targets.keepalive import keepalive_socket_options
from harness.targets.reference import codex_client, is_codex_backend


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    if is_codex_backend(provider, base_url):
        return codex_client(base_url, api_key, async_client=async_client)
    options = keepalive_socket_options()
    if async_client:
        transport = httpx.AsyncHTTPTransport(socket_options=options)
        return openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, http_client=httpx.AsyncClient(transport=transport)
        )
    client = httpx.Client(transport=httpx.HTTPTransport(socket_options=options))
    return openai.OpenAI(api_key=api_key, base_url=base_url, http_client=client)
