"""Observation records: what an origin saw of each connection, for tests to assert on."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from harness.kernel import KeepaliveState

Address = tuple[str, int]


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
    action: str
    rule: str
    decide_ms: float

    def summary(self) -> str:
        armed = (
            f"keepalive armed, idle {self.keepalive.idle_seconds}s"
            if self.keepalive.armed
            else "keepalive off"
        )
        transport = f"TLS sni={self.sni} alpn={','.join(self.alpn) or '-'}" if self.tls else "plain"
        return (
            f"{self.origin}: {self.peer[0]}:{self.peer[1]} {transport}; {armed} "
            f"({self.keepalive.source}); {self.action} [{self.rule}] in {self.decide_ms:.2f} ms"
        )


class ObservationLog:
    """Append-only, thread-safe list of observations with a bounded wait."""

    def __init__(self) -> None:
        self._items: list[Observation] = []
        self._changed = threading.Condition()

    def append(self, item: Observation) -> None:
        with self._changed:
            self._items.append(item)
            self._changed.notify_all()

    def mark(self) -> int:
        """A position to read new observations from."""
        with self._changed:
            return len(self._items)

    def since(self, mark: int = 0, origin: str | None = None) -> list[Observation]:
        with self._changed:
            items = self._items[mark:]
        return [item for item in items if origin is None or item.origin == origin]

    def wait_for(
        self,
        condition: Callable[[list[Observation]], bool],
        mark: int = 0,
        timeout: float = 2.0,
    ) -> list[Observation]:
        """Wait (bounded) until ``condition`` holds over the observations since ``mark``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self._items[mark:]):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
            return list(self._items[mark:])
