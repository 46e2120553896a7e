"""What the client got, classified by what happened on the wire, never by exception class names.

An HTTP status, or an errno found anywhere down the exception chain: openai 3.x raises
httpx2/httpcore2 classes and httpcore re-raises with ``from None``, so the errno may sit in
``__context__`` only. Outcomes cross from the scenario's process to the judge as JSON.
"""

from __future__ import annotations

import errno as errno_module
import json
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    """What the client got: an HTTP status and body, or a failure cause (an errno name)."""

    status: int | None = None
    body: Any = None
    events: tuple[str, ...] = ()
    cause: str | None = None
    error: str | None = None
    #: How long the call took, in the scenario's process (None: not measured).
    seconds: float | None = None
    #: For a stream that failed once open: how long the client had received nothing (since the
    #: headers or the last event) when it gave up (None: no stream was open).
    idle_seconds: float | None = None
    #: ``time.monotonic()`` when the call began in the scenario's process (the machine's clock:
    #: the origins' accept times are compared with it to tell how long connecting took).
    started_at: float | None = None

    @property
    def reached(self) -> bool:
        return self.status is not None

    def describe(self) -> str:
        if self.reached:
            shown = " ".join(self.events) if self.events else json.dumps(self.body)[:120]
            return f"{self.status} {shown}"
        return f"{self.cause}: {self.error}"

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "body": self.body,
            "events": list(self.events),
            "cause": self.cause,
            "error": self.error,
            "seconds": self.seconds,
            "idle_seconds": self.idle_seconds,
            "started_at": self.started_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        return cls(
            data.get("status"),
            data.get("body"),
            tuple(data.get("events") or ()),
            data.get("cause"),
            data.get("error"),
            data.get("seconds"),
            data.get("idle_seconds"),
            data.get("started_at"),
        )


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
