"""The fault catalog: what an httpx client and an openai client see for each fault.

Gate faults act before the TLS handshake completes (or, for reset_after, once N bytes reached the
client); reply faults act at the HTTP layer of the backend. Each is applied here through the
plugin's ``harness_fault`` / ``harness_reply`` fixtures or the ``harness_fault`` marker, and one
test loads them from a fixture file.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from harness.fixtures import FIXTURE_DIR, load_fixture
from harness.network.faults import FaultRules, RuleError
from harness.network.origins import Network
from harness.network.pki import Authority
from harness.sandbox.outcomes import Outcome, classify, failure_cause

Inject = Callable[..., AbstractContextManager[None]]
URL = "https://api.openai.com/v1"
KEEPALIVE = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]

#: A stream cut mid-event: openai 2.x lets httpx's RemoteProtocolError through unwrapped,
#: openai 3.x (on httpx2) wraps it in APIConnectionError.
SDK_SSE_CUT: type = (
    httpx.RemoteProtocolError
    if int(openai.__version__.split(".")[0]) < 3
    else openai.APIConnectionError
)


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


def compact(data: Any) -> str:
    """JSON as an SSE data line carries it (no spaces after separators)."""
    return json.dumps(data, separators=(",", ":"))


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
        # the first event whole, then half of the second: its event line arrives, its data line
        # never ends, so no line of it is ever yielded
        first = compact(stream["sse"][0]["data"])
        assert received == [
            "event: response.created",
            f"data: {first}",
            "",
            "event: response.output_text.delta",
        ]
        with openai.OpenAI(api_key="k", base_url=url, max_retries=0) as client:
            events: list[str] = []
            with pytest.raises(SDK_SSE_CUT) as caught:
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


# The exception classes the README's fault table promises, for httpx and openai, sync and async.
# Each client kind makes one request and hands back what it raised (or what it returned).

CLIENT_KINDS = ("httpx", "httpx-async", "openai", "openai-async")
TIMEOUT = 2.0  # a fault that is not a stall answers in milliseconds
STALL_TIMEOUT = 0.2  # well inside the stall below, so the client gives up first


async def _attempt_async(kind: str, base: str, timeout: float) -> object:
    if kind == "httpx-async":
        async with httpx.AsyncClient(timeout=timeout) as client:
            return await client.get(base + "/models")
    async with openai.AsyncOpenAI(
        api_key="k", base_url=base, timeout=timeout, max_retries=0
    ) as sdk:
        return await sdk.models.list()


def attempt(network: Network, kind: str, *, base: str = URL, timeout: float = TIMEOUT) -> object:
    """List the models with a client of ``kind``, built and used under the harness's routing;
    the exception it raised, else the response (httpx) or page (openai)."""
    with network.reachable():
        try:
            if kind == "httpx":
                with httpx.Client(timeout=timeout) as client:
                    return client.get(base + "/models")
            if kind == "openai":
                with openai.OpenAI(
                    api_key="k", base_url=base, timeout=timeout, max_retries=0
                ) as sdk:
                    return sdk.models.list()
            return asyncio.run(_attempt_async(kind, base, timeout))
        except Exception as exc:
            return exc


def raised(kind: str, httpx_sync: Classes, httpx_async: Classes, sdk: Classes) -> tuple[type, ...]:
    """The classes a client kind may raise for a fault (more than one where the order in which
    the client reads the end of the stream and the reset is a race)."""
    chosen = {"httpx": httpx_sync, "httpx-async": httpx_async}.get(kind, sdk)
    return chosen if isinstance(chosen, tuple) else (chosen,)


def _one_of(value: Causes) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


# README fault row → gate rule, the classes raised by httpx sync, httpx async and openai, and the
# cause found down the chain by sync and by async clients (openai's follows the httpx it runs on)
Classes = type | tuple[type, ...]
Causes = str | tuple[str, ...]
GATE_CLASSES: dict[
    str, tuple[dict[str, Any], tuple[Classes, Classes, Classes], tuple[Causes, Causes]]
] = {
    "reset at handshake": (
        {"when": "always", "action": "reset"},
        (httpx.ConnectError, httpx.ConnectError, openai.APIConnectionError),
        ("ECONNRESET", "ECONNRESET"),
    ),
    "reset after N bytes (in the handshake)": (
        {"when": "tls", "action": "reset_after", "bytes": 100},
        (httpx.ConnectError, httpx.ConnectError, openai.APIConnectionError),
        ("ECONNRESET", "ECONNRESET"),
    ),
    # past the server's handshake flight (~1 kB) and before the response ends (~1.8 kB)
    # sync: whether the client reads the end of the stream or the reset first is a race
    "reset after N bytes (past the handshake)": (
        {"when": "tls", "action": "reset_after", "bytes": 1400},
        ((httpx.RemoteProtocolError, httpx.ReadError), httpx.ReadError, openai.APIConnectionError),
        (("PROTOCOL", "ECONNRESET"), "ECONNRESET"),
    ),
    "stall": (
        {"when": "always", "action": "stall", "seconds": 2},
        (httpx.ConnectTimeout, httpx.ConnectTimeout, openai.APITimeoutError),
        ("TIMEOUT", "TIMEOUT"),
    ),
    "TLS alert": (
        {"when": "always", "action": "alert"},
        (httpx.ConnectError, httpx.ConnectError, openai.APIConnectionError),
        ("TLS", "TLS"),
    ),
}


@pytest.mark.parametrize("kind", CLIENT_KINDS)
@pytest.mark.parametrize("row", GATE_CLASSES)
def test_gate_fault_raises_the_promised_class(
    harness_network: Network, harness_fault: Inject, row: str, kind: str
) -> None:
    rule, classes, (sync_cause, async_cause) = GATE_CLASSES[row]
    timeout = STALL_TIMEOUT if rule["action"] == "stall" else TIMEOUT
    mark = harness_network.log.mark()
    with harness_fault("api-openai", rule):
        got = attempt(harness_network, kind, timeout=timeout)
    assert type(got) in raised(kind, *classes), repr(got)
    assert isinstance(got, Exception)
    cause = failure_cause(got)
    assert cause in _one_of(async_cause if kind.endswith("async") else sync_cause)
    assert [o.action for o in harness_network.log.of("api-openai", mark)] == [rule["action"]]


# README fault row → reply, and what httpx (either) and openai (either) give back
REPLY_CLASSES: dict[str, tuple[dict[str, Any], type, type]] = {
    "close before the response": (
        {"status": 200, "close_before_response": True},
        httpx.RemoteProtocolError,
        openai.APIConnectionError,
    ),
    "HTTP error replies (429)": (
        {"status": 429, "headers": {"retry-after": "7"}, "json": {}},
        httpx.Response,
        openai.RateLimitError,
    ),
    "HTTP error replies (500)": (
        {"status": 500, "json": {}},
        httpx.Response,
        openai.InternalServerError,
    ),
    "HTTP error replies (503)": (
        {"status": 503, "headers": {"retry-after": "1"}, "json": {}},
        httpx.Response,
        openai.InternalServerError,
    ),
}


@pytest.mark.parametrize("kind", CLIENT_KINDS)
@pytest.mark.parametrize("row", REPLY_CLASSES)
def test_reply_fault_raises_the_promised_class(
    harness_network: Network, harness_reply: Inject, row: str, kind: str
) -> None:
    reply, httpx_gives, openai_raises = REPLY_CLASSES[row]
    with harness_reply("api-openai", {"method": "GET", "path_suffix": "/models", **reply}):
        got = attempt(harness_network, kind)
    assert type(got) in raised(kind, httpx_gives, httpx_gives, openai_raises), repr(got)
    status = (
        got.status_code if isinstance(got, httpx.Response) else getattr(got, "status_code", None)
    )
    if reply["status"] != 200:  # the status, and for httpx the headers, come through as sent
        assert status == reply["status"]
    if isinstance(got, httpx.Response):
        assert got.headers.get("retry-after") == reply.get("headers", {}).get("retry-after")


SSE_PAYLOAD = {"model": "gpt-5.4", "input": [{"role": "user", "content": "hi"}], "stream": True}
CODEX = "https://chatgpt.com/backend-api/codex"


async def _stream_async(kind: str, seen: list[str]) -> None:
    if kind == "httpx-async":
        async with (
            httpx.AsyncClient(timeout=TIMEOUT) as client,
            client.stream("POST", CODEX + "/responses", json=SSE_PAYLOAD) as response,
        ):
            async for line in response.aiter_lines():  # one by one: the stream breaks midway
                if line.startswith("event"):
                    seen.append(line)
        return
    async with openai.AsyncOpenAI(api_key="k", base_url=CODEX, max_retries=0) as sdk:
        async for event in await sdk.responses.create(**SSE_PAYLOAD):
            seen.append(event.type)


def stream_events(network: Network, kind: str, seen: list[str]) -> None:
    """Read the Codex stream with a client of ``kind``, appending each event type to ``seen``."""
    with network.reachable():
        if kind == "httpx":
            with (
                httpx.Client(timeout=TIMEOUT) as client,
                client.stream("POST", CODEX + "/responses", json=SSE_PAYLOAD) as response,
            ):
                seen.extend(line for line in response.iter_lines() if line.startswith("event"))
        elif kind == "openai":
            with openai.OpenAI(api_key="k", base_url=CODEX, max_retries=0) as sdk:
                seen.extend(event.type for event in sdk.responses.create(**SSE_PAYLOAD))
        else:
            asyncio.run(_stream_async(kind, seen))


@pytest.mark.parametrize("kind", CLIENT_KINDS)
def test_sse_cut_raises_the_promised_class(
    harness_network: Network, harness_reply: Inject, kind: str
) -> None:
    """K events, then httpx's RemoteProtocolError, which openai 2.x does not wrap (3.x does)."""
    codex = json.loads((FIXTURE_DIR / "chatgpt-codex.json").read_text())
    stream = next(r for r in codex["replies"] if "sse" in r)
    seen: list[str] = []
    expected = httpx.RemoteProtocolError if kind.startswith("httpx") else SDK_SSE_CUT
    with (
        harness_reply("chatgpt-codex", dict(stream, sse_cut_after=1)),
        pytest.raises(expected) as caught,
    ):
        stream_events(harness_network, kind, seen)
    assert type(caught.value) is expected
    if kind.startswith("httpx"):  # the second event's line arrived, its data line never ended
        assert seen == ["event: response.created", "event: response.output_text.delta"]
    else:
        assert seen == ["response.created"]


