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
PHASE = "phase"  # {"phase": "build" | "call"}
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
    ``routes`` is the router's table (:meth:`harness.network.routing.Router.table`)."""

    provider: str
    base_url: str
    api_key: str
    async_client: bool
    call: str | None
    environ: dict[str, str] = field(default_factory=dict)
    routes: dict[str, Any] = field(default_factory=dict)

    def encode(self, seq: int) -> bytes:
        return json.dumps({"op": "run", "seq": seq, "job": asdict(self)}).encode()

    @classmethod
    def decode(cls, data: dict[str, Any]) -> Job:
        return cls(**data)


def write_message(fd: int, message: dict[str, Any]) -> None:
    """One line, written whole (a short write is retried; the reader splits on newlines)."""
    data = (json.dumps(message, default=str) + "\n").encode()
    while data:
        written = os.write(fd, data)
        data = data[written:]
