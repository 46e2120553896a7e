"""``diagnose`` passes the reference, names the cause that matches what was observed for each bad
factory, survives a factory that raises, and says which keepalive expectation was in force.

Causes are checked twice: against hand-made results (fast, one per cause, exact wording) and
against real runs of small factories that produce each cause on the wire.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import diagnose_factories as bad
import pytest

from harness.fixtures import Endpoint, load_fixtures
from harness.judging import causes
from harness.judging.causes import Fault
from harness.judging.diagnose import Diagnosis, Row, diagnose, render
from harness.judging.drive import Result, Subject, vet_factory
from harness.judging.expectation import KeepaliveExpectation
from harness.judging.matrix import NO_PROXY_SPELLINGS, Scenario, left_out, scenarios
from harness.judging.proxy_rules import expected_route
from harness.judging.verdicts import (
    CAUSE_CLIENT_HELLO,
    CAUSE_DEADLINE,
    CAUSE_FACTORY_RAISED,
    CAUSE_IDENTITY_CHALLENGE,
    CAUSE_KEEPALIVE_IDLE,
    CAUSE_KEEPALIVE_KERNEL_DEFAULT,
    CAUSE_KEEPALIVE_OFF,
    CAUSE_KEEPALIVE_RESET,
    CAUSE_NO_SOCKS,
    CAUSE_OTHER,
    CAUSE_PROXY_BYPASS,
    CAUSE_PROXY_FALLBACK,
    CAUSE_TLS_TRUST,
    CAUSE_UNEXPECTED_PROXY,
    CAUSES,
    Expectation,
    judge,
    kernel_default_idle,
)
from harness.network.conditions import DIRECT, load_conditions
from harness.network.edge import CHECKS
from harness.network.kernel import KeepaliveState
from harness.network.observations import Observation, RequestSeen
from harness.network.proxy import Tunnel
from harness.sandbox.calls import Call
from harness.sandbox.contract import ClientFactory, FactoryError
from harness.sandbox.outcomes import Outcome
from harness.sandbox.pool import Sandbox
from harness.suites.runner import SPLIT_SUITE_MODULE
from harness.targets import (
    ipv6only,
    noidentity,
    noproxyblind,
    ownssl,
    proxyfallback,
    proxyless,
    reference,
    regressed,
    schemeblind,
    socksblind,
    streamidle,
)

CAUSE_FACTORY_RETURNED = causes.FACTORY_RETURNED
#: A factory (``MODULE:ATTR`` or a module-level function) as a Subject of the session's sandbox.
MakeSubject = Callable[[str | ClientFactory], Subject]


#: The condition of the Codex edge's identity challenge.
CHALLENGE = "codex-edge-challenge"
#: The condition whose proxy refuses every request.
REFUSES = "proxy-refuses"
#: The conditions whose proxy variable names a SOCKS5 proxy (the name resolved by the client, by
#: the proxy); those the installed httpx cannot express are not in the matrix.
SOCKS = ("socks5-proxy", "socks5h-proxy")
#: The condition whose IPv6 addresses blackhole.
BLACKHOLE = "ipv6-blackhole"
#: A stack without socksio: named, never imported here (importing it hides socksio).
NO_SOCKS_FACTORY = "harness.targets.nosocks:factory"


def _labelled(*labels: str) -> Callable[[Scenario], bool]:
    """Only the matrix scenarios with these labels (``direct``, a condition's name, ...)."""
    return lambda scenario: scenario.label in labels


# name: (factory, scenario labels (None: the whole matrix), expectation)
RUNS: dict[str, tuple[ClientFactory | str, tuple[str, ...] | None, KeepaliveExpectation]] = {
    "reference": (reference.factory, None, KeepaliveExpectation()),
    "regressed": (
        regressed.factory,
        (DIRECT.name, "https-proxy", "proxy-only", "no_proxy-exact"),
        KeepaliveExpectation(),
    ),
    "proxyless": (
        proxyless.factory,
        (DIRECT.name, "https-proxy", "proxy-only", "env-https_proxy", REFUSES),
        KeepaliveExpectation(),
    ),
    "proxy-fallback": (proxyfallback.factory, (DIRECT.name, REFUSES), KeepaliveExpectation()),
    "ipv6-only": (ipv6only.factory, (DIRECT.name, BLACKHOLE), KeepaliveExpectation()),
    "socks-blind": (socksblind.factory, (DIRECT.name, *SOCKS), KeepaliveExpectation()),
    "no-socks": (NO_SOCKS_FACTORY, (DIRECT.name, *SOCKS), KeepaliveExpectation()),
    "untrusting": (bad.untrusting, (DIRECT.name,), KeepaliveExpectation()),
    "raising": (bad.raising, (DIRECT.name,), KeepaliveExpectation()),
    "idle-60": (
        bad.idle_60,
        (DIRECT.name,),
        KeepaliveExpectation(),
    ),
    "idle-60-expected-60": (
        bad.idle_60,
        (DIRECT.name,),
        KeepaliveExpectation(60),
    ),
    "so-keepalive-only": (
        bad.so_keepalive_only,
        (DIRECT.name,),
        KeepaliveExpectation(),
    ),
    "no-keepalive": (bad.no_keepalive, (DIRECT.name,), KeepaliveExpectation()),
    "no-keepalive-not-judged": (
        bad.no_keepalive,
        (DIRECT.name, "https-proxy", *(f"no_proxy-{spelling}" for spelling in NO_PROXY_SPELLINGS)),
        KeepaliveExpectation(None),
    ),
    "regressed-not-judged": (regressed.factory, (DIRECT.name,), KeepaliveExpectation(None)),
    "always-proxied": (bad.always_proxied, ("https-proxy",), KeepaliveExpectation()),
    "no-proxy-blind": (
        noproxyblind.factory,
        tuple(f"no_proxy-{spelling}" for spelling in NO_PROXY_SPELLINGS),
        KeepaliveExpectation(),
    ),
    "scheme-blind": (
        schemeblind.factory,
        ("https-proxy", "proxy-only", "env-HTTP_PROXY", "env-http_proxy", "env-ALL_PROXY"),
        KeepaliveExpectation(),
    ),
    "wrong-type": (bad.wrong_type, (DIRECT.name,), KeepaliveExpectation()),
    "sync-only": (bad.sync_only, (DIRECT.name,), KeepaliveExpectation()),
    "own-ssl": (ownssl.factory, (DIRECT.name, "https-proxy"), KeepaliveExpectation()),
    "no-identity": (noidentity.factory, (DIRECT.name, CHALLENGE), KeepaliveExpectation()),
}


@pytest.fixture(scope="module")
def subjects(harness_sandbox: Sandbox) -> MakeSubject:
    """Subjects run in the session's sandbox (a warm worker per factory, shared by runs)."""
    return lambda factory: Subject.of(harness_sandbox, factory)


class Diagnoses:
    """The runs of :data:`RUNS` by name, each made the first time a test asks for it: every
    scenario forks a process of its own, so a worker of ``-n 2`` runs only what its tests read."""

    def __init__(self, subjects: MakeSubject) -> None:
        self.subjects = subjects
        self.fixtures = load_fixtures()
        self.done: dict[str, Diagnosis] = {}

    def __getitem__(self, name: str) -> Diagnosis:
        if name not in self.done:
            factory, labels, keepalive = RUNS[name]
            select = _labelled(*labels) if labels else None
            subject = self.subjects(factory)
            self.done[name] = diagnose(subject, self.fixtures, keepalive=keepalive, select=select)
        return self.done[name]


@pytest.fixture(scope="module")
def diagnoses(subjects: MakeSubject) -> Diagnoses:
    return Diagnoses(subjects)


def failed_rows(result: Diagnosis) -> list[Row]:
    return [row for row in result.rows if not row.ok]


@pytest.mark.parametrize("name", ["reference", "idle-60-expected-60", "no-keepalive-not-judged"])
def test_clean(diagnoses: Diagnoses, name: str) -> None:
    result = diagnoses[name]
    assert result.ok, render(result)
    assert {row.mode for row in result.rows} == {"sync", "async"}


def test_reference_runs_every_condition(diagnoses: Diagnoses) -> None:
    conditions = {row.condition for row in diagnoses["reference"].rows}
    assert conditions == {
        "direct",
        "https-proxy",
        "proxy-only",
        REFUSES,
        CHALLENGE,
        "codex-stream-stall",
        BLACKHOLE,
        *SOCKS,
    } - set(left_out(load_conditions()))


@pytest.mark.parametrize(
    "name, cause, words",
    [
        (
            "regressed",
            CAUSE_KEEPALIVE_RESET,
            "armed TCP keepalive on its connection to chatgpt-codex",
        ),
        ("regressed-not-judged", CAUSE_KEEPALIVE_RESET, "which resets such handshakes"),
        ("proxyless", CAUSE_PROXY_BYPASS, "connected directly although"),
        ("proxy-fallback", CAUSE_PROXY_FALLBACK, "with 403 and the client connected directly"),
        ("socks-blind", CAUSE_PROXY_BYPASS, "connected directly although"),
        ("ipv6-only", causes.NO_IPV4_FALLBACK, "never connected to its IPv4 one"),
        ("no-socks", CAUSE_NO_SOCKS, "the 'socksio' package is not installed"),
        ("untrusting", CAUSE_TLS_TRUST, "does not trust the harness CA"),
        ("idle-60", CAUSE_KEEPALIVE_IDLE, "armed 60s, expected 30s"),
        ("so-keepalive-only", CAUSE_KEEPALIVE_KERNEL_DEFAULT, f"armed {kernel_default_idle()}s"),
        ("no-keepalive", CAUSE_KEEPALIVE_OFF, "did not arm TCP keepalive"),
        ("raising", CAUSE_FACTORY_RAISED, "ValueError("),
        ("always-proxied", CAUSE_UNEXPECTED_PROXY, "sent this request to the proxy"),
        ("wrong-type", CAUSE_FACTORY_RETURNED, "the client factory returned "),
    ],
)
def test_each_bad_factory_gets_the_cause_it_shows(
    diagnoses: Diagnoses, name: str, cause: str, words: str
) -> None:
    """Every failed row names the one cause that matches the observation, and the summary counts
    that cause (``N x <cause>``), nothing else."""
    result = diagnoses[name]
    failed = failed_rows(result)
    assert failed, render(result)
    assert result.causes() == {cause: len(failed)}, render(result)
    for row in failed:
        assert row.kind == cause
        assert row.cause is not None and row.cause.startswith(f"{cause}: ")
        assert words in row.cause, row.cause
        assert "promised" not in row.cause
    assert f"  {len(failed)} x {cause}" in render(result).splitlines()


def test_no_proxy_blind_factory_fails_every_non_codex_no_proxy_row(
    diagnoses: Diagnoses,
) -> None:
    result = diagnoses["no-proxy-blind"]
    failed = failed_rows(result)
    assert result.causes() == {CAUSE_UNEXPECTED_PROXY: len(failed)}, render(result)
    non_codex = [row for row in result.rows if "non-codex" in row.categories]
    assert {row.scenario for row in failed} == {row.scenario for row in non_codex}


def test_a_refused_tunnel_retried_directly_is_the_fallback_shown_at_the_origin(
    diagnoses: Diagnoses,
) -> None:
    """The fallback factory fails exactly the non-Codex https rows under the refusing proxy: the
    proxy logged the refused CONNECT and the origin the direct connection that followed. The
    plain-HTTP row, refused with an ordinary 403 reply, and the Codex rows (the SDK's default
    client) surface the refusal and pass, as every direct row does."""
    result = diagnoses["proxy-fallback"]
    failed = failed_rows(result)
    https_refused = {
        row.scenario
        for row in result.rows
        if row.condition == REFUSES
        and "non-codex" in row.categories
        and not row.endpoint.startswith("custom@http://")
    }
    assert {row.scenario for row in failed} == https_refused, render(result)
    for row in failed:
        assert row.observed.startswith("origin: direct"), row.observed
        assert "proxy: CONNECT" in row.observed and "-> 403" in row.observed, row.observed
    plain = [r for r in result.rows if r.condition == REFUSES and "http://" in r.endpoint]
    assert [(r.ok, r.outcome[:4]) for r in plain] == [(True, "403 "), (True, "403 ")]


def test_socks_factories_fail_exactly_the_rows_through_a_socks_proxy(diagnoses: Diagnoses) -> None:
    """Without SOCKS support every row that must go through the SOCKS5 proxy fails, the SDK
    default's Codex rows too; a transport that drops the socks5:// URL fails the non-Codex ones.
    NO_PROXY's openrouter.ai rows go direct and pass in both, as the direct rows do."""
    blind, unsupported = diagnoses["socks-blind"], diagnoses["no-socks"]
    through = {
        r.scenario for r in unsupported.rows if r.condition in SOCKS and "via-proxy" in r.categories
    }
    non_codex = {r.scenario for r in blind.rows if "non-codex" in r.categories} & through
    assert {r.scenario for r in failed_rows(unsupported)} == through, render(unsupported)
    assert {r.scenario for r in failed_rows(blind)} == non_codex, render(blind)
    exempted = [r for r in blind.rows if r.condition in SOCKS and "direct" in r.categories]
    assert {r.endpoint.partition("@")[0] for r in exempted} == {"openrouter"}
    assert all(r.ok for r in exempted)


def test_the_ipv6_blackhole_is_crossed_over_ipv4_and_every_other_row_over_ipv6(
    diagnoses: Diagnoses,
) -> None:
    """A routed name resolves to ::1 first: the reference connects over IPv6 wherever it goes
    direct, and under ipv6-blackhole over IPv4 after the IPv6 attempt, sync after its connect
    timeout (httpcore tries the addresses in turn), async within a second (anyio races them).
    The client pinned to IPv6 fails exactly the blackholed rows, having reached no origin."""
    reference = diagnoses["reference"]
    rows = [r for r in reference.rows if r.condition == BLACKHOLE]
    assert {r.mode for r in rows} == {"sync", "async"}, render(reference)
    for row in rows:
        assert row.ok and row.families == ("IPv4",), row
        assert row.connect_seconds is not None
        if row.mode == "sync":
            assert 4.5 < row.connect_seconds < 9, row
        else:
            assert row.connect_seconds < 1.5, row
    direct = [r for r in reference.rows if r.condition == DIRECT.name and r.families]
    assert direct and all(r.families == ("IPv6",) for r in direct), render(reference)
    assert all(r.connect_seconds is not None and r.connect_seconds < 2 for r in direct)
    pinned = diagnoses["ipv6-only"]
    assert {r.scenario for r in failed_rows(pinned)} == {r.scenario for r in rows}
    assert all(r.observed == "nothing reached the origin" for r in failed_rows(pinned))


def test_the_reference_reaches_each_origin_through_a_socks5_tunnel(diagnoses: Diagnoses) -> None:
    """Each SOCKS row records the proxy's scheme and how the client asked for its tunnel:
    httpcore sends the host name for socks5:// as for socks5h://, and the row shows what
    arrived."""
    rows = [r for r in diagnoses["reference"].rows if r.condition in SOCKS]
    assert rows
    for row in rows:
        assert row.proxy_scheme == row.condition.partition("-")[0], row
        if "via-proxy" in row.categories:
            assert row.proxy_requests == ("socks5 name",), row
            assert "proxy: socks5 name " in row.observed, row.observed
        else:
            assert row.proxy_requests == (), row


def test_scheme_blind_factory_fails_the_plain_http_proxy_rows(
    diagnoses: Diagnoses,
) -> None:
    failed = failed_rows(diagnoses["scheme-blind"])
    assert {(row.setting, row.kind) for row in failed} == {
        ("https-proxy", CAUSE_UNEXPECTED_PROXY),
        ("proxy-only", CAUSE_UNEXPECTED_PROXY),
        ("env-HTTP_PROXY", CAUSE_PROXY_BYPASS),
        ("env-http_proxy", CAUSE_PROXY_BYPASS),
    }
    assert all(row.endpoint.startswith("custom@http://") for row in failed)


def test_suite_and_diagnose_judge_the_same_scenarios(
    diagnoses: Diagnoses, pytester: pytest.Pytester
) -> None:
    """The split suite's matrix cases and diagnose's rows are one list: same ids, same count."""
    pytester.makepyfile(test_inner_split=SPLIT_SUITE_MODULE)
    collected = pytester.runpytest_inprocess(
        "--co", "-q", "--client-factory", "harness.targets.reference:factory"
    )
    prefix = "test_inner_split.py::test_scenario["
    suite = {line[len(prefix) : -1] for line in collected.stdout.lines if line.startswith(prefix)}
    rows = {row.scenario for row in diagnoses["reference"].rows}
    assert len(suite) == len(diagnoses["reference"].rows) == len(rows)
    assert suite == rows


def test_idle_mismatch_rows_are_the_direct_non_codex_ones(diagnoses: Diagnoses) -> None:
    rows = diagnoses["idle-60"].rows
    codex = {e.id for fixture in load_fixtures() for e in fixture.endpoints if e.codex}
    assert {row.endpoint for row in rows if not row.ok} == {row.endpoint for row in rows} - codex
    assert all("keepalive armed, idle 60s" in row.observed for row in rows if not row.ok)


def test_regressed_fails_only_direct_codex_rows(diagnoses: Diagnoses) -> None:
    failed = {(row.endpoint, row.condition) for row in diagnoses["regressed"].rows if not row.ok}
    assert failed
    assert all("chatgpt.com" in endpoint.lower() for endpoint, _ in failed)
    assert {condition for _, condition in failed} == {"direct"}


def test_keepalive_not_judged_still_judges_codex(diagnoses: Diagnoses) -> None:
    """With keepalive off, a client that arms keepalive for Codex still fails the Codex rows:
    the same direct Codex rows, every one of them, for the same cause as when keepalive is
    judged, while its other rows pass."""
    judged_run, unjudged_run = diagnoses["regressed"], diagnoses["regressed-not-judged"]
    assert judged_run.as_json()["keepalive"]["judged"] is True
    assert unjudged_run.as_json()["keepalive"]["judged"] is False

    def direct(rows: Iterable[Row]) -> set[str]:
        return {row.scenario for row in rows if row.setting == DIRECT.name}

    ran = direct(unjudged_run.rows)
    assert ran and ran == direct(judged_run.rows), "the two runs drove different scenarios"
    codex = {e.id for fixture in load_fixtures() for e in fixture.endpoints if e.codex}
    direct_codex = {row.scenario for row in unjudged_run.rows if row.endpoint in codex} & ran
    assert direct_codex, render(unjudged_run)

    judged = direct(failed_rows(judged_run))
    unjudged = {row.scenario for row in failed_rows(unjudged_run)}
    assert judged == direct_codex, render(judged_run)
    assert unjudged == judged, render(unjudged_run)
    assert unjudged_run.causes() == {CAUSE_KEEPALIVE_RESET: len(unjudged)}, render(unjudged_run)
    passed = {row.scenario for row in unjudged_run.rows if row.ok and not row.skipped}
    assert passed == ran - direct_codex, render(unjudged_run)


def test_factory_that_raises_fails_its_rows_only(diagnoses: Diagnoses) -> None:
    result = diagnoses["raising"]
    failed = {(row.endpoint, row.mode, row.cause) for row in failed_rows(result)}
    assert failed == {
        (
            "openrouter@https://openrouter.ai/api/v1",
            "sync",
            "factory raised: ValueError('no client for openrouter')",
        ),
        (
            "custom@https://llm.example.test/v1",
            "async",
            "factory raised: ValueError('no async client for llm.example.test')",
        ),
    }
    pairs = {(endpoint, mode) for endpoint, mode, _ in failed}
    direct = [(r.endpoint, r.mode) for r in diagnoses["reference"].rows if r.setting == "direct"]
    assert len(failed_rows(result)) == sum(pair in pairs for pair in direct)
    assert len(result.rows) == len(direct)
    # The client got nothing; the outcome column quotes the fault the drive path saw instead.
    assert all(
        "factory raised: ValueError(" in row.outcome
        and row.observed == "nothing reached the origin"
        for row in failed_rows(result)
    )


def test_a_codex_client_with_its_own_ssl_context_fails_every_codex_row(
    diagnoses: Diagnoses,
) -> None:
    """Direct and through the proxy, the Codex origin sees a ClientHello that is not the SDK
    default client's; every other row passes, and the report names the fingerprint judged."""
    result = diagnoses["own-ssl"]
    codex = {row.scenario for row in result.rows if "codex" in row.categories}
    assert codex and {row.setting for row in result.rows if row.scenario in codex} == {
        DIRECT.name,
        "https-proxy",
    }
    assert {row.scenario for row in failed_rows(result)} == codex
    assert {row.kind for row in failed_rows(result)} == {CAUSE_CLIENT_HELLO}
    measured = result.client_hello
    assert measured is not None and set(measured) == {"sync", "async"}
    for row in failed_rows(result):
        assert row.ja4 is not None and row.ja4 != measured[row.mode]
        assert f"SDK default client's {measured[row.mode]}" in (row.cause or "")
    assert f"JA4 {measured['sync']}" in render(result)
    assert result.as_json()["client_hello"] == {"judged": True, **measured}


def test_a_codex_client_without_the_identity_headers_fails_the_challenged_rows(
    diagnoses: Diagnoses,
) -> None:
    """The same client passes the direct Codex rows and fails exactly the rows under the edge's
    identity challenge, each naming what the edge missed and showing the page it got."""
    result = diagnoses["no-identity"]
    challenged = {row.scenario for row in result.rows if row.setting == CHALLENGE}
    assert len(challenged) == 2 * sum(e.codex for f in load_fixtures() for e in f.endpoints)
    assert {row.scenario for row in failed_rows(result)} == challenged
    for row in failed_rows(result):
        assert row.kind == CAUSE_IDENTITY_CHALLENGE
        assert (row.cause or "").startswith("identity challenge: no originator header (")
        assert row.identity_challenge == "no originator header"
        assert row.outcome.startswith("403 ") and "-> identity challenge" in row.observed
    assert all(row.identity_challenge is None for row in result.rows if row.ok)
    report = result.as_json()
    assert report["identity"] == {"demanded": list(CHECKS), "source": "default"}
    assert report["causes"] == {CAUSE_IDENTITY_CHALLENGE: len(challenged)}


def test_a_declined_mode_is_skipped_with_its_reason(diagnoses: Diagnoses) -> None:
    """``harness.ModeDeclined`` in async mode: every async row skipped with the factory's reason,
    every sync row judged (and passing, as the reference it wraps)."""
    result = diagnoses["sync-only"]
    asynchronous = [row for row in result.rows if row.mode == "async"]
    synchronous = [row for row in result.rows if row.mode == "sync"]
    assert asynchronous and synchronous
    assert all(row.skipped for row in asynchronous)
    assert {row.outcome for row in asynchronous} == {
        "skipped: this codebase builds only sync clients"
    }
    assert all(row.ok and not row.skipped for row in synchronous)
    assert result.as_json()["skipped"] == len(asynchronous)


def test_raising_instead_of_declining_points_to_mode_declined(subjects: MakeSubject) -> None:
    with pytest.raises(FactoryError) as caught:
        vet_factory(subjects(bad.sync_only_raising))
    assert str(caught.value).endswith(
        "raised NotImplementedError('no async client') when called as factory('openai', "
        "'https://api.openai.com/v1', 'harness-probe-key'), async_client=True; a factory that "
        "does not build this kind of client declines it with raise harness.ModeDeclined('why')"
    )
    vet_factory(subjects(bad.sync_only))  # the documented way passes vetting


def test_factory_that_returns_no_client_fails_its_rows_only(
    diagnoses: Diagnoses,
) -> None:
    failed = failed_rows(diagnoses["wrong-type"])
    assert {(row.endpoint, row.mode) for row in failed} == {
        ("openrouter@https://openrouter.ai/api/v1", "sync"),
        ("openrouter@https://openrouter.ai/api/v1", "async"),
    }
    assert {row.cause for row in failed} == {
        f"{CAUSE_FACTORY_RETURNED}: the client factory returned Client for async_client=False; "
        "expected openai.OpenAI",
        f"{CAUSE_FACTORY_RETURNED}: the client factory returned AsyncClient for "
        "async_client=True; expected openai.AsyncOpenAI",
    }
    assert {row.kind for row in failed} == {CAUSE_FACTORY_RETURNED}


@pytest.mark.parametrize(
    ("spec", "fails"),
    [
        ("harness.targets.reference:factory", False),
        ("harness.targets.cached:factory", False),
        ("harness.targets.shared:factory", True),
    ],
    ids=["reference", "cached-per-key", "shared-process-wide"],
)
def test_reverse_order_gives_the_same_rows(subjects: MakeSubject, spec: str, fails: bool) -> None:
    """Each scenario runs in a process of its own, so running the matrix backwards changes
    nothing: the same rows, in the same order, with the same verdicts. A factory that caches its
    client per key, or shares one process-wide, gets what its transport earns: the per-key cache
    of the reference passes; one keepalive client for everything fails the direct Codex rows,
    only those, in either order."""
    subject = subjects(spec)
    fixtures = load_fixtures()
    select = _labelled(DIRECT.name)

    def rows(*, reverse: bool) -> list[tuple[str, bool, str | None]]:
        found = diagnose(subject, fixtures, select=select, reverse=reverse)
        return [(row.scenario, row.ok, row.kind) for row in found.rows]

    forward = rows(reverse=False)
    assert len(forward) == sum(select(s) for s in scenarios(fixtures, load_conditions()))
    assert rows(reverse=True) == forward
    by_id = {s.id: s for s in scenarios(fixtures, load_conditions())}
    predicted = {
        scenario_id
        for scenario_id, _, _ in forward
        if fails and {"codex", "direct"} <= set(by_id[scenario_id].categories())
    }
    assert {scenario_id for scenario_id, ok, _ in forward if not ok} == predicted
    assert {kind for _, ok, kind in forward if not ok} <= {CAUSE_KEEPALIVE_RESET}


def test_report_says_which_expectation_was_in_force(diagnoses: Diagnoses) -> None:
    default = diagnoses["reference"]
    assert default.as_json()["keepalive"] == {
        "judged": True,
        "idle_seconds": 30,
        "source": "default",
    }
    assert "keepalive required, idle 30s (from default)" in render(default).splitlines()[-1]
    off = diagnoses["no-keepalive-not-judged"]
    assert off.as_json()["keepalive"]["judged"] is False
    assert "keepalive not judged" in render(off).splitlines()[-1]
    sixty = diagnoses["idle-60-expected-60"].as_json()["keepalive"]
    assert sixty["idle_seconds"] == 60


def test_json_report_round_trips(diagnoses: Diagnoses) -> None:
    report = json.loads(json.dumps(diagnoses["regressed"].as_json()))
    assert report["ok"] is False
    assert report["causes"] == {CAUSE_KEEPALIVE_RESET: report["failed"]}
    assert len(report["rows"]) == report["total"]
    assert {row["kind"] for row in report["rows"] if not row["ok"]} == {CAUSE_KEEPALIVE_RESET}


# Hand-made results: one per cause, to pin the wording without a network.

NON_CODEX = Endpoint("openrouter", "https://openrouter.ai/api/v1", False, "openrouter")
CODEX = Endpoint("openai-codex", "https://chatgpt.com/backend-api/codex", True, "chatgpt-codex")
SERVED = Outcome(status=200, body=["gpt-4o-mini"])
RESET = Outcome(cause="ECONNRESET", error="APIConnectionError('Connection error.')")
PROXY_ENV = {"HTTPS_PROXY": "http://127.0.42.1:3128"}


def seen(
    armed: bool,
    idle: int | None = None,
    *,
    direct: bool = True,
    action: str = "serve",
    endpoint: Endpoint = NON_CODEX,
) -> Observation:
    """A connection to ``endpoint``'s origin, named as the endpoint's host (SNI)."""
    return Observation(
        origin=endpoint.origin,
        peer=("127.0.0.1", 50000),
        listen=("127.0.43.1", 40000),
        tls=True,
        sni=urlsplit(endpoint.base_url).hostname,
        alpn=("http/1.1",),
        keepalive=KeepaliveState(armed, idle, "sock_diag"),
        direct=direct,
        action=action,
        rule="test",
        decide_ms=0.1,
    )


def tunnel(host: str) -> Tunnel:
    return Tunnel(("127.0.0.1", 50001), host, 443, KeepaliveState(False, None, "sock_diag"), 200)


def result(
    outcome: Outcome,
    *observations: Observation,
    endpoint: Endpoint = NON_CODEX,
    tunnels: tuple[Tunnel, ...] = (),
    environ: dict[str, str] | None = None,
    fault: Fault | None = None,
) -> Result:
    call = Call.REPORT if endpoint.codex else Call.MODELS
    return Result(
        endpoint, call, False, outcome, observations, tunnels, "test", environ or {}, fault=fault
    )


EXPECT_30 = KeepaliveExpectation(30)


def expecting(result: Result, keepalive: KeepaliveExpectation) -> Expectation:
    """What the matrix would expect of this hand-made result's scenario."""
    scenario = Scenario(result.endpoint, result.async_client, result.call, DIRECT)
    environ = dict(result.environ)
    return replace(
        scenario.expectation(keepalive, None),
        via_proxy=expected_route(result.endpoint.base_url, environ).via_proxy,
    )


@pytest.mark.parametrize(
    "scenario, kind, words",
    [
        (result(SERVED, seen(False)), CAUSE_KEEPALIVE_OFF, "expected idle 30s"),
        (result(SERVED, seen(True, 60)), CAUSE_KEEPALIVE_IDLE, "armed 60s, expected 30s"),
        (result(SERVED, seen(True, 10)), CAUSE_KEEPALIVE_IDLE, "armed 10s, expected 30s"),
        (
            result(SERVED, seen(True, kernel_default_idle())),
            CAUSE_KEEPALIVE_KERNEL_DEFAULT,
            f"armed {kernel_default_idle()}s, the kernel default",
        ),
        (
            result(RESET, seen(True, 30, action="reset", endpoint=CODEX), endpoint=CODEX),
            CAUSE_KEEPALIVE_RESET,
            "armed TCP keepalive on its connection to chatgpt-codex",
        ),
        (
            result(SERVED, seen(True, 30), environ=PROXY_ENV),
            CAUSE_PROXY_BYPASS,
            "HTTPS_PROXY names a proxy",
        ),
        (
            result(SERVED, seen(True, 30, direct=False), tunnels=(tunnel("openrouter.ai"),)),
            CAUSE_UNEXPECTED_PROXY,
            "sent this request to the proxy",
        ),
        (
            result(Outcome(cause="TLS_VERIFY", error="APIConnectionError()")),
            CAUSE_TLS_TRUST,
            "does not trust the harness CA",
        ),
        (
            result(Outcome(status=500, body={}), seen(True, 30)),
            CAUSE_OTHER,
            "expected 200, got 500",
        ),
    ],
)
def test_cause_matches_the_observation(scenario: Result, kind: str, words: str) -> None:
    verdict = judge(scenario, expecting(scenario, EXPECT_30))
    assert not verdict.ok
    assert verdict.kind == kind
    assert verdict.cause is not None and verdict.cause.startswith(f"{kind}: ")
    assert words in verdict.cause
    assert f"likely cause: {verdict.cause}" in verdict.explain(scenario)


def test_keepalive_idle_cause_gives_both_numbers_in_the_suite_message() -> None:
    scenario = result(SERVED, seen(True, 60))
    verdict = judge(scenario, expecting(scenario, EXPECT_30))
    message = verdict.explain(scenario)
    assert "keepalive armed, idle 60s" in message  # what the origin saw
    assert "likely cause: keepalive idle mismatch: armed 60s, expected 30s" in message
    assert "not arm" not in message and "promised" not in message


@pytest.mark.parametrize("observed", [seen(False), seen(True, 60), seen(True, 7200)])
def test_keepalive_not_judged(observed: Observation) -> None:
    scenario = result(SERVED, observed)
    assert judge(scenario, expecting(scenario, KeepaliveExpectation(None))).ok


def test_keepalive_at_the_expected_idle_passes() -> None:
    scenario = result(SERVED, seen(True, 60))
    assert judge(scenario, expecting(scenario, KeepaliveExpectation(60))).ok


def faulted(fault: Fault) -> Result:
    """A hand-made result as drive() makes it when it saw the failure itself: nothing reached
    the origin, the client got nothing, and the outcome quotes the fault."""
    return result(Outcome(cause="NO_REPLY", error=fault.describe()), fault=fault)


BREACH = f"connecting for {NON_CODEX.id} (sync) took over 2.5 s"
RETURNED = "the client factory returned Client for async_client=False; expected openai.OpenAI"


@pytest.mark.parametrize(
    "fault, kind, cause",
    [
        (
            Fault(causes.FACTORY_RAISED, repr(ValueError("boom"))),
            CAUSE_FACTORY_RAISED,
            "factory raised: ValueError('boom')",
        ),
        (Fault(causes.DEADLINE, BREACH), CAUSE_DEADLINE, f"deadline: {BREACH}"),
        (
            Fault(causes.FACTORY_RETURNED, RETURNED),
            CAUSE_FACTORY_RETURNED,
            f"factory returned no client: {RETURNED}",
        ),
    ],
    ids=["factory-raised", "deadline", "factory-returned"],
)
def test_factory_raised_deadline_and_returned_wording(fault: Fault, kind: str, cause: str) -> None:
    """A failure the drive path saw itself is the verdict's cause, word for word."""
    scenario = faulted(fault)
    verdict = judge(scenario, expecting(scenario, EXPECT_30))
    assert (verdict.ok, verdict.kind, verdict.cause) == (False, kind, cause)
    assert f"likely cause: {cause}" in verdict.explain(scenario)


def test_cause_names_are_distinct_and_colon_free() -> None:
    """Summaries count by name and full causes read ``<name>: ...``."""
    assert len(set(CAUSES)) == len(CAUSES)
    assert all(":" not in name for name in CAUSES)


def test_summary_counts_by_cause_name() -> None:
    def row(kind: str | None, ok: bool = False) -> Row:
        cause = None if kind is None else f"{kind}: detail: with colons"
        return Row("e", "sync", "direct", "", "", ok, (), cause, kind=kind)

    rows = (
        row(CAUSE_KEEPALIVE_IDLE),
        row(CAUSE_KEEPALIVE_IDLE),
        row(CAUSE_KEEPALIVE_OFF),
        row(None, True),
    )
    diagnosis = Diagnosis("f", rows, 0.0)
    assert diagnosis.causes() == {CAUSE_KEEPALIVE_IDLE: 2, CAUSE_KEEPALIVE_OFF: 1}
    lines = render(diagnosis).splitlines()
    assert "  2 x keepalive idle mismatch" in lines and "  1 x keepalive off" in lines


def test_readme_counts_follow_the_matrix() -> None:
    """The README's diagnose figures are the matrix's: the number of rows and, per known-bad
    factory, the rows its defect predicts (the checks above prove each fails exactly those)."""
    if left_out(load_conditions()):
        pytest.skip("the README's figures are the matrix of a stack that expresses every condition")
    matrix = scenarios(load_fixtures(), load_conditions())

    def count(*wanted: str, label: str = "") -> int:
        return sum(set(wanted) <= set(s.categories()) and s.label.startswith(label) for s in matrix)

    scheme_blind = sum(
        s.endpoint.base_url.startswith("http://")
        and s.label in ("https-proxy", "proxy-only", "env-HTTP_PROXY", "env-http_proxy")
        for s in matrix
    )
    text = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text().split())
    assert f"Of the {len(matrix)} rows the reference passes all" in text
    assert f"the regressed factory fails {count('codex', 'direct')}," in text
    assert f"the proxyless one {count('non-codex', 'via-proxy')}," in text
    assert f"the scheme-blind one {scheme_blind} " in text
    exempted = count("non-codex", "direct", "condition:socks5-proxy")
    no_proxy_blind = count("non-codex", label="no_proxy-") + exempted
    assert f"the NO_PROXY-blind one {no_proxy_blind}," in text
    socks = [count("via-proxy", f"condition:{name}") for name in SOCKS]
    socks_non_codex = [count("non-codex", "via-proxy", f"condition:{name}") for name in SOCKS]
    assert f"drops a `socks5://` proxy {sum(socks_non_codex)}," in text
    assert f"without SOCKS support {sum(socks)}," in text
    exiting = sum("openrouter@" in s.id or bool(s.earlier) for s in matrix)
    assert f"the exiting one {exiting}," in text
    refused = count(f"condition:{REFUSES}")
    assert f"the wrong-path one {len(matrix) - refused}," in text
    assert f"the {refused} rows under the refusing proxy" in text
    codex_seen = count("codex") - count("codex", f"condition:{REFUSES}")
    assert f"(`harness.targets.ownssl`) {codex_seen}," in text
    fallback = count("non-codex", "scheme:https", f"condition:{REFUSES}")
    assert f"the one that retries directly when the proxy refuses {fallback}," in text
    assert f"fifth call {count(label='long-lived')}," in text
    assert f"API key alone {count('codex', label='long-lived')}," in text
    assert f"the client pinned to IPv6 {count(f'condition:{BLACKHOLE}')}," in text
    challenged = count("condition:codex-edge-challenge")
    assert f"`harness.targets.auxidentity:auxiliary`) {challenged}," in text


