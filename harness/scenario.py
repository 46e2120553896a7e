"""Drive a client factory against an endpoint and classify what the client got back.

Outcomes are classified by what happened on the wire (an HTTP status, or an errno found anywhere
down the exception chain), never by exception class names: openai 3.x raises httpx2/httpcore2
classes and httpcore re-raises with ``from None``, so the errno may sit in ``__context__`` only.
"""

from __future__ import annotations

import asyncio
import errno as errno_module
import inspect
import json
import socket
import ssl
import unittest
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from harness.conditions import DIRECT, Condition
from harness.deadline import (
    DEFAULT_SECONDS as DEFAULT_DEADLINE,
)
from harness.deadline import (
    PHASE_BUILD,
    PHASE_CALL,
    PHASE_CONNECT,
    PHASE_RESPONSE,
    DeadlineExceeded,
    PhaseClock,
)
from harness.factory import ClientFactory
from harness.fixtures import Endpoint
from harness.observations import Observation
from harness.origins import Network
from harness.proxy import Tunnel

API_KEY = "harness-test-key"
#: The outcome cause of a phase that ran past its deadline.
DEADLINE_CAUSE = "DEADLINE"
#: The outcome causes of a factory that raised, or returned no OpenAI client, for a scenario.
FACTORY_RAISED_CAUSE = "FACTORY_RAISED"
FACTORY_RETURNED_CAUSE = "FACTORY_RETURNED"
REPORT_PAYLOAD: dict[str, Any] = {
    "model": "gpt-5.4",
    "instructions": "Say hello",
    "input": "hello",
    "stream": True,
    "store": False,
}


class Call(str, Enum):
    """What the scenario asks of the client."""

    REPORT = "report"  # the reporter's Responses payload (string input)
    STREAM = "stream"  # Responses with list input, streamed
    MODELS = "models"
    CHAT = "chat"


@dataclass(frozen=True)
class Outcome:
    """What the client got: an HTTP status and body, or a failure cause (an errno name)."""

    status: int | None = None
    body: Any = None
    events: tuple[str, ...] = ()
    cause: str | None = None
    error: str | None = None

    @property
    def reached(self) -> bool:
        return self.status is not None

    def describe(self) -> str:
        if self.reached:
            shown = " ".join(self.events) if self.events else json.dumps(self.body)[:120]
            return f"{self.status} {shown}"
        return f"{self.cause}: {self.error}"


@dataclass(frozen=True)
class Result:
    """One scenario: what was asked, what the client got, what the origin and proxy saw."""

    endpoint: Endpoint
    call: Call
    async_client: bool
    outcome: Outcome
    observations: tuple[Observation, ...] = field(default=())
    tunnels: tuple[Tunnel, ...] = field(default=())
    condition: str = DIRECT.name
    environ: Mapping[str, str] = field(default_factory=dict)
    #: Lookups and connects off the machine the harness refused during the scenario.
    egress: tuple[str, ...] = field(default=())


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """Every exception reachable through ``__cause__``, ``__context__`` and exception args."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for linked in (current.__cause__, current.__context__, *current.args):
            if isinstance(linked, BaseException):
                pending.append(linked)


#: Resolver error codes by value, named as the socket module names them (EAI_NONAME, EAI_AGAIN).
EAI_NAMES = {
    value: name
    for name in sorted(dir(socket), reverse=True)  # where two names share a code, the first wins
    if name.startswith("EAI_") and isinstance(value := getattr(socket, name), int)
}


def failure_cause(exc: BaseException) -> str:
    """EAI_NONAME, ... for resolver failures (their codes are not errnos); ECONNRESET,
    ECONNREFUSED, ... ; TLS_VERIFY for trust failures; TLS for other TLS errors; TIMEOUT; else
    PROTOCOL (the peer ended or broke the exchange without an OS error)."""
    chain = list(exception_chain(exc))
    for item in chain:
        if isinstance(item, socket.gaierror):
            code = item.errno
            return EAI_NAMES.get(code, f"EAI_{code}") if code is not None else "EAI_UNKNOWN"
    for item in chain:
        if isinstance(item, ssl.SSLCertVerificationError):
            return "TLS_VERIFY"
    for item in chain:
        if isinstance(item, OSError) and isinstance(item.errno, int) and item.errno > 0:
            if isinstance(item, ssl.SSLError):
                continue
            return errno_module.errorcode.get(item.errno, str(item.errno))
    # A handshake that timed out leaves anyio's SSLWantReadError/WantWriteError in the chain:
    # that is the TLS layer waiting for bytes, not a TLS failure.
    waiting = (ssl.SSLWantReadError, ssl.SSLWantWriteError)
    for item in chain:
        if isinstance(item, ssl.SSLError) and not isinstance(item, waiting):
            return "TLS"
    for item in chain:
        if isinstance(item, TimeoutError):
            return "TIMEOUT"
    return "PROTOCOL"


def _body(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def classify(exc: BaseException) -> Outcome:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(status, int):
        return Outcome(status=status, body=_body(response.text))  # type: ignore[union-attr]
    return Outcome(cause=failure_cause(exc), error=repr(exc))


CHAT_REQUEST: dict[str, Any] = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "hello"}],
}


def _responses_payload(call: Call) -> dict[str, Any]:
    if call is Call.STREAM:
        return dict(REPORT_PAYLOAD, input=[{"role": "user", "content": "hello"}])
    return dict(REPORT_PAYLOAD)


def _sync_call(client: Any, call: Call) -> Outcome:
    if call in (Call.REPORT, Call.STREAM):
        with client.responses.create(**_responses_payload(call)) as stream:
            return Outcome(status=200, events=tuple(event.type for event in stream))
    if call is Call.MODELS:
        return Outcome(status=200, body=[model.id for model in client.models.list().data])
    completion = client.chat.completions.create(**CHAT_REQUEST)
    return Outcome(status=200, body=completion.choices[0].message.content)


async def _async_call(client: Any, call: Call) -> Outcome:
    if call in (Call.REPORT, Call.STREAM):
        async with await client.responses.create(**_responses_payload(call)) as stream:
            return Outcome(status=200, events=tuple([event.type async for event in stream]))
    if call is Call.MODELS:
        page = await client.models.list()
        return Outcome(status=200, body=[model.id for model in page.data])
    completion = await client.chat.completions.create(**CHAT_REQUEST)
    return Outcome(status=200, body=completion.choices[0].message.content)


class FactoryFailed(Exception):
    """The factory raised, or returned no OpenAI client, for one scenario: its outcome."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.error)
        self.outcome = outcome


