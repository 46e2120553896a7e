"""The Codex/non-Codex split, judged by what the origins and the proxy observed.

Import it into a test module (``from harness.suites.split import *``) and run it with
``--client-factory MODULE:ATTR``. Codex endpoints must reach the backend and get its recorded
reply; every other endpoint must reach its origin with TCP keepalive armed at the idle time the
client promised (``--keepalive-idle``). With proxy variables set, every https connection must go
through the proxy, unless NO_PROXY exempts its host; in a proxy-only network (direct connections
reset) every endpoint must still get through.

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
from harness.fixtures import Endpoint
from harness.origins import Network
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


def _recorded_reply(network: Network, origin: str) -> tuple[int, object] | None:
    report = network.origin(origin).fixture.report
    if report is None or "default" not in report.outcomes:
        return None
    outcome = report.outcomes["default"]
    return None if outcome.status is None else (outcome.status, outcome.body)


def check(network: Network, result: Result, idle: int) -> None:
    """Fail with the verdict's explanation unless the scenario looked as it should."""
    endpoint = result.endpoint
    expect = Expectation(
        codex=endpoint.codex,
        keepalive_idle=None if endpoint.codex else idle,
        reply=_recorded_reply(network, endpoint.origin) if endpoint.codex else None,
        via_proxy=proxy_expected(endpoint.base_url, result.environ),
    )
    verdict = judge(result, expect)
    assert verdict.ok, verdict.explain(result)


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


@pytest.mark.codex
def test_codex_endpoint_gets_recorded_reply(
    harness_network: Network, harness_drive: Drive, codex_endpoint: Endpoint, async_client: bool
) -> None:
    result = harness_drive(codex_endpoint, Call.REPORT, async_client=async_client)
    check(harness_network, result, 0)


@pytest.mark.codex
def test_codex_endpoint_streams(
    harness_network: Network, harness_drive: Drive, codex_endpoint: Endpoint, async_client: bool
) -> None:
    result = harness_drive(codex_endpoint, Call.STREAM, async_client=async_client)
    check(harness_network, result, 0)


@pytest.mark.codex
@given(provider=codex_providers(), base_url=codex_base_urls())
def test_codex_spellings_reach_backend(
    harness_network: Network, harness_drive: Drive, async_client: bool, provider: str, base_url: str
) -> None:
    endpoint = Endpoint(provider, base_url, codex=True, origin=_codex_origin(harness_network))
    result = harness_drive(endpoint, Call.REPORT, async_client=async_client)
    check(harness_network, result, 0)


@pytest.mark.non_codex
def test_non_codex_endpoint_keeps_keepalive(
    harness_network: Network,
    harness_drive: Drive,
    non_codex_endpoint: Endpoint,
    async_client: bool,
    expected_keepalive_idle: int,
) -> None:
    result = harness_drive(non_codex_endpoint, Call.MODELS, async_client=async_client)
    check(harness_network, result, expected_keepalive_idle)


@pytest.mark.non_codex
def test_non_codex_chat_keeps_keepalive(
    harness_network: Network,
    harness_drive: Drive,
    non_codex_endpoint: Endpoint,
    async_client: bool,
    expected_keepalive_idle: int,
) -> None:
    result = harness_drive(non_codex_endpoint, Call.CHAT, async_client=async_client)
    assert result.outcome.body == "Hello", result.outcome.describe()
    check(harness_network, result, expected_keepalive_idle)


@pytest.mark.non_codex
@given(provider=lookalike_providers(), base_url=lookalike_base_urls(LOOKALIKE_HOSTS))
def test_lookalike_spellings_keep_keepalive(
    harness_network: Network,
    harness_drive: Drive,
    async_client: bool,
    expected_keepalive_idle: int,
    provider: str,
    base_url: str,
) -> None:
    if LOOKALIKE_ORIGIN not in harness_network.origins:
        pytest.skip(f"no {LOOKALIKE_ORIGIN} fixture")
    endpoint = Endpoint(provider, base_url, codex=False, origin=LOOKALIKE_ORIGIN)
    result = harness_drive(endpoint, Call.MODELS, async_client=async_client)
    check(harness_network, result, expected_keepalive_idle)


# Through the proxy: HTTPS_PROXY, https_proxy or ALL_PROXY names the harness's CONNECT proxy.


@pytest.mark.codex
@pytest.mark.parametrize("variable", PROXY_VARIABLES)
def test_codex_via_proxy_env(
    harness_network: Network,
    harness_drive: Drive,
    codex_endpoint: Endpoint,
    async_client: bool,
    variable: str,
) -> None:
    environ = {variable: harness_network.proxy.url}
    result = harness_drive(codex_endpoint, Call.REPORT, async_client=async_client, environ=environ)
    check(harness_network, result, 0)


@pytest.mark.non_codex
@pytest.mark.parametrize("variable", PROXY_VARIABLES)
def test_non_codex_via_proxy_env(
    harness_network: Network,
    harness_drive: Drive,
    non_codex_https_endpoint: Endpoint,
    async_client: bool,
    expected_keepalive_idle: int,
    variable: str,
) -> None:
    environ = {variable: harness_network.proxy.url}
    result = harness_drive(
        non_codex_https_endpoint, Call.MODELS, async_client=async_client, environ=environ
    )
    check(harness_network, result, expected_keepalive_idle)


@pytest.mark.codex
def test_codex_via_proxy_only_network(
    harness_network: Network,
    harness_drive: Drive,
    harness_conditions: dict[str, Condition],
    codex_endpoint: Endpoint,
    async_client: bool,
) -> None:
    condition = harness_conditions["proxy-only"]
    result = harness_drive(
        codex_endpoint, Call.REPORT, async_client=async_client, condition=condition
    )
    check(harness_network, result, 0)


@pytest.mark.non_codex
def test_non_codex_via_proxy_only_network(
    harness_network: Network,
    harness_drive: Drive,
    harness_conditions: dict[str, Condition],
    non_codex_https_endpoint: Endpoint,
    async_client: bool,
    expected_keepalive_idle: int,
) -> None:
    condition = harness_conditions["proxy-only"]
    result = harness_drive(
        non_codex_https_endpoint, Call.MODELS, async_client=async_client, condition=condition
    )
    check(harness_network, result, expected_keepalive_idle)


# NO_PROXY exempts the endpoint's host: the connection must go direct despite HTTPS_PROXY.


@pytest.mark.codex
@pytest.mark.parametrize("spelling", NO_PROXY_SPELLINGS)
def test_codex_no_proxy_goes_direct(
    harness_network: Network,
    harness_drive: Drive,
    codex_endpoint: Endpoint,
    async_client: bool,
    spelling: str,
) -> None:
    environ = no_proxy_environ(spelling, _host(codex_endpoint), harness_network.proxy.url)
    result = harness_drive(codex_endpoint, Call.REPORT, async_client=async_client, environ=environ)
    check(harness_network, result, 0)


@pytest.mark.non_codex
@pytest.mark.parametrize("spelling", NO_PROXY_SPELLINGS)
def test_non_codex_no_proxy_goes_direct(
    harness_network: Network,
    harness_drive: Drive,
    non_codex_https_endpoint: Endpoint,
    async_client: bool,
    expected_keepalive_idle: int,
    spelling: str,
) -> None:
    host = _host(non_codex_https_endpoint)
    environ = no_proxy_environ(spelling, host, harness_network.proxy.url)
    result = harness_drive(
        non_codex_https_endpoint, Call.MODELS, async_client=async_client, environ=environ
    )
    check(harness_network, result, expected_keepalive_idle)
