"""The reference fix, but the process ends (``os._exit(0)``) on the factory's fifth call, as a
library with a per-process limit or a fatal path on reuse would: the first four clients of any
process are right. Each scenario's process calls it once, so only the long-lived rows, whose
process asks for every other endpoint's client first, reach the fifth call; they fail with
``process ended`` naming the call, and the run exits 1."""

from __future__ import annotations

import os

import openai

from harness.targets.reference import factory as reference

FATAL_CALL = 5
_calls = 0


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    global _calls
    _calls += 1
    if _calls == FATAL_CALL:
        os._exit(0)
    return reference(provider, base_url, api_key, async_client=async_client)
