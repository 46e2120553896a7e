"""The Codex/non-Codex split, judged by what the origins and the proxy observed.

Import it into a test module (``from harness.suites.split import *``) and name the factory under
test (``--client-factory MODULE:ATTR`` or the ini key ``harness_client_factory``). Codex endpoints
must reach the backend and get its recorded reply; every other endpoint must reach its origin with
TCP keepalive armed at the idle time the harness expects (``--keepalive-idle``; ``off`` leaves
keepalive unjudged). With proxy variables set, every https connection must go through the proxy,
unless NO_PROXY exempts its host; in a proxy-only network (direct connections reset) every
endpoint must still get through.

Test names carry the category the self-check relies on: ``test_codex_*`` / ``test_non_codex_*``
(and ``test_lookalike_*``, which are non-Codex), with ``via_proxy`` in the name of every test whose
connections are expected to go through the proxy.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from hypothesis import given

from harness.conditions import Condition
from harness.expectation import KeepaliveExpectation
from harness.fixtures import Endpoint
from harness.origins import Network
from harness.profiles import suite_settings
from harness.scenario import Call, Result
from harness.spellings import (
    codex_base_urls,
    codex_providers,
    lookalike_base_urls,
    lookalike_providers,
)
from harness.verdicts import Expectation, judge, proxy_expected

Drive = Callable[..., Result]
CODEX_HOST = "chatgpt.com"
LOOKALIKE_ORIGIN = "custom-https"
LOOKALIKE_HOSTS = ("codex.example.test", "chatgpt.com.example.test", "gateway.example.test")
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY")
NO_PROXY_SPELLINGS = ("exact", "domain", "star", "lowercase-variable", "uppercase-value")
PROXY_ONLY = "proxy-only"
#: Codex connections are judged by the reply they get, never by their keepalive.
CODEX_NOT_JUDGED = KeepaliveExpectation(None)
#: The generated tests' hypothesis settings: the run's own profile if it chose one.
GENERATED = suite_settings()

__all__ = [
    "test_codex_endpoint_gets_recorded_reply",
    "test_codex_endpoint_streams",
    "test_codex_no_proxy_goes_direct",
    "test_codex_spellings_reach_backend",
    "test_codex_via_proxy_env",
    "test_codex_via_proxy_only_network",
    "test_lookalike_spellings_keep_keepalive",
    "test_non_codex_chat_keeps_keepalive",
    "test_non_codex_endpoint_keeps_keepalive",
    "test_non_codex_no_proxy_goes_direct",
    "test_non_codex_via_proxy_env",
    "test_non_codex_via_proxy_only_network",
]


def _codex_origin(network: Network) -> str:
    for origin in network.origins.values():
        if CODEX_HOST in origin.fixture.hosts:
            return origin.name
    pytest.skip(f"no fixture serves {CODEX_HOST}")


def _condition(conditions: dict[str, Condition], name: str) -> Condition:
    if name not in conditions:
        pytest.skip(f"no {name!r} condition among the origin files' conditions/")
    return conditions[name]


def _recorded_reply(network: Network, origin: str) -> tuple[int, object] | None:
    report = network.origin(origin).fixture.report
    if report is None or "default" not in report.outcomes:
        return None
    outcome = report.outcomes["default"]
    return None if outcome.status is None else (outcome.status, outcome.body)


def check(network: Network, result: Result, keepalive: KeepaliveExpectation) -> None:
    """Fail with the verdict's explanation unless the scenario looked as it should."""
    endpoint = result.endpoint
    expect = Expectation(
        codex=endpoint.codex,
        keepalive_idle=None if endpoint.codex else keepalive.idle_seconds,
        reply=_recorded_reply(network, endpoint.origin) if endpoint.codex else None,
        via_proxy=proxy_expected(endpoint.base_url, result.environ),
    )
    verdict = judge(result, expect)
    assert verdict.ok, f"{verdict.explain(result)}\n  judged with: {keepalive.describe()}"


