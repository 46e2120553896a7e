"""One process-wide keepalive HTTP client shared by every provider, created on the first call
(as libraries that keep a module-level client do): Codex gets it too, so it earns exactly the
regressed factory's verdict, the direct Codex cases and only those, in any case order."""

from __future__ import annotations

import httpx
import openai

from harness.targets.keepalive import keepalive_client

_shared: dict[bool, httpx.Client | httpx.AsyncClient] = {}


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    if async_client not in _shared:
        _shared[async_client] = keepalive_client(base_url, async_client=async_client)
    http_client = _shared[async_client]
    if async_client:
        return openai.AsyncOpenAI(api_key=api_key, base_url=base_url, http_client=http_client)  # type: ignore[arg-type]
    return openai.OpenAI(api_key=api_key, base_url=base_url, http_client=http_client)  # type: ignore[arg-type]
