"""Two construction paths, as an agent with side tasks has (hermes-agent 22207): the main
conversation client (:func:`factory`) sends the Codex identity headers, the auxiliary client for
side tasks such as vision (:func:`auxiliary`) is built by a helper of its own that forgets them.
Judged one path at a time, the main path passes everything and the auxiliary one draws the Codex
edge's identity challenge."""

from __future__ import annotations

import openai

from harness.targets import noidentity, reference


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    """The main conversation client: the reference fix."""
    return reference.factory(provider, base_url, api_key, async_client=async_client)


def auxiliary(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    """The side-task client: the same split, its own Codex client without the headers
    (:mod:`harness.targets.noidentity`)."""
    return noidentity.factory(provider, base_url, api_key, async_client=async_client)