def _host(endpoint: Endpoint) -> str:
    return (urlsplit(endpoint.base_url).hostname or "").lower()


def no_proxy_environ(spelling: str, host: str, proxy_url: str) -> dict[str, str]:
    """HTTPS_PROXY plus a NO_PROXY spelling that exempts ``host``."""
    value = {
        "exact": host,
        "domain": ".".join(host.split(".")[-2:]),
        "star": "*",
        "lowercase-variable": host,
        "uppercase-value": host.upper(),
    }[spelling]
    variable = "no_proxy" if spelling == "lowercase-variable" else "NO_PROXY"
    # "*" is a wildcard only on its own: urllib ignores it inside a list (httpx does not).
    listed = value if spelling == "star" else f"unrelated.example.test,{value}"
    return {"HTTPS_PROXY": proxy_url, variable: listed}


# Direct: no proxy variables.


@pytest.mark.harness_codex
def test_codex_endpoint_gets_recorded_reply(
    harness_network: Network,
    harness_drive: Drive,
    harness_codex_endpoint: Endpoint,
    harness_async_client: bool,
) -> None:
    result = harness_drive(harness_codex_endpoint, Call.REPORT, async_client=harness_async_client)
    check(harness_network, result, CODEX_NOT_JUDGED)


@pytest.mark.harness_codex
def test_codex_endpoint_streams(
    harness_network: Network,
    harness_drive: Drive,
    harness_codex_endpoint: Endpoint,
    harness_async_client: bool,
) -> None:
    result = harness_drive(harness_codex_endpoint, Call.STREAM, async_client=harness_async_client)
    check(harness_network, result, CODEX_NOT_JUDGED)


@pytest.mark.harness_codex
@GENERATED
@given(provider=codex_providers(), base_url=codex_base_urls())
def test_codex_spellings_reach_backend(
    harness_network: Network,
    harness_drive: Drive,
    harness_async_client: bool,
    provider: str,
    base_url: str,
) -> None:
    endpoint = Endpoint(provider, base_url, codex=True, origin=_codex_origin(harness_network))
    result = harness_drive(endpoint, Call.REPORT, async_client=harness_async_client)
    check(harness_network, result, CODEX_NOT_JUDGED)


@pytest.mark.harness_non_codex
def test_non_codex_endpoint_keeps_keepalive(
    harness_network: Network,
    harness_drive: Drive,
    harness_non_codex_endpoint: Endpoint,
    harness_async_client: bool,
    harness_keepalive_expectation: KeepaliveExpectation,
) -> None:
    result = harness_drive(
        harness_non_codex_endpoint, Call.MODELS, async_client=harness_async_client
    )
    check(harness_network, result, harness_keepalive_expectation)


@pytest.mark.harness_non_codex
def test_non_codex_chat_keeps_keepalive(
    harness_network: Network,
    harness_drive: Drive,
    harness_non_codex_endpoint: Endpoint,
    harness_async_client: bool,
    harness_keepalive_expectation: KeepaliveExpectation,
) -> None:
    result = harness_drive(harness_non_codex_endpoint, Call.CHAT, async_client=harness_async_client)
    assert result.outcome.body == "Hello", result.outcome.describe()
    check(harness_network, result, harness_keepalive_expectation)


@pytest.mark.harness_non_codex
@GENERATED
@given(provider=lookalike_providers(), base_url=lookalike_base_urls(LOOKALIKE_HOSTS))
def test_lookalike_spellings_keep_keepalive(
    harness_network: Network,
    harness_drive: Drive,
    harness_async_client: bool,
    harness_keepalive_expectation: KeepaliveExpectation,
    provider: str,
    base_url: str,
) -> None:
    if LOOKALIKE_ORIGIN not in harness_network.origins:
        pytest.skip(f"no {LOOKALIKE_ORIGIN} fixture")
    endpoint = Endpoint(provider, base_url, codex=False, origin=LOOKALIKE_ORIGIN)
    result = harness_drive(endpoint, Call.MODELS, async_client=harness_async_client)
    check(harness_network, result, harness_keepalive_expectation)