def test_a_challenged_request_is_the_identity_challenge_naming_what_it_missed() -> None:
    """The origin's record of why its edge challenged the request is the verdict's cause; the
    same request served is not."""
    challenged = RequestSeen(
        "chatgpt-codex",
        "POST",
        "chatgpt.com",
        "/backend-api/codex/responses",
        (),
        "no originator header",
    )
    page = Outcome(status=403, body="<!DOCTYPE html>")
    scenario = replace(
        result(page, seen(False, endpoint=CODEX), endpoint=CODEX), requests=(challenged,)
    )
    verdict = judge(scenario, expecting(scenario, EXPECT_30))
    assert (verdict.ok, verdict.kind) == (False, CAUSE_IDENTITY_CHALLENGE)
    assert verdict.cause is not None
    assert verdict.cause.startswith("identity challenge: no originator header (")
    assert "identity challenge (no originator header)" in verdict.explain(scenario)
    served = replace(challenged, challenged=None)
    reply = Outcome(status=400, body={"detail": "Input must be a list"})
    fine = replace(result(reply, seen(False, endpoint=CODEX), endpoint=CODEX), requests=(served,))
    expect = replace(
        expecting(fine, EXPECT_30), status=400, body={"detail": "Input must be a list"}
    )
    assert judge(fine, expect).ok


