"""The calls a scenario makes with the client under test, sync and async."""

from __future__ import annotations

import dataclasses
import time
from enum import Enum
from typing import Any

from harness.sandbox.outcomes import Outcome, classify

API_KEY = "harness-test-key"
REPORT_PAYLOAD: dict[str, Any] = {
    "model": "gpt-5.4",
    "instructions": "Say hello",
    "input": "hello",
    "stream": True,
    "store": False,
}
CHAT_REQUEST: dict[str, Any] = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "hello"}],
}


class Call(str, Enum):
    """What the scenario asks of the client."""

    REPORT = "report"  # the reporter's Responses payload (string input)
    STREAM = "stream"  # Responses with list input, streamed
    MODELS = "models"
    CHAT = "chat"


def _responses_payload(call: Call) -> dict[str, Any]:
    if call is Call.STREAM:
        return dict(REPORT_PAYLOAD, input=[{"role": "user", "content": "hello"}])
    return dict(REPORT_PAYLOAD)


class _Idle:
    """When the client last received something of a stream (its headers, then each event), so
    a failure can say how long the client bore a silence before it gave up."""

    def __init__(self) -> None:
        self.last: float | None = None

    def touch(self) -> None:
        self.last = time.perf_counter()

    def failed(self, outcome: Outcome) -> Outcome:
        if self.last is None:
            return outcome
        return dataclasses.replace(outcome, idle_seconds=round(time.perf_counter() - self.last, 3))


def sync_call(client: Any, call: Call) -> Outcome:
    idle = _Idle()
    try:
        if call in (Call.REPORT, Call.STREAM):
            with client.responses.create(**_responses_payload(call)) as stream:
                idle.touch()
                events = []
                for event in stream:
                    idle.touch()
                    events.append(event.type)
                return Outcome(status=200, events=tuple(events))
        if call is Call.MODELS:
            return Outcome(status=200, body=[model.id for model in client.models.list().data])
        completion = client.chat.completions.create(**CHAT_REQUEST)
        return Outcome(status=200, body=completion.choices[0].message.content)
    except Exception as exc:
        return idle.failed(classify(exc))


async def async_call(client: Any, call: Call) -> Outcome:
    idle = _Idle()
    try:
        if call in (Call.REPORT, Call.STREAM):
            async with await client.responses.create(**_responses_payload(call)) as stream:
                idle.touch()
                events = []
                async for event in stream:
                    idle.touch()
                    events.append(event.type)
                return Outcome(status=200, events=tuple(events))
        if call is Call.MODELS:
            page = await client.models.list()
            return Outcome(status=200, body=[model.id for model in page.data])
        completion = await client.chat.completions.create(**CHAT_REQUEST)
        return Outcome(status=200, body=completion.choices[0].message.content)
    except Exception as exc:
        return idle.failed(classify(exc))
