"""The plugin's inputs: validated up front, the factory always named, its choice shown.

Each run is an in-process pytest session in an empty directory (no ini file of this repository),
so nothing here is decided by this project's own configuration.
"""

from __future__ import annotations

import shutil
import signal

import pytest

from harness.fixtures import packaged_fixture_dir
from harness.judging import settings
from harness.suites.runner import SPLIT_SUITE_MODULE

REFERENCE = "harness.targets.reference:factory"
PLAIN_TEST = "def test_nothing():\n    pass\n"


@pytest.fixture(autouse=True)
def _no_harness_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HARNESS_CLIENT_FACTORY", "HARNESS_KEEPALIVE_IDLE", "HARNESS_FIXTURES"):
        monkeypatch.delenv(name, raising=False)


def test_suite_without_a_named_factory_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_split=SPLIT_SUITE_MODULE)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*judges a client factory, but none is named*--client-factory*"
            "*harness_client_factory*HARNESS_CLIENT_FACTORY*"
        ]
    )


def test_plain_project_without_a_factory_runs_and_hears_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain=PLAIN_TEST)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.no_fnmatch_line("*transport-harness:*")


def given(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    knob: settings.Knob,
    value: str,
) -> list[str]:
    """Give ``knob`` the ``value`` the way ``source`` says: as its option (the arguments
    returned), in the ini file, or in its environment variable."""
    if source == "option":
        return [f"{knob.option}={value}"]
    if source == "ini":
        pytester.makeini(f"[pytest]\n{knob.ini} = {value}\n")
    else:
        monkeypatch.setenv(knob.env, value)
    return []


@pytest.mark.parametrize(
    "source, value, named",
    [
        ("option", "0", "--keepalive-idle"),
        ("option", "-5", "--keepalive-idle"),
        ("option", "1.5", "--keepalive-idle"),
        ("option", "999999999", "--keepalive-idle"),
        ("option", "", "--keepalive-idle"),
        ("ini", "abc", "ini harness_keepalive_idle"),
        ("env", "abc", "env HARNESS_KEEPALIVE_IDLE"),
        ("env", "0", "env HARNESS_KEEPALIVE_IDLE"),
    ],
)
def test_bad_keepalive_idle_is_one_usage_error(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    value: str,
    named: str,
) -> None:
    pytester.makepyfile(test_plain=PLAIN_TEST)
    args = [
        "-p",
        "no:cacheprovider",
        *given(pytester, monkeypatch, source, settings.KEEPALIVE_IDLE, value),
    ]
    result = pytester.runpytest_inprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{named}: {value!r} is not allowed*from 1 to 32767*"])
    result.stdout.no_fnmatch_line("*passed*")


@pytest.mark.parametrize(
    "source, shown",
    [
        ("option", "--client-factory"),
        ("ini", "ini harness_client_factory"),
        ("env", "env HARNESS_CLIENT_FACTORY"),
    ],
)
def test_header_names_the_factory_and_where_it_came_from(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, source: str, shown: str
) -> None:
    pytester.makepyfile(test_plain=PLAIN_TEST)
    args = ["-p", "no:cacheprovider", "--keepalive-idle", "off"]
    args += given(pytester, monkeypatch, source, settings.FACTORY, REFERENCE)
    result = pytester.runpytest_inprocess(*args)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            f"transport-harness: client factory {REFERENCE} (from {shown}); "
            "keepalive not judged (from --keepalive-idle); deadline 10s per phase"
        ]
    )


def test_option_wins_over_ini_and_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_plain=PLAIN_TEST)
    pytester.makeini("[pytest]\nharness_client_factory = nope:nope\nharness_keepalive_idle = 45\n")
    monkeypatch.setenv("HARNESS_CLIENT_FACTORY", "nope:nope")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--client-factory", REFERENCE)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            f"*client factory {REFERENCE} (from --client-factory); keepalive required, idle 45s "
            "(from ini harness_keepalive_idle); deadline 10s per phase"
        ]
    )


def test_fixture_directory_applies_to_conditions(pytester: pytest.Pytester) -> None:
    """A copy of the origin files without the proxy-only condition: the matrix has no proxy-only
    case; with the packaged files it has. So conditions are read from the given directory."""
    copy = pytester.path / "origin-files"
    shutil.copytree(packaged_fixture_dir(), copy, ignore=shutil.ignore_patterns("__*"))
    (copy / "conditions" / "proxy-only.json").unlink()
    pytester.makepyfile(test_inner_split=SPLIT_SUITE_MODULE)

    def collected(*args: str) -> list[str]:
        result = pytester.runpytest_inprocess("--co", "-q", "--client-factory", REFERENCE, *args)
        assert result.ret == pytest.ExitCode.OK, result.stdout.str()
        return [line for line in result.stdout.lines if "::test_scenario[" in line]

    from_copy = collected("--harness-fixtures", str(copy))
    packaged = collected()
    assert from_copy and not any("-proxy-only-" in case for case in from_copy)
    assert any("-proxy-only-" in case for case in packaged)
    assert len(packaged) > len(from_copy)


