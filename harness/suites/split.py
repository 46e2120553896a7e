"""The Codex/non-Codex split, judged by what the origins and the proxy observed.

Import it into a test module (``from harness.suites.split import *``) and name the factory under
test (``--client-factory MODULE:ATTR`` or the ini key ``harness_client_factory``). Every scenario of
:mod:`harness.judging.matrix` (endpoint x sync/async x call x network condition x proxy variables
and NO_PROXY spellings) is one case of ``test_scenario``, judged by the same rules ``diagnose``
uses: Codex endpoints reach the backend and get its recorded reply; every other endpoint reaches its
origin with TCP keepalive armed at the idle time the harness expects (``--keepalive-idle``; ``off``
leaves keepalive unjudged); a connection goes through the proxy exactly when the documented proxy
rules say so. Two generated tests add hypothesis's spellings of Codex and look-alike URLs.

Each case carries its categories (the scenario's, or the ``harness_categories`` marker of a
generated test) as the JUnit property ``harness_categories``: that is how the self-check and the
release verdicts tell which cases a known defect must fail.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given

from harness.fixtures import Endpoint, Fixture
from harness.judging.client_hello import ClientHelloMeasurement
from harness.judging.drive import Result
from harness.judging.expectation import KeepaliveExpectation
from harness.judging.matrix import (
    CATEGORY_CODEX,
    CATEGORY_DIRECT,
    CATEGORY_LOOKALIKE,
    CATEGORY_NON_CODEX,
    Scenario,
    recorded_reply,
)
from harness.judging.profiles import suite_settings
from harness.judging.spellings import (
    codex_base_urls,
    codex_providers,
    lookalike_base_urls,
    lookalike_providers,
)
from harness.judging.verdicts import judge
from harness.network.conditions import DIRECT
from harness.network.origins import Network
from harness.sandbox.calls import Call

Drive = Callable[..., Result]
CODEX_HOST = "chatgpt.com"
LOOKALIKE_ORIGIN = "custom-https"
LOOKALIKE_HOSTS = ("codex.example.test", "chatgpt.com.example.test", "gateway.example.test")
#: The generated tests' hypothesis settings: the run's own profile if it chose one.
GENERATED = suite_settings()

__all__ = [
    "test_codex_spellings_reach_backend",
    "test_lookalike_spellings_keep_keepalive",
    "test_scenario",
]


def check(
    fixtures: list[Fixture],
    scenario: Scenario,
    result: Result,
    keepalive: KeepaliveExpectation,
    client_hello: ClientHelloMeasurement | None,
    stream_idle: float | None = None,
    connect_within: float | None = None,
) -> None:
    """Fail with the verdict's explanation unless the scenario looked as it should: those few
    lines alone (what was asked, what arrived, the likely cause), with no traceback of the
    harness's own frames or the values of its fixtures."""
    fixture = next(f for f in fixtures if f.name == scenario.endpoint.origin)
    expect = scenario.expectation(
        keepalive, recorded_reply(fixture), client_hello, stream_idle, connect_within
    )
    verdict = judge(result, expect)
    if not verdict.ok:
        pytest.fail(f"{verdict.explain(result)}\n  judged with: {keepalive.describe()}", False)


def run(drive: Drive, network: Network, scenario: Scenario) -> Result:
    """One scenario through ``harness_drive``: its condition, its own variables and, for a
    long-lived row, the clients its process asks for first."""
    return drive(
        scenario.endpoint,
        scenario.call,
        async_client=scenario.async_client,
        condition=scenario.condition,
        environ=scenario.own_environ(network.proxy.url),
        earlier=scenario.earlier,
    )


def test_scenario(
    harness_network: Network,
    harness_drive: Drive,
    harness_fixtures: list[Fixture],
    harness_scenario: Scenario,
    harness_keepalive_expectation: KeepaliveExpectation,
    harness_client_hello: ClientHelloMeasurement | None,
    harness_stream_idle: float | None,
    harness_connect_within: float | None,
) -> None:
    result = run(harness_drive, harness_network, harness_scenario)
    check(
        harness_fixtures,
        harness_scenario,
        result,
        harness_keepalive_expectation,
        harness_client_hello,
        harness_stream_idle,
        harness_connect_within,
    )


def _codex_origin(network: Network) -> str:
    for origin in network.origins.values():
        if CODEX_HOST in origin.fixture.hosts:
            return origin.name
    pytest.skip(f"no origin file serves {CODEX_HOST}")


@pytest.mark.harness_codex
@pytest.mark.harness_categories(CATEGORY_CODEX, CATEGORY_DIRECT, "generated")
@GENERATED
@given(provider=codex_providers(), base_url=codex_base_urls())
def test_codex_spellings_reach_backend(
    harness_network: Network,
    harness_drive: Drive,
    harness_fixtures: list[Fixture],
    harness_async_client: bool,
    harness_keepalive_expectation: KeepaliveExpectation,
    harness_client_hello: ClientHelloMeasurement | None,
    provider: str,
    base_url: str,
) -> None:
    endpoint = Endpoint(provider, base_url, codex=True, origin=_codex_origin(harness_network))
    scenario = Scenario(endpoint, harness_async_client, Call.REPORT, DIRECT, label="spelling")
    result = run(harness_drive, harness_network, scenario)
    check(harness_fixtures, scenario, result, harness_keepalive_expectation, harness_client_hello)


@pytest.mark.harness_non_codex
@pytest.mark.harness_categories(
    CATEGORY_NON_CODEX, CATEGORY_DIRECT, CATEGORY_LOOKALIKE, "generated"
)
@GENERATED
@given(provider=lookalike_providers(), base_url=lookalike_base_urls(LOOKALIKE_HOSTS))
def test_lookalike_spellings_keep_keepalive(
    harness_network: Network,
    harness_drive: Drive,
    harness_fixtures: list[Fixture],
    harness_async_client: bool,
    harness_keepalive_expectation: KeepaliveExpectation,
    provider: str,
    base_url: str,
) -> None:
    if LOOKALIKE_ORIGIN not in harness_network.origins:
        pytest.skip(f"no {LOOKALIKE_ORIGIN} origin file")
    endpoint = Endpoint(provider, base_url, codex=False, origin=LOOKALIKE_ORIGIN)
    scenario = Scenario(endpoint, harness_async_client, Call.MODELS, DIRECT, label="spelling")
    result = run(harness_drive, harness_network, scenario)
    check(harness_fixtures, scenario, result, harness_keepalive_expectation, None)
