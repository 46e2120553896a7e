"""The reference fix built under the factory's own SIGALRM timeout (as library timeouts do):
correct, so it must pass everything; the harness's deadline no longer uses SIGALRM, so the
factory's timer and handler work as in any program and cannot defeat the deadline."""

from __future__ import annotations

import signal
from types import FrameType

import openai

from harness.targets.reference import factory as reference

TIMEOUT_SECONDS = 5.0


class BuildTimeout(Exception):
    pass


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise BuildTimeout(f"building took over {TIMEOUT_SECONDS:g} s")


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT_SECONDS)
    try:
        return reference(provider, base_url, api_key, async_client=async_client)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
