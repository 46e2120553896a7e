"""The reference fix, except that building a client for openrouter.ai ends the process with exit
code 0 (a library that calls ``os._exit`` on a configuration it cannot handle): the OpenRouter cases
must fail, naming how the process ended, and the run must not exit 0."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import openai

from harness.targets.reference import factory as reference


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    if urlsplit(base_url).hostname == "openrouter.ai":
        os._exit(0)
    return reference(provider, base_url, api_key, async_client=async_client)
