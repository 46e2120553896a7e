"""SIGINT and SIGTERM as an orderly unwind, so a killed command still removes what it made.

``repro`` and ``diagnose`` make temporary directories (the session CA's ``harness-ca.pem``) and
listen on loopback; both are released by ``with`` blocks. Python's default SIGTERM action ends the
process without running them, so the first SIGINT or SIGTERM raises :class:`Interrupted` in the
main thread instead, and every ``with`` block on the way out closes. Further SIGINT/SIGTERM are
ignored while that cleanup runs (it is bounded: every server stops within its join timeout); the
command then exits with ``128 + signal number`` (130 for SIGINT, 143 for SIGTERM), the shell's
convention for a process ended by a signal.

A signal can land where Python swallows exceptions (a weakref callback, a ``__del__``), so the
signal is also recorded: :func:`checkpoint` raises it again between units of work, and the command
line checks :func:`received` once the work returns, so a swallowed raise still ends the command
with the signal's exit code. Under pytest, :func:`watch_sigint` keeps pytest's own handling and
only adds the record, which the plugin reads between tests and at the end of the session.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

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


_received: list[int] = []


def received() -> Interrupted | None:
    """The signal received inside :func:`unwinding_on_signals`, if any, as its exception."""
    return Interrupted(_received[0]) if _received else None


def checkpoint() -> None:
    """Raise :class:`Interrupted` if a signal arrived (its first raise may have been swallowed)."""
    interrupted = received()
    if interrupted is not None:
        raise interrupted


def _unwind(signum: int, frame: FrameType | None) -> None:
    for other in SIGNALS:
        signal.signal(other, signal.SIG_IGN)  # one unwind; a second signal must not cut it short
    _received.append(signum)
    raise Interrupted(signum)


@contextmanager
def unwinding_on_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` for the block; restore the previous
    handlers afterwards. Outside the main thread (where Python cannot handle signals) a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in SIGNALS}
    previous_hook = sys.unraisablehook

    def quiet_when_swallowed(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, Interrupted):  # ours is raised again later
            previous_hook(unraisable)

    _received.clear()
    sys.unraisablehook = quiet_when_swallowed
    for signum in SIGNALS:
        signal.signal(signum, _unwind)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sys.unraisablehook = previous_hook
        _received.clear()  # outside the block, checkpoints have nothing to raise


def watch_sigint() -> Callable[[], None]:
    """Record each SIGINT, then hand it to the handler that was there (Python's, which raises
    KeyboardInterrupt where the main thread is), so an interrupt whose raise is swallowed is still
    known to :func:`received`. Returns the function that puts the previous handler back; outside
    the main thread, or when SIGINT is not Python's to handle, records nothing."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        return lambda: None

    def record_then_delegate(signum: int, frame: FrameType | None) -> Any:
        _received.append(signum)
        return previous(signum, frame)

    _received.clear()
    signal.signal(signal.SIGINT, record_then_delegate)

    def restore() -> None:
        if signal.getsignal(signal.SIGINT) is record_then_delegate:
            signal.signal(signal.SIGINT, previous)
        _received.clear()

    return restore
