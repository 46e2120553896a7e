"""The SDK's own default client for every endpoint, as ``openai.OpenAI(...)`` builds it.

The harness measures the ClientHello a Codex client must present from this factory, in a
scenario process like any other, so the comparison uses this machine's OpenSSL, Python and httpx,
never an assumed fingerprint.
"""

from __future__ import annotations

import openai


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    client = openai.AsyncOpenAI if async_client else openai.OpenAI
    return client(api_key=api_key, base_url=base_url)
