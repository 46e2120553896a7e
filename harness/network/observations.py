"""Observation records: what an origin saw of each connection, for tests to assert on."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Generic, TypeVar

from harness.network.address import Address
from harness.network.faults import done
from harness.network.kernel import KeepaliveState

T = TypeVar("T")


@dataclass(frozen=True)
class Observation:
    """One accepted connection, as the gate saw it before deciding what to do with it."""

    origin: str
    peer: Address
    listen: Address
    tls: bool
    sni: str | None
    alpn: tuple[str, ...]
    keepalive: KeepaliveState
    direct: bool
    action: str
    rule: str
    decide_ms: float
    ja4: str | None = None  # the ClientHello's JA4 fingerprint (harness.network.ja4)
    #: ``time.monotonic()`` when the gate accepted the connection (the clock is the machine's,
    #: so the scenario's process can be compared with it).
    accepted_at: float | None = None

    @property
    def family(self) -> str:
        """``IPv6`` or ``IPv4``: the address family the client connected over."""
        return "IPv6" if ":" in self.peer[0] else "IPv4"

    def summary(self) -> str:
        armed = self.keepalive.describe()
        transport = (
            f"TLS sni={self.sni} alpn={','.join(self.alpn) or '-'} ja4={self.ja4 or '-'}"
            if self.tls
            else "plain"
        )
        route = "direct" if self.direct else "via proxy"
        return (
            f"{self.origin}: {self.family} {self.peer[0]}:{self.peer[1]} {route} {transport}; "
            f"{armed} "
            f"(read from {self.keepalive.reported_by()}); {done(self.action, self.rule)}, "
            f"decided in {self.decide_ms:.2f} ms"
        )


@dataclass(frozen=True)
class RequestSeen:
    """One request an origin's backend received: where the client meant it to go, and its
    headers as the backend's WSGI server presents them (names title-cased, repeated headers
    joined), credentials redacted as ``record`` redacts them."""

    origin: str
    method: str
    host: str  # the Host header as sent (or the authority of an absolute-form target)
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    #: Why the origin's edge answered with its identity challenge (None: served as usual).
    challenged: str | None = None

    def summary(self) -> str:
        answered = f" -> identity challenge ({self.challenged})" if self.challenged else ""
        return f"{self.origin}: {self.method} {self.host}{self.path}{answered}"

    def header_summary(self) -> str:
        return ", ".join(f"{name}: {value}" for name, value in self.headers) or "none"


class RecordLog(Generic[T]):
    """Append-only, thread-safe list of records.

    Gates and the proxy append a record before they act on a connection, so by the time a client
    sees its outcome the record is already here: readers never need to wait.
    """

    def __init__(self) -> None:
        self._items: list[T] = []
        self._changed = threading.Condition()

    def append(self, item: T) -> None:
        with self._changed:
            self._items.append(item)
            self._changed.notify_all()

    def mark(self) -> int:
        """A position to read new observations from."""
        with self._changed:
            return len(self._items)

    def since(self, mark: int = 0) -> list[T]:
        with self._changed:
            return self._items[mark:]


class ObservationLog(RecordLog[Observation]):
    """The gates' shared log; :meth:`of` filters by origin."""

    def of(self, origin: str, mark: int = 0) -> list[Observation]:
        return [item for item in self.since(mark) if item.origin == origin]
