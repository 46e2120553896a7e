"""The limit on each phase of a scenario, so a factory or client that hangs cannot hang the run.

A pre-merge gate runs code it has never seen: a factory may block while building its client, and a
client may wait forever for a connection or a response. Each phase (building the client, the call,
the factory's exit hooks) gets the same limit. The judge times the phases from outside the
scenario's process (:mod:`harness.sandbox.pool`) and kills that process's tree on a breach, so
nothing the factory does with signals, threads or C code can stretch it; the timers and signal
handlers of the scenario's process stay the code under test's own, as in any program.
"""

from __future__ import annotations

from harness.errors import UsageInputError

DEFAULT_SECONDS = 10.0
OPTION = "--harness-deadline"
INI_KEY = "harness_deadline"
ENV_VAR = "HARNESS_DEADLINE"
ALLOWED = "a positive number of seconds, at most 600"

PHASE_BUILD = "building the client"
PHASE_CONNECT = "connecting"
PHASE_RESPONSE = "waiting for the response"
PHASE_EXIT_HOOKS = "running the factory's exit hooks"


def parse_deadline(value: str | float, source: str = OPTION) -> float:
    """Seconds from an option, ini key or variable; a usage error naming ``source`` otherwise."""
    try:
        seconds = float(str(value).strip())
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= 600:  # also false for nan
        raise UsageInputError(f"{source}: {value!r} is not allowed; expected {ALLOWED}")
    return seconds
