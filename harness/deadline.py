"""A deadline on each phase of a scenario, so a factory or client that hangs cannot hang the run.

A pre-merge gate runs code it has never seen: a factory may block while building its client, and a
client may wait forever for a connection or a response. Each phase (building the client, then the
call) gets the same limit. The bound is ``setitimer(ITIMER_REAL)`` with a ``SIGALRM`` handler, the
mechanism of pytest-timeout's signal method: it interrupts a blocked main thread (``time.sleep``,
a socket wait, a lock) without leaving a watchdog thread behind, in pytest and in ``diagnose``
alike. The exception derives from ``BaseException`` so code under test that catches ``Exception``
cannot swallow it; if it is swallowed anyway (``except BaseException``), it is raised again every
second until the phase ends, and :attr:`PhaseClock.breached` still says so.

Signals reach the main thread only; elsewhere (or off POSIX) phases run unbounded and
:attr:`PhaseClock.bounded` says so.
"""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType, TracebackType

from harness.errors import UsageInputError

DEFAULT_SECONDS = 10.0
OPTION = "--harness-deadline"
INI_KEY = "harness_deadline"
ENV_VAR = "HARNESS_DEADLINE"
ALLOWED = "a positive number of seconds, at most 600"

#: After a breach the alarm repeats at this interval until the phase ends, so code under test
#: that catches the interruption and carries on is interrupted again.
REPEAT_SECONDS = 1.0

PHASE_BUILD = "building the client"
PHASE_CALL = "the call"
PHASE_CONNECT = "connecting"
PHASE_RESPONSE = "waiting for the response"


class DeadlineExceeded(BaseException):
    """A phase ran past its limit (an interruption, like KeyboardInterrupt); the message names
    the phase and the limit."""

    def __init__(self, phase: str, seconds: float) -> None:
        super().__init__(f"{phase} took longer than {seconds:g}s")
        self.phase = phase
        self.seconds = seconds


def parse_deadline(value: str | float, source: str = OPTION) -> float:
    """Seconds from an option, ini key or variable; a usage error naming ``source`` otherwise."""
    try:
        seconds = float(str(value).strip())
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= 600:  # also false for nan
        raise UsageInputError(f"{source}: {value!r} is not allowed; expected {ALLOWED}")
    return seconds


class PhaseClock:
    """``with PhaseClock(10) as clock: clock.start(PHASE_BUILD); ...; clock.start(PHASE_CALL)``.

    Each :meth:`start` re-arms the full limit for the named phase. On leaving the block the timer
    is disarmed and the previous ``SIGALRM`` handler and timer (pytest-timeout's, say) restored.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.phase: str | None = None
        self.breached: DeadlineExceeded | None = None
        self.bounded = hasattr(signal, "setitimer") and (
            threading.current_thread() is threading.main_thread()
        )
        self._previous_handler: signal._HANDLER = None
        self._previous_timer = (0.0, 0.0)
        self._entered_at = 0.0

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        if self.breached is None:
            self.breached = DeadlineExceeded(self.phase or "the scenario", self.seconds)
        raise self.breached  # again every REPEAT_SECONDS while code under test swallows it

    def __enter__(self) -> PhaseClock:
        if self.bounded:
            self._entered_at = time.monotonic()
            self._previous_handler = signal.signal(signal.SIGALRM, self._on_alarm)
            self._previous_timer = signal.setitimer(signal.ITIMER_REAL, 0)
        return self

    def start(self, phase: str) -> None:
        self.phase = phase
        if self.bounded:
            signal.setitimer(signal.ITIMER_REAL, self.seconds, REPEAT_SECONDS)

    def stop(self) -> None:
        """Disarm without leaving the block (the phases are over, cleanup follows)."""
        if self.bounded:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self.bounded:
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self._previous_handler)
        remaining, interval = self._previous_timer
        if remaining > 0:  # give the outer timer back what it had left, at least a tick
            left = max(remaining - (time.monotonic() - self._entered_at), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, interval)
