"""The JUnit reader gives each case its outcome, message and time as pytest wrote them."""

from __future__ import annotations

import pytest

from harness.judging.junit import read_cases


def test_cases_carry_outcome_message_and_time(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_inner="""
        import time
        import pytest

        def test_slow():
            time.sleep(0.2)

        def test_broken():
            assert False, "the reason"

        @pytest.mark.skip(reason="not here")
        def test_skipped():
            pass
        """
    )
    report = pytester.path / "report.xml"
    pytester.runpytest_inprocess(f"--junitxml={report}", "-p", "no:cacheprovider")
    cases = {case.name: case for case in read_cases(report)}
    assert {name: case.outcome for name, case in cases.items()} == {
        "test_slow": "passed",
        "test_broken": "failed",
        "test_skipped": "skipped",
    }
    assert cases["test_slow"].id == "test_inner::test_slow"
    assert "the reason" in cases["test_broken"].text
    assert 0.2 <= cases["test_slow"].time < 5
    assert cases["test_skipped"].time < 0.2
