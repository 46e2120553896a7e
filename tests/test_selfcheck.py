"""The split suite has teeth: it fails against the known-bad factories, and only where it should.

Each run is a fresh pytest process (pytester) over the shipped suite, read back through JUnit XML.
"""

from __future__ import annotations

import pytest

from harness.factory import vet_factory
from harness.suites.runner import SPLIT_SUITE_MODULE, run_split_suite
from harness.targets import reference


def run_suite(pytester: pytest.Pytester, factory: str) -> dict[str, str]:
    """Run the split suite against ``factory`` in a fresh process; map each test to its outcome."""
    cases = run_split_suite(pytester, pytester.path / "report.xml", "--client-factory", factory)
    return {case.name: case.outcome for case in cases}


def codex_direct(name: str) -> bool:
    """Codex cases whose connection goes straight to the backend (keepalive would be reset)."""
    return name.startswith("test_codex_") and "via_proxy" not in name


def non_codex_via_proxy(name: str) -> bool:
    """Non-Codex cases that must go through the proxy (a proxy-dropping client goes direct)."""
    return name.startswith("test_non_codex_") and "via_proxy" in name


#: Each known-bad factory and the cases it must fail; every other case must pass.
KNOWN_BAD = {
    "harness.targets.regressed:factory": codex_direct,
    "harness.targets.proxyless:factory": non_codex_via_proxy,
}


def test_reference_passes_everything(pytester: pytest.Pytester) -> None:
    outcomes = run_suite(pytester, "harness.targets.reference:factory")
    assert set(outcomes.values()) == {"passed"}, outcomes


@pytest.mark.parametrize("factory", KNOWN_BAD, ids=lambda spec: spec.split(".")[-1])
def test_known_bad_factory_fails_exactly_where_expected(
    pytester: pytest.Pytester, factory: str
) -> None:
    outcomes = run_suite(pytester, factory)
    failed = {name for name, kind in outcomes.items() if kind == "failed"}
    expected = {name for name in outcomes if KNOWN_BAD[factory](name)}
    assert expected, outcomes
    assert failed == expected, sorted(failed ^ expected)
    assert all(kind == "passed" for name, kind in outcomes.items() if name not in expected)


# The unusable-factory runs are in-process (they stop in pytest_configure, before any test), so
# import what vetting a factory imports now: modules first imported inside an in-process run are
# dropped from sys.modules when it ends, and re-importing them later splits class identities.
vet_factory("harness.targets.reference:factory", reference.factory)

BAD_FACTORIES = {
    "no_colon": ("harness.targets.reference", "expected MODULE:ATTR"),
    "missing_module": ("harness.targets.nope:factory", "cannot import harness.targets.nope"),
    "missing_attr": ("harness.targets.reference:nope", "has no nope"),
    "not_callable": ("harness.targets.reference:CODEX_HOST", "is not callable"),
    "raises": ("badfactories:raising", "raised RuntimeError('boom')"),
    "wrong_type": ("badfactories:wrong_type", "returned str"),
    "sync_for_async": ("badfactories:sync_only", "returned OpenAI for async_client=True"),
}


@pytest.mark.parametrize("spec, message", BAD_FACTORIES.values(), ids=list(BAD_FACTORIES))
def test_unusable_factory_fails_the_run_at_once(
    pytester: pytest.Pytester, spec: str, message: str
) -> None:
    pytester.makepyfile(
        badfactories="""
        import openai

        def raising(provider, base_url, api_key, *, async_client=False):
            raise RuntimeError("boom")

        def wrong_type(provider, base_url, api_key, *, async_client=False):
            return "not a client"

        def sync_only(provider, base_url, api_key, *, async_client=False):
            return openai.OpenAI(api_key=api_key, base_url=base_url)
        """,
        test_inner_split=SPLIT_SUITE_MODULE,
    )
    pytester.syspathinsert()
    result = pytester.runpytest_inprocess("--client-factory", spec, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{spec}*{message}*"])
    result.stdout.no_fnmatch_line("*passed*")


def test_factory_from_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_CLIENT_FACTORY", "harness.targets.reference:nope")
    pytester.makepyfile(test_inner_split=SPLIT_SUITE_MODULE)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*harness.targets.reference:nope*has no nope*"])
