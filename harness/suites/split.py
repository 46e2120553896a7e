"""The Codex/non-Codex split, judged by what the origins observed and what the client got.

Import it into a test module (``from harness.suites.split import *``) and run it with
``--client-factory MODULE:ATTR``. Codex endpoints must reach the backend and get its recorded
reply; every other endpoint must reach its origin with TCP keepalive armed at the idle time the
client promised (``--keepalive-idle``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given

from harness.fixtures import Endpoint
from harness.origins import Network
from harness.scenario import Call, Result
from harness.spellings import (
    codex_base_urls,
    codex_providers,
    lookalike_base_urls,
    lookalike_providers,
)

Drive = Callable[..., Result]
CODEX_HOST = "chatgpt.com"
STREAM_EVENTS = ("response.created", "response.output_text.delta", "response.completed")

__all__ = [
    "test_codex_endpoint_gets_recorded_reply",
    "test_codex_endpoint_streams",
    "test_codex_spellings_reach_backend",
    "test_lookalike_spellings_keep_keepalive",
    "test_non_codex_chat_keeps_keepalive",
    "test_non_codex_endpoint_keeps_keepalive",
]


def _codex_origin(network: Network) -> str:
    for origin in network.origins.values():
        if CODEX_HOST in origin.fixture.hosts:
            return origin.name
    pytest.skip(f"no fixture serves {CODEX_HOST}")


def _reported_default(network: Network, origin: str) -> tuple[int, object]:
    report = network.origin(origin).fixture.report
    if report is None or "default" not in report.outcomes:
        pytest.skip(f"fixture {origin} records no default-client outcome")
    outcome = report.outcomes["default"]
    assert outcome.status is not None
    return outcome.status, outcome.body


def _explain(result: Result) -> str:
    seen = "; ".join(o.summary() for o in result.observations) or "no connection reached the origin"
    mode = "async" if result.async_client else "sync"
    return (
        f"{result.endpoint.id} ({mode}, {result.call.value}): "
        f"client got {result.outcome.describe()}; origin saw: {seen}"
    )


def assert_codex_reply(network: Network, result: Result) -> None:
    status, body = _reported_default(network, result.endpoint.origin)
    assert result.observations, _explain(result)
    assert all(o.action == "serve" for o in result.observations), _explain(result)
    assert (result.outcome.status, result.outcome.body) == (status, body), _explain(result)


def assert_keepalive(result: Result, idle: int) -> None:
    assert result.outcome.status == 200, _explain(result)
    assert result.observations, _explain(result)
    for observation in result.observations:
        assert observation.keepalive.armed, _explain(result)
        assert observation.keepalive.idle_seconds == idle, _explain(result)


@pytest.mark.codex
def test_codex_endpoint_gets_recorded_reply(
    harness_network: Network, harness_drive: Drive, codex_endpoint: Endpoint, async_client: bool
) -> None:
    result = harness_drive(codex_endpoint, Call.REPORT, async_client=async_client)
    assert_codex_reply(harness_network, result)


@pytest.mark.codex
def test_codex_endpoint_streams(
    harness_drive: Drive, codex_endpoint: Endpoint, async_client: bool
) -> None:
    result = harness_drive(codex_endpoint, Call.STREAM, async_client=async_client)
    assert result.observations, _explain(result)
    assert result.outcome.events == STREAM_EVENTS, _explain(result)


@pytest.mark.codex
@given(provider=codex_providers(), base_url=codex_base_urls())
def test_codex_spellings_reach_backend(
    harness_network: Network, harness_drive: Drive, async_client: bool, provider: str, base_url: str
) -> None:
    endpoint = Endpoint(provider, base_url, codex=True, origin=_codex_origin(harness_network))
    result = harness_drive(endpoint, Call.REPORT, async_client=async_client)
    assert_codex_reply(harness_network, result)


@pytest.mark.non_codex
def test_non_codex_endpoint_keeps_keepalive(
    harness_drive: Drive,
    non_codex_endpoint: Endpoint,
    async_client: bool,
    expected_keepalive_idle: int,
) -> None:
    result = harness_drive(non_codex_endpoint, Call.MODELS, async_client=async_client)
    assert_keepalive(result, expected_keepalive_idle)


@pytest.mark.non_codex
def test_non_codex_chat_keeps_keepalive(
    harness_drive: Drive,
    non_codex_endpoint: Endpoint,
    async_client: bool,
    expected_keepalive_idle: int,
) -> None:
    result = harness_drive(non_codex_endpoint, Call.CHAT, async_client=async_client)
    assert result.outcome.body == "Hello", _explain(result)
    assert_keepalive(result, expected_keepalive_idle)


LOOKALIKE_ORIGIN = "custom-https"


@pytest.mark.non_codex
@given(
    provider=lookalike_providers(),
    base_url=lookalike_base_urls(
        ("codex.example.test", "chatgpt.com.example.test", "gateway.example.test")
    ),
)
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
    assert_keepalive(result, expected_keepalive_idle)
