"""The installed hermes-agent gets the verdict its release's known behaviour predicts, no more.

One fresh pytest process runs the split suite against ``harness.targets.hermes:factory``; the
failing set must be exactly the one a rule over test names gives for the installed version, and
everything else must pass. The run's JUnit XML goes to ``artifacts/`` for CI to keep.

What the releases do (hermes-agent issue 12952 and the wheels on the package index):

- 0.13.0 to 0.18.0: ``AIAgent._create_openai_client`` (the sync path) injects a keepalive
  transport for every provider, Codex included, so direct sync Codex connections are reset and
  direct sync non-Codex connections have keepalive armed.
- ``_to_async_client`` builds its ``AsyncOpenAI`` without that transport up to 0.17.0 and with it
  (``build_keepalive_http_client``) in 0.18.0, so only 0.18.0 arms keepalive on async clients.
- 0.18.1 and later: no socket options anywhere; Codex gets through, no connection has keepalive.
- Every release honours the proxy variables, and through a proxy the origin sees the proxy's
  socket: cases named ``*via_proxy*`` pass (the suite judges keepalive on direct connections only).
- Async Codex is never built by Hermes (see ``harness.targets.hermes``): skipped with the reason.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest
from packaging.version import Version

try:
    INSTALLED = Version(importlib.metadata.version("hermes-agent"))
except importlib.metadata.PackageNotFoundError:
    pytest.skip(
        "hermes-agent is not installed (tox -e hermes017 or hermes019)", allow_module_level=True
    )

from harness.suites.runner import run_split_suite
from harness.targets import hermes  # needs hermes-agent, checked above

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
#: The releases (first, last) whose client for each mode puts SO_KEEPALIVE on its sockets.
KEEPALIVE_RELEASES = {
    "sync": (Version("0.13.0"), Version("0.18.0")),
    "async": (Version("0.18.0"), Version("0.18.0")),
}
SUITE_TIMEOUT_SECONDS = 600

#: Used only when a release has no async construction path at all: the harness vets sync and
#: async together, so the factory comes in as a fixture override and async cases are skipped.
NO_ASYNC_CONFTEST = """
import pytest
from harness.targets.hermes import factory

REASON = {reason!r}

@pytest.fixture(scope="session")
def client_factory():
    return factory

def pytest_collection_modifyitems(items):
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("async_client"):
            item.add_marker(pytest.mark.skip(reason=REASON))
"""


def mode(name: str) -> str:
    """``async`` when a ``-``-separated part of the test id is ``async``; otherwise ``sync``, the
    harness's default."""
    params = name.partition("[")[2].rstrip("]")
    return "async" if "async" in params.split("-") else "sync"


def keepalive_armed(version: Version, name: str) -> bool:
    """Whether the release puts SO_KEEPALIVE on the sockets of this case's client."""
    first, last = KEEPALIVE_RELEASES[mode(name)]
    return first <= version <= last


def expected(version: Version, name: str, async_reason: str | None) -> str:
    """The outcome the release's known behaviour predicts for one test case."""
    if mode(name) == "async" and async_reason is not None:
        return "skipped"
    codex = name.startswith("test_codex_")
    if codex and mode(name) == "async":
        return "skipped"
    if "via_proxy" in name:
        return "passed"
    if codex:
        return "failed" if keepalive_armed(version, name) else "passed"
    if name.startswith(("test_non_codex_", "test_lookalike_")):
        return "passed" if keepalive_armed(version, name) else "failed"
    return "passed"


#: What each kind of departure from a pass must say, so a case fails for the predicted reason.
FAILURE_WORDS = {"codex": "ECONNRESET", "non_codex": "keepalive off"}


def run_suite(pytester: pytest.Pytester, async_reason: str | None) -> dict[str, tuple[str, str]]:
    """Run the split suite against Hermes in a fresh process; map each case to (outcome, text)."""
    factory_args = ["--client-factory", "harness.targets.hermes:factory"]
    if async_reason is not None:
        pytester.makeconftest(NO_ASYNC_CONFTEST.format(reason=async_reason))
        factory_args = []
    ARTIFACTS.mkdir(exist_ok=True)
    report = ARTIFACTS / f"hermes-{INSTALLED}-junit.xml"
    cases = run_split_suite(pytester, report, *factory_args, timeout=SUITE_TIMEOUT_SECONDS)
    return {case.name: (case.outcome, case.text) for case in cases}


def test_installed_release_gets_its_predicted_verdict(pytester: pytest.Pytester) -> None:
    version = INSTALLED
    if version < KEEPALIVE_RELEASES["sync"][0]:
        pytest.skip(f"no recorded behaviour for hermes-agent {version} (before 0.13.0)")
    async_reason = hermes.async_unavailable_reason()
    outcomes = run_suite(pytester, async_reason)
    predicted = {name: expected(version, name, async_reason) for name in outcomes}
    wrong = {
        name: f"expected {predicted[name]}, got {kind}: {text.strip()[:300]}"
        for name, (kind, text) in outcomes.items()
        if kind != predicted[name]
    }
    assert not wrong, f"hermes-agent {version}: " + "\n".join(
        f"{name}: {why}" for name, why in sorted(wrong.items())
    )
    for name, (kind, text) in outcomes.items():
        if kind == "failed":
            words = FAILURE_WORDS["codex" if name.startswith("test_codex_") else "non_codex"]
            assert words in text, f"{name} failed for another reason: {text[:500]}"
        elif kind == "skipped":
            reason = async_reason or "builds no AsyncOpenAI for the Codex backend"
            assert reason in text, f"{name} skipped for another reason: {text[:500]}"
    assert "passed" in {kind for kind, _ in outcomes.values()}, outcomes
