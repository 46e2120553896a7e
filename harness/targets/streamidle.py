"""The reference fix with a read timeout of 1 s on its Codex client: a stream that goes silent
for longer ends in ``ReadTimeout`` after about a second, as a client that watches its streams
gives up (hermes-agent 21444, 32370, 90449: a first-byte and an idle watchdog). Every other
endpoint keeps the reference's client as it is. Right under
``--harness-stream-idle 1``; under the default (``off``: a silence must be waited out) it fails
the rows whose stream goes silent."""

from __future__ import annotations

import openai

from harness.targets import reference

#: Seconds without a byte after which a read gives up; connecting and writing keep the SDK's.
READ_TIMEOUT = 1.0


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    client = reference.factory(provider, base_url, api_key, async_client=async_client)
    if not reference.is_codex_backend(provider, base_url):
        return client
    # openai's own Timeout: httpx's under openai 2.x, httpx2's under 3.x; the SDK's default
    # for the rest (a 5 s connect: a 60 s one waits out a blackholed IPv6 address past the
    # deadline, which is not the defect this factory stands for)
    default = openai.DEFAULT_TIMEOUT
    return client.with_options(
        timeout=openai.Timeout(
            connect=default.connect, read=READ_TIMEOUT, write=default.write, pool=default.pool
        )
    )
