"""The fault catalog: what an httpx client and an openai client see for each fault.

Gate faults act before the TLS handshake completes (or, for reset_after, once N bytes reached the
client); reply faults act at the HTTP layer of the backend. Each is applied here through the
plugin's ``harness_fault`` / ``harness_reply`` fixtures or the ``harness_fault`` marker, and one
test loads them from a fixture file.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from harness.fixtures import FIXTURE_DIR, load_fixture
from harness.origins import Network
from harness.pki import Authority
from harness.scenario import Outcome, classify

Inject = Callable[..., AbstractContextManager[None]]
URL = "https://api.openai.com/v1"
KEEPALIVE = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]


def httpx_outcome(network: Network, base: str = URL, *, keepalive: bool = False) -> Outcome:
    with network.reachable():  # build inside: the client reads SSL_CERT_FILE when it is built
        transport = httpx.HTTPTransport(socket_options=KEEPALIVE if keepalive else None)
        client = httpx.Client(transport=transport, timeout=0.5)
    with network.reachable(), client:
        try:
            response = client.get(base + "/models")
        except httpx.HTTPError as exc:
            return classify(exc)
    return Outcome(status=response.status_code, body=response.headers.get("retry-after"))


def openai_outcome(network: Network, base: str = URL) -> Outcome:
    with (
        network.reachable(),
        openai.OpenAI(api_key="k", base_url=base, timeout=0.5, max_retries=0) as client,
    ):
        try:
            client.models.list()
        except openai.APIError as exc:
            return classify(exc)
    return Outcome(status=200)


def seen(outcome: Outcome) -> str | int | None:
    return outcome.status if outcome.reached else outcome.cause


GATE_FAULTS: dict[str, tuple[list[dict[str, Any]], bool, str | int]] = {
    "reset-always": ([{"when": "always", "action": "reset"}], False, "ECONNRESET"),
    "reset-sni": ([{"when": {"sni": "api.openai.com"}, "action": "reset"}], False, "ECONNRESET"),
    "reset-alpn": ([{"when": {"alpn": "http/1.1"}, "action": "reset"}], False, "ECONNRESET"),
    "reset-keepalive-direct": (
        [{"when": {"all": ["keepalive", "direct"]}, "action": "reset"}],
        True,
        "ECONNRESET",
    ),
    "reset-keepalive-spares-default": (
        [{"when": {"all": ["keepalive", "direct"]}, "action": "reset"}],
        False,
        200,
    ),
    "reset-after-100-bytes": (
        [{"when": "tls", "action": "reset_after", "bytes": 100}],
        False,
        "ECONNRESET",
    ),
    "stall": ([{"when": "always", "action": "stall", "seconds": 3}], False, "TIMEOUT"),
    "alert": ([{"when": "always", "action": "alert"}], False, "TLS"),
}


@pytest.mark.parametrize("rules, keepalive, expected", GATE_FAULTS.values(), ids=list(GATE_FAULTS))
def test_gate_fault(
    harness_network: Network,
    harness_fault: Inject,
    rules: list[dict[str, Any]],
    keepalive: bool,
    expected: str | int,
) -> None:
    mark = harness_network.log.mark()
    with harness_fault("api-openai", *rules):
        assert seen(httpx_outcome(harness_network, keepalive=keepalive)) == expected
        if not keepalive:  # the SDK default client has no keepalive either
            assert seen(openai_outcome(harness_network)) == expected
    assert harness_network.log.of("api-openai", mark)


REPLY_FAULTS: dict[str, tuple[dict[str, Any], Any, Any]] = {
    "429-retry-after": (
        {
            "status": 429,
            "headers": {"retry-after": "7"},
            "json": {"error": {"message": "slow down"}},
        },
        (429, "7"),
        429,
    ),
    "500": ({"status": 500, "json": {"error": {"message": "boom"}}}, (500, None), 500),
    "503-retry-after": (
        {"status": 503, "headers": {"retry-after": "1"}, "json": {}},
        (503, "1"),
        503,
    ),
    "close-before-response": (
        {"status": 200, "close_before_response": True},
        "PROTOCOL",
        "PROTOCOL",
    ),
}


@pytest.mark.parametrize(
    "reply, httpx_sees, openai_sees", REPLY_FAULTS.values(), ids=list(REPLY_FAULTS)
)
def test_reply_fault(
    harness_network: Network,
    harness_reply: Inject,
    reply: dict[str, Any],
    httpx_sees: Any,
    openai_sees: Any,
) -> None:
    with harness_reply("api-openai", {"method": "GET", "path_suffix": "/models", **reply}):
        got = httpx_outcome(harness_network)
        assert ((got.status, got.body) if got.reached else got.cause) == httpx_sees
        assert seen(openai_outcome(harness_network)) == openai_sees
    assert seen(httpx_outcome(harness_network)) == 200  # the fixture's reply is back


def test_sse_stream_cut_mid_event(harness_network: Network, harness_reply: Inject) -> None:
    codex = json.loads((FIXTURE_DIR / "chatgpt-codex.json").read_text())
    stream = next(r for r in codex["replies"] if "sse" in r)
    cut = dict(stream, sse_cut_after=1)
    payload = {"model": "gpt-5.4", "input": [{"role": "user", "content": "hi"}], "stream": True}
    url = "https://chatgpt.com/backend-api/codex"
    with harness_reply("chatgpt-codex", cut), harness_network.reachable():
        received: list[str] = []
        with (
            httpx.Client(timeout=2) as client,
            pytest.raises(httpx.RemoteProtocolError),
            client.stream("POST", url + "/responses", json=payload) as response,
        ):
            received.extend(response.iter_lines())
        # the first event whole, then half of the second: its data line never ends
        assert received[:3] == ["event: response.created", received[1], ""]
        assert received[3] == "event: response.output_text.delta"
        assert not received[-1].endswith("}")
        with openai.OpenAI(api_key="k", base_url=url, max_retries=0) as client:
            events: list[str] = []
            with pytest.raises(Exception) as caught:
                for event in client.responses.create(**payload):
                    events.append(event.type)
        assert events == ["response.created"]
        assert classify(caught.value).cause == "PROTOCOL"


@pytest.mark.harness_fault("openrouter", {"when": "always", "action": "reset"})
def test_marker_applies_for_one_test(harness_network: Network) -> None:
    assert seen(httpx_outcome(harness_network, "https://openrouter.ai/api/v1")) == "ECONNRESET"


def test_marker_is_undone_after_the_test(harness_network: Network) -> None:
    assert seen(httpx_outcome(harness_network, "https://openrouter.ai/api/v1")) == 200


@pytest.fixture
def faulty_network(tmp_path: Path) -> Iterator[Network]:
    """An origin whose faults come from a fixture file, as a recorded fault would."""
    data = json.loads((FIXTURE_DIR / "api-openai.json").read_text())
    data["name"] = "flaky-openai"
    data["faults"] = [{"when": {"sni": "api.openai.com"}, "action": "reset_after", "bytes": 60}]
    data["replies"][0] = dict(data["replies"][0], status=503, headers={"retry-after": "2"})
    path = tmp_path / "flaky-openai.json"
    path.write_text(json.dumps(data))
    with Network([load_fixture(path)], Authority(tmp_path)) as network:
        yield network


def test_faults_from_a_fixture_file(faulty_network: Network) -> None:
    assert seen(httpx_outcome(faulty_network)) == "ECONNRESET"
    seen_by_gate = faulty_network.log.of("flaky-openai")
    assert [o.rule for o in seen_by_gate] == ["reset_after bytes=60 when sni=api.openai.com"]
