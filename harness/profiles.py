"""Hypothesis profiles for the shipped suites: deterministic and bounded on CI.

The plugin loads one only when the run has not chosen a profile itself (``--hypothesis-profile``
or a conftest), so a project's own settings always win. The explain phase is left out: every
generated spelling fails the same way under a bad factory, so varying parts to explain it only
costs seconds.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

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
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    DEV_PROFILE,
    max_examples=40,
    deadline=None,
    phases=PHASES,
    suppress_health_check=[HealthCheck.too_slow],
)


#: Profiles hypothesis picks by itself: its default, and the one it loads when it detects CI.
IMPLICIT_PROFILES = ("default", "ci")


def load_default_profile() -> str:
    """Load ``HYPOTHESIS_PROFILE`` if set, else the CI or dev profile unless the run chose a
    profile itself; return the active one."""
    named = os.environ.get("HYPOTHESIS_PROFILE")
    if named:
        settings.load_profile(named)
    elif settings.get_current_profile_name() in IMPLICIT_PROFILES:
        settings.load_profile(CI_PROFILE if os.environ.get("CI") else DEV_PROFILE)
    return settings.get_current_profile_name()
