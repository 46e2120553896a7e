"""The reported bug: the keepalive client is injected for every endpoint, Codex included."""

from __future__ import annotations

import openai

from harness.targets.keepalive import keepalive_client


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    http_client = keepalive_client(base_url, async_client=async_client)
    if async_client:
        return openai.AsyncOpenAI(api_key=api_key, base_url=base_url, http_client=http_client)  # type: ignore[arg-type]
    return openai.OpenAI(api_key=api_key, base_url=base_url, http_client=http_client)  # type: ignore[arg-type]
