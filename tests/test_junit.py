"""The JUnit reader gives each case its outcome, message and time as pytest wrote them."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from harness.judging.junit import read_cases


def test_cases_carry_outcome_message_and_time(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_inner="""
        import pytest

        def test_timed():
            pass

        def test_broken():
            assert False, "the reason"

        @pytest.mark.skip(reason="not here")
        def test_skipped():
            pass
        """
    )
    report = pytester.path / "report.xml"
    pytester.runpytest_inprocess(f"--junitxml={report}", "-p", "no:cacheprovider")
    # a time no quick test takes, written where pytest wrote its own, so the reader is seen to
    # read it rather than pass on a zero
    tree = ElementTree.parse(report)
    for element in tree.iter("testcase"):
        if element.get("name") == "test_timed":
            element.set("time", "1.25")
    tree.write(report)
    cases = {case.name: case for case in read_cases(report)}
    assert {name: case.outcome for name, case in cases.items()} == {
        "test_timed": "passed",
        "test_broken": "failed",
        "test_skipped": "skipped",
    }
    assert cases["test_timed"].id == "test_inner::test_timed"
    assert "the reason" in cases["test_broken"].text
    written = {
        element.get("name"): float(element.get("time", "nan"))
        for element in ElementTree.parse(report).iter("testcase")
    }
    assert {name: case.time for name, case in cases.items()} == written
    assert cases["test_timed"].time == 1.25
