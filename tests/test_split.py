"""The split suite, run against ``--client-factory`` (the reference fix by default)."""

from harness.suites.split import *  # noqa: F403