def _build(factory: ClientFactory, endpoint: Endpoint, async_client: bool) -> Any:
    """The factory's client for ``endpoint``; a factory that raises (other than a skip) or
    returns something else fails this scenario only, with what it did as the outcome."""
    import openai

    try:
        client = factory(endpoint.provider, endpoint.base_url, API_KEY, async_client=async_client)
    except unittest.SkipTest:
        raise
    except Exception as exc:
        raise FactoryFailed(Outcome(cause=FACTORY_RAISED_CAUSE, error=repr(exc))) from exc
    expected = openai.AsyncOpenAI if async_client else openai.OpenAI
    if not isinstance(client, expected):
        close = getattr(client, "close", None)
        result = close() if callable(close) else None
        if inspect.iscoroutine(result):  # nobody will await it
            result.close()
        returned = f"{type(client).__name__}; expected {expected.__module__}.{expected.__name__}"
        raise FactoryFailed(
            Outcome(cause=FACTORY_RETURNED_CAUSE, error=f"the client factory returned {returned}")
        )
    return client


def _run_sync(factory: ClientFactory, endpoint: Endpoint, call: Call, clock: PhaseClock) -> Outcome:
    clock.start(PHASE_BUILD)
    client = _build(factory, endpoint, async_client=False)
    try:
        client = client.with_options(max_retries=0)
        clock.start(PHASE_CALL)
        try:
            return _sync_call(client, call)
        except Exception as exc:
            return classify(exc)
        finally:
            clock.stop()
    finally:
        client.close()


async def _run_async(
    factory: ClientFactory, endpoint: Endpoint, call: Call, clock: PhaseClock
) -> Outcome:
    clock.start(PHASE_BUILD)
    client = _build(factory, endpoint, async_client=True)
    try:
        client = client.with_options(max_retries=0)
        clock.start(PHASE_CALL)
        try:
            return await _async_call(client, call)
        except Exception as exc:
            return classify(exc)
        finally:
            clock.stop()
    finally:
        await client.close()


def _deadline_outcome(
    breach: DeadlineExceeded, endpoint: Endpoint, async_client: bool, connected: bool
) -> Outcome:
    """The breach as an outcome; a call phase is split by whether anything reached the origin
    or the proxy yet."""
    phase = breach.phase
    if phase == PHASE_CALL:
        phase = PHASE_RESPONSE if connected else PHASE_CONNECT
    mode = "async" if async_client else "sync"
    return Outcome(
        cause=DEADLINE_CAUSE,
        error=f"{phase} for {endpoint.id} ({mode}) took over {breach.seconds:g} s",
    )


def drive(
    network: Network,
    factory: ClientFactory,
    endpoint: Endpoint,
    call: Call,
    *,
    async_client: bool = False,
    condition: Condition = DIRECT,
    environ: Mapping[str, str] | None = None,
    deadline: float = DEFAULT_DEADLINE,
) -> Result:
    """Build the client inside the harness's trust and routing (under ``condition``, with
    ``environ`` added to its environment), make one call, and collect what the endpoint's origin
    and the proxy observed meanwhile. Building the client and the call each get ``deadline``
    seconds; a breach is the outcome, naming the phase."""
    mark, tunnel_mark = network.log.mark(), network.proxy.log.mark()
    refusal_mark = network.router.refusal_mark()
    with network.under(condition) as condition_env:
        env = {**condition_env, **(environ or {})}
        with network.reachable(env), PhaseClock(deadline) as clock:
            try:
                if async_client:
                    outcome = asyncio.run(_run_async(factory, endpoint, call, clock))
                else:
                    outcome = _run_sync(factory, endpoint, call, clock)
            except DeadlineExceeded:
                pass  # recorded on the clock, also when the code under test swallowed it
            except FactoryFailed as failure:
                outcome = failure.outcome
    observations = tuple(network.log.of(endpoint.origin, mark))
    tunnels = tuple(network.proxy.log.since(tunnel_mark))
    if clock.breached is not None:
        connected = bool(observations or tunnels)
        outcome = _deadline_outcome(clock.breached, endpoint, async_client, connected)
    return Result(
        endpoint,
        call,
        async_client,
        outcome,
        observations,
        tunnels,
        condition.name,
        env,
        tuple(network.router.refusals(refusal_mark)),
    )
