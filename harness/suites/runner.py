"""Run the split suite in a fresh pytest process (via pytester) and read it back case by case.

The self-check, the Hermes release verdicts and the hostile-environment check all judge the suite
this way: a fresh process, so nothing of the outer run leaks in, and JUnit XML, so every case's
outcome and message can be compared with what the factory's known behaviour predicts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.judging.junit import Case, read_cases

SPLIT_SUITE_MODULE = "from harness.suites.split import *  # noqa: F403\n"


def run_split_suite(
    pytester: pytest.Pytester, report: Path, *args: str, timeout: float = 600
) -> list[Case]:
    """Run the split suite with ``args``; fail unless it ran to a pass/fail verdict with cases."""
    pytester.makepyfile(test_inner_split=SPLIT_SUITE_MODULE)
    result = pytester.runpytest_subprocess(
        *args,
        f"--junitxml={report}",
        "-p",
        "no:cacheprovider",
        "-q",
        "-W",
        "error",
        timeout=timeout,
    )
    output = result.stdout.str() + result.stderr.str()
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), output
    cases = read_cases(report)
    assert cases, output
    return cases
