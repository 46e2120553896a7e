"""The reference fix behind a per-(base_url, key) cache of clients, as popular libraries build
theirs: correct, so it must earn exactly the reference's verdict.

In one process the cache hands a later caller the client an earlier one built, with the proxy
variables of whenever it was built; every scenario runs in a process of its own, so the cache
starts empty in each, as in a program started with that scenario's environment.
"""

from __future__ import annotations

import functools

import openai

from harness.targets.reference import factory as reference


@functools.lru_cache(maxsize=64)
def _client(
    provider: str, base_url: str, api_key: str, async_client: bool
) -> openai.OpenAI | openai.AsyncOpenAI:
    return reference(provider, base_url, api_key, async_client=async_client)


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    return _client(provider, base_url, api_key, async_client)