STALL = "codex-stream-stall"


@pytest.mark.parametrize(
    ("factory", "bound", "fails"),
    [
        (reference.factory, None, False),
        (streamidle.factory, None, True),
        (reference.factory, 1.0, True),
        (streamidle.factory, 1.0, False),
    ],
    ids=["reference-waits", "give-up-must-wait", "reference-must-give-up", "give-up-bounded"],
)
def test_a_silent_stream_is_judged_by_the_adopters_bound(
    subjects: MakeSubject, factory: ClientFactory, bound: float | None, fails: bool
) -> None:
    """Waiting out the silence passes by default and fails under a bound the silence exceeds;
    giving up after 1 s is the reverse. Each row carries the call's own time."""
    result = diagnose(
        subjects(factory),
        load_fixtures(),
        select=_labelled(STALL),
        stream_idle=(bound, "test"),
    )
    assert len(result.rows) == 2 and {row.call for row in result.rows} == {"stream"}
    assert all(row.seconds is not None for row in result.rows)
    if fails:
        assert result.causes() == {causes.STREAM_IDLE: 2}, render(result)
    else:
        assert result.ok, render(result)
    waited = factory is reference.factory
    assert all((row.seconds or 0) >= 2.5 for row in result.rows) is waited
    assert result.as_json()["stream_idle"] == {"seconds": bound, "source": "test"}


