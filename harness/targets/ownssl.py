"""A Codex client with an SSL context of its own (hermes-agent 72928: an explicitly built
``httpx.Client`` for Codex draws the edge's challenge where the SDK's default transport does not).

The split is right and the context trusts the same CA bundle, but it caps TLS at 1.2 and narrows
the cipher list, so its ClientHello, and the JA4 an edge fingerprints, differ from the SDK
default client's. Every other endpoint gets the reference fix's keepalive client.
"""

from __future__ import annotations

import httpx
import openai

from harness.targets import reference
from harness.variants import own_ssl_context


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    if not reference.is_codex_backend(provider, base_url):
        return reference.factory(provider, base_url, api_key, async_client=async_client)
    headers = reference.codex_identity_headers(api_key)
    if async_client:
        return openai.AsyncOpenAI(
            api_key=api_key,
            base_url=base_url,
            default_headers=headers,
            http_client=httpx.AsyncClient(verify=own_ssl_context()),
        )
    return openai.OpenAI(
        api_key=api_key,
        base_url=base_url,
        default_headers=headers,
        http_client=httpx.Client(verify=own_ssl_context()),
    )
