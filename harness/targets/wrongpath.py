"""The right split, but the client is pointed at the root of the endpoint's host (a base URL
joined with an absolute path drops it): the origins still serve the replies, so only judging
where each request went catches it, and every case fails ``wrong path``."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import openai

from harness.targets.reference import build


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    client = build(provider, base_url, api_key, async_client=async_client)
    parts = urlsplit(base_url)
    root = urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
    return client.with_options(base_url=root)
