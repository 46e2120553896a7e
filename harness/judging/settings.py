"""Every setting the harness takes, resolved by one rule in pytest and on the command line.

A setting has one option spelling (the same in ``pytest`` and ``python -m harness``), an ini key
(pytest only) and an environment variable. The first given wins: the option (even an empty one,
which is then refused as a bad value), a non-empty ini key, a non-empty variable, else the
default. Each value is parsed by one function, so a bad value reads the same everywhere and names
where it came from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from harness.errors import UsageInputError
from harness.judging.deadline import DEFAULT_SECONDS as DEFAULT_DEADLINE
from harness.judging.deadline import parse_deadline
from harness.judging.expectation import KeepaliveExpectation, parse_keepalive_idle
from harness.network.faults import MAX_STALL_SECONDS
from harness.sandbox.pool import DEFAULT_IMPORT_SECONDS


@dataclass(frozen=True)
class Knob:
    """Where one setting can be given."""

    option: str
    ini: str
    env: str

    @property
    def dest(self) -> str:
        """The pytest option's destination (``--harness-deadline`` → ``harness_deadline``)."""
        return self.option.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Setting:
    """A value and where it came from (option, ini key, environment variable or default)."""

    value: str | None
    source: str


FACTORY = Knob("--client-factory", "harness_client_factory", "HARNESS_CLIENT_FACTORY")
KEEPALIVE_IDLE = Knob("--keepalive-idle", "harness_keepalive_idle", "HARNESS_KEEPALIVE_IDLE")
DEADLINE = Knob("--harness-deadline", "harness_deadline", "HARNESS_DEADLINE")
IMPORT_DEADLINE = Knob(
    "--harness-import-deadline", "harness_import_deadline", "HARNESS_IMPORT_DEADLINE"
)
FIXTURES = Knob("--harness-fixtures", "harness_fixtures", "HARNESS_FIXTURES")
CLIENT_HELLO = Knob("--harness-client-hello", "harness_client_hello", "HARNESS_CLIENT_HELLO")
IDENTITY = Knob("--harness-identity", "harness_identity", "HARNESS_IDENTITY")
STREAM_IDLE = Knob("--harness-stream-idle", "harness_stream_idle", "HARNESS_STREAM_IDLE")
CONNECT_WITHIN = Knob(
    "--harness-connect-within", "harness_connect_within", "HARNESS_CONNECT_WITHIN"
)
SLOW_CONNECT = Knob("--harness-slow-connect", "harness_slow_connect", "HARNESS_SLOW_CONNECT")
KNOBS = (
    FACTORY,
    KEEPALIVE_IDLE,
    DEADLINE,
    IMPORT_DEADLINE,
    FIXTURES,
    CLIENT_HELLO,
    IDENTITY,
    STREAM_IDLE,
    CONNECT_WITHIN,
    SLOW_CONNECT,
)
#: The most a connect bound may be: the longest a phase of a scenario may take by default.
MAX_CONNECT_SECONDS = 60.0


def resolve(
    knob: Knob,
    option: str | None,
    ini: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Setting:
    environ = os.environ if environ is None else environ
    if option is not None:
        return Setting(str(option), knob.option)
    if ini:
        return Setting(str(ini).strip(), f"ini {knob.ini}")
    if environ.get(knob.env):
        return Setting(environ[knob.env], f"env {knob.env}")
    return Setting(None, "default")


def keepalive(setting: Setting) -> KeepaliveExpectation:
    if setting.value is None:
        return KeepaliveExpectation()
    return parse_keepalive_idle(setting.value, setting.source)


def deadline(setting: Setting) -> float:
    if setting.value is None:
        return DEFAULT_DEADLINE
    return parse_deadline(setting.value, setting.source)


def import_deadline(setting: Setting) -> float:
    """Seconds the factory's module may take to import (its own bound: a slow import under load
    is neither a phase's deadline nor a flake)."""
    if setting.value is None:
        return DEFAULT_IMPORT_SECONDS
    return _seconds(setting, 3600, "a positive number of seconds, at most 3600")


def _seconds(setting: Setting, most: float, expected: str) -> float:
    """A number of seconds above 0 and at most ``most``; else a usage error naming the setting's
    source and what was ``expected``."""
    assert setting.value is not None
    try:
        seconds = float(setting.value.strip())
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= most:  # also false for nan
        raise UsageInputError(
            f"{setting.source}: {setting.value!r} is not allowed; expected {expected}"
        )
    return seconds


def client_hello_judged(setting: Setting) -> bool:
    from harness.judging.client_hello import judged

    return judged(setting.value, setting.source)


def identity(setting: Setting) -> tuple[str, ...]:
    """The checks the Codex edge's identity challenge makes (:mod:`harness.network.edge`)."""
    from harness.network.edge import parse_demanded

    return parse_demanded(setting.value, setting.source)


def stream_idle(setting: Setting) -> float | None:
    """Seconds within which a client must give up on a stream gone silent (None: ``off``, the
    default: it must wait the silence out). A silence no longer than the bound must be waited
    out either way."""
    if setting.value is None or setting.value.strip().lower() == "off":
        return None
    return _seconds(
        setting,
        MAX_STALL_SECONDS,
        f"a number of seconds above 0 and at most {MAX_STALL_SECONDS:g} (a silence lasts at most "
        "that), or 'off' (a client must wait a silent stream out)",
    )


def connect_within(setting: Setting) -> float | None:
    """Seconds within which a client must reach the origin (None: ``off``, the default: a call
    that succeeds within the deadline passes, however long connecting took)."""
    if setting.value is None or setting.value.strip().lower() == "off":
        return None
    return _seconds(
        setting,
        MAX_CONNECT_SECONDS,
        f"a number of seconds above 0 and at most {MAX_CONNECT_SECONDS:g}, or 'off' (any "
        "connect within the deadline passes)",
    )


def describe_connect_within(seconds: float | None) -> str:
    if seconds is None:
        return "any connect within the deadline passes"
    return f"a client must reach the origin within {seconds:g} s of its call"


#: The words :func:`slow_connect` accepts, and what each means.
_SWITCH = {"on": True, "1": True, "yes": True, "off": False, "0": False, "no": False}


def slow_connect(setting: Setting) -> bool:
    """Whether the matrix holds every case whose correct client may wait out a connect timeout
    (``on``), or only a representative few (``off``, the default)."""
    if setting.value is None:
        return False
    found = _SWITCH.get(setting.value.strip().lower())
    if found is None:
        raise UsageInputError(
            f"{setting.source}: {setting.value!r} is not allowed; expected on or off"
        )
    return found


def describe_slow_connect(every: bool) -> str:
    if every:
        return "every case that may wait out a connect timeout runs"
    return "one endpoint stands for the cases that may wait out a connect timeout"


def describe_stream_idle(seconds: float | None) -> str:
    if seconds is None:
        return "a silent stream must be waited out"
    return f"a client must give up within {seconds:g} s on a stream that goes silent for longer"


def factory(setting: Setting) -> str | None:
    if setting.value is not None and not setting.value.strip():
        raise UsageInputError(f"{setting.source}: empty; expected MODULE:ATTR")
    return None if setting.value is None else setting.value.strip()
