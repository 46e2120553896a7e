"""The phase clock interrupts a blocked main thread, again if the interruption is swallowed,
and gives back the SIGALRM handler and timer it found."""

from __future__ import annotations

import signal
import time

import pytest

from conftest import wait_for
from harness.deadline import DeadlineExceeded, PhaseClock, parse_deadline
from harness.errors import UsageInputError


def test_a_blocked_phase_is_interrupted_naming_it() -> None:
    started = time.monotonic()
    breach = r"building the client took longer than 0\.2s"
    with pytest.raises(DeadlineExceeded, match=breach), PhaseClock(0.2) as clock:
        clock.start("building the client")
        time.sleep(5)
    assert time.monotonic() - started < 2
    assert clock.breached is not None and clock.breached.phase == "building the client"


def test_a_swallowed_interruption_comes_back() -> None:
    swallowed = 0
    with pytest.raises(DeadlineExceeded), PhaseClock(0.1) as clock:
        clock.start("the call")
        while True:  # code under test that catches everything and retries
            try:
                time.sleep(5)
            except BaseException:
                swallowed += 1
                if swallowed > 1:
                    raise
    assert swallowed == 2


def test_the_previous_handler_and_timer_are_restored() -> None:
    fired: list[int] = []

    def outer(signum: int, frame: object) -> None:
        fired.append(signum)

    previous = signal.signal(signal.SIGALRM, outer)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with PhaseClock(5) as clock:
            clock.start("building the client")
            clock.stop()
        assert signal.getsignal(signal.SIGALRM) is outer
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < remaining <= 0.5  # the outer timer runs on with what it had left
        wait_for(lambda: fired, 5, "the outer timer")
        assert fired == [signal.SIGALRM]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("value", ["0", "-1", "abc", "nan", "601"])
def test_bad_limits_are_usage_errors(value: str) -> None:
    with pytest.raises(UsageInputError, match=r"--harness-deadline: .* positive number"):
        parse_deadline(value)