SWALLOWED_SIGINT = """
import signal


def test_swallows_the_interrupt():
    try:
        signal.raise_signal(signal.SIGINT)
    except KeyboardInterrupt:
        pass  # as a garbage-collector callback or a broad except would


def test_after_the_interrupt():
    pass
"""


JUDGING = ("-p", "no:cacheprovider", "--client-factory", "harness.targets.reference:factory")


def run_with_sigint_handled(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """A pytest subprocess in which SIGINT is Python's to handle: an ignored SIGINT is inherited
    across exec, and a process that ignores it cannot be interrupted by it (the plugin then has
    nothing to record), so this process's own disposition must not decide the inner run."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return pytester.runpytest_subprocess(*args, timeout=120)
    finally:
        signal.signal(signal.SIGINT, previous)


def test_an_interrupted_run_is_never_green(pytester: pytest.Pytester) -> None:
    """SIGINT whose KeyboardInterrupt is swallowed where it landed still ends a run that judges
    a factory as interrupted (exit 2), before the next test; without the plugin, or in a host
    project's run that names no factory, the same run is green (pytest's own handling)."""
    pytester.makepyfile(test_interrupted=SWALLOWED_SIGINT)
    watched = run_with_sigint_handled(pytester, *JUDGING)
    assert watched.ret == pytest.ExitCode.INTERRUPTED
    watched.stdout.no_fnmatch_line("*2 passed*")
    watched.stdout.fnmatch_lines(["*KeyboardInterrupt*SIGINT arrived during an earlier test*"])

    for unwatched_args in (("-p", "no:transport_harness"), ()):
        unwatched = run_with_sigint_handled(pytester, "-p", "no:cacheprovider", *unwatched_args)
        assert unwatched.ret == pytest.ExitCode.OK, unwatched_args
        unwatched.stdout.fnmatch_lines(["*2 passed*"])


def test_an_interrupt_in_the_last_test_still_fails_the_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_interrupted=SWALLOWED_SIGINT.split("\n\n\ndef test_after")[0])
    result = run_with_sigint_handled(pytester, *JUDGING)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*interrupted by SIGINT: this run is not a result*"])


@pytest.mark.parametrize("on_ci", [False, True], ids=["local", "ci"])
def test_a_failed_case_says_what_went_wrong_in_a_few_lines(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, on_ci: bool
) -> None:
    """What was asked, what arrived and the likely cause, first; no traceback of the harness's
    frames and no dump of the origin files (once 400 lines a failure). On CI pytest prints the
    whole failure message in the short summary, hypothesis's notes included."""
    if on_ci:
        monkeypatch.setenv("CI", "true")
    else:
        monkeypatch.delenv("CI", raising=False)
    pytester.makepyfile(test_inner_split=SPLIT_SUITE_MODULE)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-x", "-k", "test_codex_spellings_reach_backend",
        "--client-factory", "harness.targets.regressed:factory", timeout=120,
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    lines = result.outlines
    start = next(i for i, line in enumerate(lines) if "test_codex_spellings_reach_backend[" in line)
    end = next(i for i, line in enumerate(lines) if "short test summary info" in line)
    report = lines[start + 1 : end]
    assert report[0].startswith("openai-codex@https://chatgpt.com/backend-api/codex (")
    assert "client got ECONNRESET" in report[0]
    causes = [line.strip() for line in report if line.strip().startswith("likely cause:")]
    assert causes and causes[0].startswith("likely cause: keepalive-sensitive origin")
    assert len(report) <= 8, "\n".join(report)
    assert not any("Fixture(" in line or "Traceback" in line for line in lines)
    summary = lines[end + 1 :]
    assert len(summary) <= 12, "\n".join(summary)


@pytest.mark.parametrize(
    "source, named",
    [
        ("option", "--harness-identity"),
        ("ini", "ini harness_identity"),
        ("env", "env HARNESS_IDENTITY"),
    ],
)
def test_bad_identity_setting_is_one_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, source: str, named: str
) -> None:
    pytester.makepyfile(test_plain=PLAIN_TEST)
    bad = given(pytester, monkeypatch, source, settings.IDENTITY, "originator,cookie")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", *bad)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*{named}: 'originator,cookie' is not allowed; expected 'off' or a comma-separated*"]
    )
    result.stdout.no_fnmatch_line("*passed*")