def test_readme_fault_table_names_the_classes_checked_here() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("\n## Faults\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| ")]
    table = {cells[0].lstrip("| "): (cells[2], cells[3]) for cells in rows[1:]}

    def cells(row: str) -> tuple[str, str]:
        base = row.split(" (")[0]
        (found,) = [value for name, value in table.items() if name.startswith(base)]
        return found

    promised: list[tuple[str, tuple[type, ...], tuple[type, ...]]] = [
        (row, (*raised("httpx", *classes), *raised("httpx-async", *classes)), raised("", *classes))
        for row, (_, classes, _) in GATE_CLASSES.items()
    ]
    promised += [(row, (h,), (o,)) for row, (_, h, o) in REPLY_CLASSES.items()]
    promised.append(
        ("SSE stream cut mid-event", (httpx.RemoteProtocolError,), (httpx.RemoteProtocolError,))
    )
    for row, httpx_classes, openai_classes in promised:
        httpx_cell, openai_cell = cells(row)
        for cls in httpx_classes:
            shown = "no exception" if cls is httpx.Response else f"`{cls.__name__}`"
            assert shown in httpx_cell, (row, shown)
        for cls in openai_classes:
            assert f"`{cls.__name__}`" in openai_cell, (row, cls.__name__)


RULE_MISTAKES = {
    "unknown key": (
        {"when": "always", "action": "stall", "secnds": 1},
        "faults[0].secnds: unknown key; did you mean 'seconds'?",
    ),
    "parameter of another action": (
        {"when": "always", "action": "reset", "seconds": 1},
        "faults[0]: reset takes no seconds",
    ),
    "misspelt action": (
        {"when": "always", "action": "rest"},
        "faults[0].action: unknown action 'rest'; did you mean 'reset'?",
    ),
    "misspelt predicate": (
        {"when": {"all": ["keepalve"]}, "action": "reset"},
        "faults[0].when.all[0]: unknown predicate 'keepalve'; did you mean 'keepalive'?",
    ),
    "misspelt predicate object": (
        {"when": {"snii": "chatgpt.com"}, "action": "reset"},
        "faults[0].when: unknown predicate 'snii'; did you mean 'sni'?",
    ),
}


@pytest.mark.parametrize("spec, message", RULE_MISTAKES.values(), ids=list(RULE_MISTAKES))
def test_rule_mistakes_name_the_path_and_the_closest_word(
    spec: dict[str, Any], message: str
) -> None:
    with pytest.raises(RuleError) as caught:
        FaultRules.from_spec([spec])
    assert str(caught.value) == message


@pytest.mark.fresh_process
def test_readme_fault_examples_pass_as_shown(pytester: pytest.Pytester) -> None:
    """The README's fault examples, copied as they stand, pass against the reference factory."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("\n## Faults\n", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"^```python\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    pytester.makepyfile(test_readme_faults=code)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--client-factory", "harness.targets.reference:factory"
    )
    result.assert_outcomes(passed=2)
