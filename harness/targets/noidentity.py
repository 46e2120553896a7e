"""The split is right, but the Codex client sends none of the identity headers (hermes-agent
5169, 6385, 2176 before 12664): the SDK's default User-Agent, no ``originator``, no
``ChatGPT-Account-ID``. The Codex edge answers it with its JavaScript challenge, 403
``cf-mitigated: challenge``, from a server address; everything else is the reference fix."""

from __future__ import annotations

import openai

from harness.targets import reference


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    if reference.is_codex_backend(provider, base_url):
        return reference.codex_client(base_url, api_key, async_client=async_client, identity=False)
    return reference.factory(provider, base_url, api_key, async_client=async_client)