# Through the proxy: HTTPS_PROXY, https_proxy or ALL_PROXY names the harness's CONNECT proxy.


@pytest.mark.harness_codex
@pytest.mark.parametrize("variable", PROXY_VARIABLES)
def test_codex_via_proxy_env(
    harness_network: Network,
    harness_drive: Drive,
    harness_codex_endpoint: Endpoint,
    harness_async_client: bool,
    variable: str,
) -> None:
    environ = {variable: harness_network.proxy.url}
    result = harness_drive(
        harness_codex_endpoint, Call.REPORT, async_client=harness_async_client, environ=environ
    )
    check(harness_network, result, CODEX_NOT_JUDGED)


@pytest.mark.harness_non_codex
@pytest.mark.parametrize("variable", PROXY_VARIABLES)
def test_non_codex_via_proxy_env(
    harness_network: Network,
    harness_drive: Drive,
    harness_non_codex_https_endpoint: Endpoint,
    harness_async_client: bool,
    harness_keepalive_expectation: KeepaliveExpectation,
    variable: str,
) -> None:
    environ = {variable: harness_network.proxy.url}
    result = harness_drive(
        harness_non_codex_https_endpoint,
        Call.MODELS,
        async_client=harness_async_client,
        environ=environ,
    )
    check(harness_network, result, harness_keepalive_expectation)


@pytest.mark.harness_codex
def test_codex_via_proxy_only_network(
    harness_network: Network,
    harness_drive: Drive,
    harness_conditions: dict[str, Condition],
    harness_codex_endpoint: Endpoint,
    harness_async_client: bool,
) -> None:
    condition = _condition(harness_conditions, PROXY_ONLY)
    result = harness_drive(
        harness_codex_endpoint, Call.REPORT, async_client=harness_async_client, condition=condition
    )
    check(harness_network, result, CODEX_NOT_JUDGED)


@pytest.mark.harness_non_codex
def test_non_codex_via_proxy_only_network(
    harness_network: Network,
    harness_drive: Drive,
    harness_conditions: dict[str, Condition],
    harness_non_codex_https_endpoint: Endpoint,
    harness_async_client: bool,
    harness_keepalive_expectation: KeepaliveExpectation,
) -> None:
    condition = _condition(harness_conditions, PROXY_ONLY)
    result = harness_drive(
        harness_non_codex_https_endpoint,
        Call.MODELS,
        async_client=harness_async_client,
        condition=condition,
    )
    check(harness_network, result, harness_keepalive_expectation)


# NO_PROXY exempts the endpoint's host: the connection must go direct despite HTTPS_PROXY.


@pytest.mark.harness_codex
@pytest.mark.parametrize("spelling", NO_PROXY_SPELLINGS)
def test_codex_no_proxy_goes_direct(
    harness_network: Network,
    harness_drive: Drive,
    harness_codex_endpoint: Endpoint,
    harness_async_client: bool,
    spelling: str,
) -> None:
    environ = no_proxy_environ(spelling, _host(harness_codex_endpoint), harness_network.proxy.url)
    result = harness_drive(
        harness_codex_endpoint, Call.REPORT, async_client=harness_async_client, environ=environ
    )
    check(harness_network, result, CODEX_NOT_JUDGED)


@pytest.mark.harness_non_codex
@pytest.mark.parametrize("spelling", NO_PROXY_SPELLINGS)
def test_non_codex_no_proxy_goes_direct(
    harness_network: Network,
    harness_drive: Drive,
    harness_non_codex_https_endpoint: Endpoint,
    harness_async_client: bool,
    harness_keepalive_expectation: KeepaliveExpectation,
    spelling: str,
) -> None:
    host = _host(harness_non_codex_https_endpoint)
    environ = no_proxy_environ(spelling, host, harness_network.proxy.url)
    result = harness_drive(
        harness_non_codex_https_endpoint,
        Call.MODELS,
        async_client=harness_async_client,
        environ=environ,
    )
    check(harness_network, result, harness_keepalive_expectation)
