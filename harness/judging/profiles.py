"""Hypothesis settings for the shipped suites' own tests: deterministic and bounded on CI.

They apply to the suites' generated tests only, as a decorator, and only when the run has not
chosen a profile itself (``--hypothesis-profile``, ``HYPOTHESIS_PROFILE`` or a conftest that loads
one), so a host project's hypothesis settings are never touched. Nothing is registered until a
suite is imported. The explain phase is left out: every generated spelling fails the same way
under a bad factory, so varying parts to explain it only costs seconds. Both are quiet: the
failing example hypothesis would print holds the values of every harness fixture (once 360 lines
a failure in the short summary, which pytest leaves untruncated on CI), and the verdict's first
line already names the spelling that failed.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, Verbosity, settings

CI_PROFILE = "harness-ci"
DEV_PROFILE = "harness-dev"
PHASES = tuple(phase for phase in Phase if phase is not Phase.explain)

settings.register_profile(
    CI_PROFILE,
    max_examples=20,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    phases=PHASES,
    verbosity=Verbosity.quiet,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    DEV_PROFILE,
    max_examples=40,
    deadline=None,
    phases=PHASES,
    verbosity=Verbosity.quiet,
    suppress_health_check=[HealthCheck.too_slow],
)

#: Profiles hypothesis picks by itself: its default, and the one it loads when it detects CI.
IMPLICIT_PROFILES = ("default", "ci")


def suite_profile_name() -> str:
    """``HYPOTHESIS_PROFILE`` if set; else the run's own profile if it chose one; else the
    harness's CI profile under ``CI`` and its dev profile otherwise."""
    named = os.environ.get("HYPOTHESIS_PROFILE")
    if named:
        return named
    current = settings.get_current_profile_name()
    if current not in IMPLICIT_PROFILES:
        return current
    return CI_PROFILE if os.environ.get("CI") else DEV_PROFILE


def suite_settings() -> settings:
    """The settings to decorate a suite's generated tests with (see :func:`suite_profile_name`)."""
    return settings.get_profile(suite_profile_name())
