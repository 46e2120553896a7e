"""A stream that goes silent: whether the client must wait it out or give up within a bound is
the adopter's (``--harness-stream-idle``); the verdict reads the call's own time and outcome."""

from __future__ import annotations

import pytest

from conftest import RunCli
from harness.errors import UsageInputError
from harness.fixtures import Endpoint, load_fixtures
from harness.judging import settings
from harness.judging.drive import Result
from harness.judging.expectation import KeepaliveExpectation
from harness.judging.matrix import STREAM_EVENTS, Scenario, scenarios
from harness.judging.verdicts import CAUSE_STREAM_IDLE, judge
from harness.network.conditions import CONDITION_DIR, load_condition, load_conditions
from harness.network.kernel import KeepaliveState
from harness.network.observations import Observation, RequestSeen
from harness.sandbox.calls import Call
from harness.sandbox.outcomes import Outcome

CONDITION = load_condition(CONDITION_DIR / "codex-stream-stall.json")
CODEX = Endpoint("openai-codex", "https://chatgpt.com/backend-api/codex", True, "chatgpt-codex")
SILENCE = 2.5


def streamed(outcome: Outcome) -> Result:
    seen = Observation(
        "chatgpt-codex",
        ("127.0.0.1", 5),
        ("127.0.43.2", 443),
        True,
        "chatgpt.com",
        ("http/1.1",),
        KeepaliveState(False, None, "sock_diag"),
        True,
        "serve",
        "serve",
        0.1,
    )
    request = RequestSeen("chatgpt-codex", "POST", "chatgpt.com", "/backend-api/codex/responses")
    return Result(
        CODEX, Call.STREAM, False, outcome, (seen,), condition=CONDITION.name, requests=(request,)
    )


WAITED = Outcome(status=200, events=STREAM_EVENTS, seconds=2.6)
GAVE_UP = Outcome(cause="TIMEOUT", error="ReadTimeout('')", seconds=1.1, idle_seconds=1.0)
GAVE_UP_LATE = Outcome(cause="TIMEOUT", error="ReadTimeout('')", seconds=2.4, idle_seconds=2.0)
RESET = Outcome(cause="ECONNRESET", error="ConnectError('')", seconds=0.01)
#: A timeout before any stream was open (no headers): not the silence's doing.
CONNECT_TIMEOUT = Outcome(cause="TIMEOUT", error="ConnectTimeout('')", seconds=0.05)


@pytest.mark.parametrize(
    ("bound", "outcome", "ok", "words"),
    [
        (None, WAITED, True, None),
        (None, GAVE_UP, False, "gave up on a stream silent for 2.5 s after 1.0 s; it must wait"),
        (1.0, GAVE_UP, True, None),
        (1.0, WAITED, False, "waited out 2.5 s of silence in the stream (2.6 s in all); it must "),
        (1.0, GAVE_UP_LATE, False, "bore 2.0 s of silence in the stream before it gave up; it "),
        (1.6, GAVE_UP_LATE, True, None),  # 0.5 s of slack over the bound
        (3.0, WAITED, True, None),  # a silence within the bound is waited out ...
        (3.0, GAVE_UP, False, "it must wait the silence out"),  # ... not given up on
    ],
)
def test_the_bound_decides_between_waiting_and_giving_up(
    bound: float | None, outcome: Outcome, ok: bool, words: str | None
) -> None:
    scenario = Scenario(CODEX, False, Call.STREAM, CONDITION, label=CONDITION.name)
    expect = scenario.expectation(KeepaliveExpectation(), None, None, bound)
    assert expect.stream_silence == SILENCE
    found = judge(streamed(outcome), expect)
    assert found.ok is ok, found
    if words is not None:
        assert found.kind == CAUSE_STREAM_IDLE
        assert words in (found.cause or ""), found.cause


@pytest.mark.parametrize("bound", [None, 1.0])
@pytest.mark.parametrize("outcome", [RESET, CONNECT_TIMEOUT], ids=["reset", "connect-timeout"])
def test_a_client_that_failed_otherwise_is_not_blamed_for_the_silence(
    bound: float | None, outcome: Outcome
) -> None:
    """Only a timeout on a stream the client had open is its answer to the silence."""
    scenario = Scenario(CODEX, False, Call.STREAM, CONDITION, label=CONDITION.name)
    found = judge(
        streamed(outcome), scenario.expectation(KeepaliveExpectation(), None, None, bound)
    )
    assert not found.ok and found.kind != CAUSE_STREAM_IDLE
    assert f"the client got no HTTP response ({outcome.cause})" in found.problems


def test_the_condition_adds_one_streamed_row_per_mode_for_the_first_codex_endpoint() -> None:
    fixtures = load_fixtures()
    rows = [s for s in scenarios(fixtures, load_conditions()) if s.condition.name == CONDITION.name]
    first = next(e for f in fixtures for e in f.endpoints if CONDITION.applies_to(e))
    assert first.codex
    assert [(s.endpoint, s.async_client, s.call) for s in rows] == [
        (first, False, Call.STREAM),
        (first, True, Call.STREAM),
    ]
    assert CONDITION.stream_stall is not None
    assert CONDITION.stream_stall.stall.seconds == SILENCE
    assert CONDITION.provenance["reports"]


@pytest.mark.parametrize("value", ["", "abc", "0", "-1", "31", "nan"])
def test_a_bad_bound_is_one_line_naming_where_it_came_from(value: str) -> None:
    with pytest.raises(UsageInputError) as raised:
        settings.stream_idle(settings.Setting(value, "env HARNESS_STREAM_IDLE"))
    assert str(raised.value).startswith(f"env HARNESS_STREAM_IDLE: {value!r} is not allowed")


def test_off_and_seconds_are_read_alike_everywhere() -> None:
    assert settings.stream_idle(settings.Setting(None, "default")) is None
    assert settings.stream_idle(settings.Setting(" OFF ", "--harness-stream-idle")) is None
    assert settings.stream_idle(settings.Setting("1.5", "--harness-stream-idle")) == 1.5


def test_pytest_refuses_a_bad_bound_as_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_nothing():\n    pass\n")
    pytester.makeini("[pytest]\nharness_stream_idle = later\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini harness_stream_idle: 'later' is not allowed*"])


def test_diagnose_refuses_a_bad_bound_before_the_run(run_cli: RunCli) -> None:
    result = run_cli(
        "diagnose", "harness.targets.reference:factory", "--harness-stream-idle", "soon"
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: --harness-stream-idle: 'soon' is not allowed")
    assert result.stderr.count("\n") == 1 and result.stdout == ""