def test_a_connect_bound_fails_the_client_that_waits_out_the_blackholed_address(
    subjects: MakeSubject,
) -> None:
    """Under --harness-connect-within 1 the reference's sync rows of ipv6-blackhole fail (its
    connect waited out the IPv6 address), the async ones (raced) pass; every endpoint on the
    condition's hosts runs with --harness-slow-connect on."""
    result = diagnose(
        subjects(reference.factory),
        load_fixtures(),
        select=_labelled(BLACKHOLE),
        connect_within=(1.0, "test"),
        slow_connect=(True, "test"),
    )
    hosts = {"chatgpt.com", "openrouter.ai"}
    endpoints = {e.id for f in load_fixtures() for e in f.endpoints if set(f.hosts) & hosts}
    assert {row.endpoint for row in result.rows} == endpoints
    assert result.causes() == {causes.SLOW_CONNECT: len(endpoints)}, render(result)
    assert {row.mode for row in failed_rows(result)} == {"sync"}
    for row in failed_rows(result):
        assert row.cause is not None and "waited out the blackholed IPv6 address" in row.cause
    document = result.as_json()
    assert document["connect_within"] == {"seconds": 1.0, "source": "test"}
    assert document["slow_connect"] == {"every": True, "source": "test"}


def test_a_codex_client_with_its_own_ssl_context_meets_the_edges_fingerprint_rule(
    subjects: MakeSubject,
) -> None:
    """With its ClientHello unjudged, the own-SSL-context client still fails every row under the
    edge's challenge: the edge fingerprints TLS 1.2 at most, whatever the headers say."""
    result = diagnose(
        subjects(ownssl.factory), load_fixtures(), select=_labelled(CHALLENGE), client_hello=False
    )
    assert result.rows and not any(row.ok for row in result.rows)
    assert result.causes() == {CAUSE_IDENTITY_CHALLENGE: len(result.rows)}
    for row in result.rows:
        assert (row.identity_challenge or "").startswith(f"ClientHello JA4 {row.ja4} ")
        assert (row.ja4 or "").startswith("t12")
