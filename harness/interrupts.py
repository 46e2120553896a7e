"""SIGINT and SIGTERM as an orderly unwind, so a killed command still removes what it made.

``repro`` and ``diagnose`` make temporary directories (the session CA's ``harness-ca.pem``) and
listen on loopback; both are released by ``with`` blocks. Python's default SIGTERM action ends the
process without running them, so the first SIGINT or SIGTERM raises :class:`Interrupted` in the
main thread instead, and every ``with`` block on the way out closes. Further SIGINT/SIGTERM are
ignored while that cleanup runs (it is bounded: every server stops within its join timeout); the
command then exits with ``128 + signal number`` (130 for SIGINT, 143 for SIGTERM), the shell's
convention for a process ended by a signal.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """The process received ``signum``; raised where the main thread was, to unwind it."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.name}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _unwind(signum: int, frame: FrameType | None) -> None:
    for other in SIGNALS:
        signal.signal(other, signal.SIG_IGN)  # one unwind; a second signal must not cut it short
    raise Interrupted(signum)


@contextmanager
def unwinding_on_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` for the block; restore the previous
    handlers afterwards. Outside the main thread (where Python cannot handle signals) a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in SIGNALS}
    for signum in SIGNALS:
        signal.signal(signum, _unwind)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
