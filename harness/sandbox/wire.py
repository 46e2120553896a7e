"""What the judge sends a worker for one scenario, and the messages that come back.

A job travels as one JSON datagram on the worker's control socket, with two descriptors beside it
(``SCM_RIGHTS``): the write end of the job's report pipe and a file for the child's output. The
child, then the worker, write one JSON line per message to the report pipe; the judge reads them
with its own clock.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

#: Messages the child writes, in order; the worker writes ``exit`` last.
PHASE = "phase"  # {"phase": "build" | "call"}; a build names the client: {"building", "nth"}
OUTCOME = "outcome"  # {"outcome": {...}, "refusals": [...]}
SKIP = "skip"  # {"skip": "reason"}: the factory declined this mode
BROKEN = "broken"  # {"broken": {"kind": ..., "detail": ...}, "refusals": [...]}
BUILT = "built"  # {"built": "OpenAI", "refusals": [...]}: a vetting job ends here
DONE = "done"  # {"done": true, "refusals": [...]}: exit hooks ran, the child exits 0 now
EXIT = "exit"  # {"exit": {"code": N} | {"signal": N}, "leftovers": [...]}, from the worker

BUILD = "build"
CALL = "call"


@dataclass(frozen=True)
class Job:
    """One child's work: build the factory's client for an endpoint and, unless ``call`` is
    None (vetting), make that call. ``environ`` is laid over the worker's clean environment;
    ``routes`` is the router's table (:meth:`harness.network.routing.Router.table`);
    ``earlier`` are the (provider, base_url) the same process asks the factory for first, in
    the same mode, as a long-running program that built those clients before this one."""

    provider: str
    base_url: str
    api_key: str
    async_client: bool
    call: str | None
    environ: dict[str, str] = field(default_factory=dict)
    routes: dict[str, Any] = field(default_factory=dict)
    earlier: tuple[tuple[str, str], ...] = ()

    def encode(self, seq: int) -> bytes:
        return json.dumps({"op": "run", "seq": seq, "job": asdict(self)}).encode()

    @classmethod
    def decode(cls, data: dict[str, Any]) -> Job:
        earlier = tuple((str(provider), str(url)) for provider, url in data.get("earlier", ()))
        return cls(**{**data, "earlier": earlier})


def write_message(fd: int, message: dict[str, Any]) -> None:
    """One line, written whole (a short write is retried; the reader splits on newlines)."""
    data = (json.dumps(message, default=str) + "\n").encode()
    while data:
        written = os.write(fd, data)
        data = data[written:]


def ordinal(number: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ... ``11th``, ``21st``: how failures count builds."""
    teens = 10 <= number % 100 <= 20
    suffix = "th" if teens else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
