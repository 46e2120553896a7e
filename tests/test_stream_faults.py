"""Stream faults replayed from reports: what httpx and openai see when a Responses stream stalls
before its first byte, goes silent after an event, ends without a terminal event, or sends its
events out of the order the SDK expects.

Each fault is an origin file in ``fixtures/reports/`` naming the reports it comes from, served
here by a network of its own (two of them answer for chatgpt.com), and read with each client
kind: httpx, the SDK's raw event iteration (``responses.create(stream=True)``, what Hermes reads
since 36217) and its Responses stream helper (``responses.stream()``, which checks the order and
wants a terminal event), sync and async.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from harness.fixtures import FIXTURE_DIR, Fixture, FixtureError, load_fixture, parse_reply
from harness.network.origins import Network
from harness.network.pki import Authority

REPORTS_DIR = FIXTURE_DIR / "reports"
PAYLOAD: dict[str, Any] = {
    "model": "gpt-5.5",
    "input": [{"role": "user", "content": "hi"}],
    "stream": True,
}
READ_TIMEOUT = 0.5  # well inside every recorded stall (30 s)
KINDS = ("httpx", "httpx-async", "openai", "openai-async", "openai-helper", "openai-helper-async")
OPENAI_3 = int(openai.__version__.split(".")[0]) >= 3
#: A read timeout inside the stream: openai 2.x lets httpx's ReadTimeout through unwrapped, as
#: it does a cut stream's RemoteProtocolError; openai 3.x (on httpx2) wraps it.
SDK_READ_TIMEOUT: type = openai.APITimeoutError if OPENAI_3 else httpx.ReadTimeout

# README stream-fault row → report file, then per kind the class raised (None: the stream ends
# without an exception) and the start of its message
Expected = tuple[type | None, str]
STALLED: dict[str, Expected] = {
    "httpx": (httpx.ReadTimeout, ""),
    "httpx-async": (httpx.ReadTimeout, ""),
    "openai": (SDK_READ_TIMEOUT, ""),
    "openai-async": (SDK_READ_TIMEOUT, ""),
    "openai-helper": (SDK_READ_TIMEOUT, ""),
    "openai-helper-async": (SDK_READ_TIMEOUT, ""),
}


#: The stream helper's refusal of an event that comes before response.created.
NOT_CREATED_FIRST = "Expected to have received `response.created` before `{}`"


def _helper_refuses(message: str) -> dict[str, Expected]:
    ends = (None, "")
    return {
        "httpx": ends,
        "httpx-async": ends,
        "openai": ends,
        "openai-async": ends,
        "openai-helper": (RuntimeError, message),
        "openai-helper-async": (RuntimeError, message),
    }


STREAM_FAULTS: dict[str, tuple[str, dict[str, Expected]]] = {
    "no first byte": ("codex-no-first-byte", STALLED),
    "silence after K events": ("codex-stream-silence", STALLED),
    "clean end without a terminal event": (
        "responses-stream-no-terminal-event",
        _helper_refuses("Didn't receive a `response.completed` event."),
    ),
    "events out of order (response.in_progress first)": (
        "responses-stream-in-progress-first",
        _helper_refuses(NOT_CREATED_FIRST.format("response.in_progress")),
    ),
    "events out of order (codex.rate_limits first)": (
        "responses-stream-rate-limits-first",
        _helper_refuses(NOT_CREATED_FIRST.format("codex.rate_limits")),
    ),
}


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return Authority(tmp_path_factory.mktemp("stream-pki"))


@pytest.fixture(scope="module", params=sorted({name for name, _ in STREAM_FAULTS.values()}))
def report(
    request: pytest.FixtureRequest, authority: Authority
) -> Iterator[tuple[Fixture, Network]]:
    """One report's origin file, served by a network of its own."""
    fixture = load_fixture(REPORTS_DIR / f"{request.param}.json")
    with Network([fixture], authority) as network:
        yield fixture, network


def _base(fixture: Fixture) -> str:
    (endpoint,) = fixture.endpoints
    return endpoint.base_url


def _read_sync(kind: str, base: str, timeout: float) -> list[str]:
    if kind == "httpx":
        with (
            httpx.Client(timeout=timeout) as client,
            client.stream("POST", base + "/responses", json=PAYLOAD) as response,
        ):
            return [line[7:] for line in response.iter_lines() if line.startswith("event: ")]
    with openai.OpenAI(api_key="k", base_url=base, timeout=timeout, max_retries=0) as sdk:
        if kind == "openai":
            return [event.type for event in sdk.responses.create(**PAYLOAD)]
        request = {key: value for key, value in PAYLOAD.items() if key != "stream"}
        with sdk.responses.stream(**request) as stream:
            seen = [event.type for event in stream]
            stream.get_final_response()
            return seen


async def _read_async(kind: str, base: str, timeout: float) -> list[str]:
    if kind == "httpx-async":
        async with (
            httpx.AsyncClient(timeout=timeout) as client,
            client.stream("POST", base + "/responses", json=PAYLOAD) as response,
        ):
            return [line[7:] async for line in response.aiter_lines() if line.startswith("event: ")]
    async with openai.AsyncOpenAI(
        api_key="k", base_url=base, timeout=timeout, max_retries=0
    ) as sdk:
        if kind == "openai-async":
            return [event.type async for event in await sdk.responses.create(**PAYLOAD)]
        request = {key: value for key, value in PAYLOAD.items() if key != "stream"}
        async with sdk.responses.stream(**request) as stream:
            seen = [event.type async for event in stream]
            await stream.get_final_response()
            return seen


def read_stream(network: Network, kind: str, base: str, timeout: float = READ_TIMEOUT) -> Any:
    """The event types a client of ``kind`` read to the end, or the exception it raised."""
    with network.reachable():
        try:
            if kind.endswith("async"):
                return asyncio.run(_read_async(kind, base, timeout))
            return _read_sync(kind, base, timeout)
        except Exception as exc:
            return exc


def _rows_for(name: str) -> list[tuple[str, dict[str, Expected]]]:
    return [(row, kinds) for row, (file, kinds) in STREAM_FAULTS.items() if file == name]


@pytest.mark.parametrize("kind", KINDS)
def test_stream_fault_raises_the_promised_class(report: tuple[Fixture, Network], kind: str) -> None:
    fixture, network = report
    ((row, kinds),) = _rows_for(fixture.name)
    cls, message = kinds[kind]
    got = read_stream(network, kind, _base(fixture))
    if cls is None:
        assert isinstance(got, list), (row, repr(got))
        (reply,) = fixture.replies
        assert reply.sse is not None
        assert got == [event["event"] for event in reply.sse]  # every event, in the sent order
    else:
        assert type(got) is cls, (row, repr(got))
        assert str(got).startswith(message), (row, str(got))


def test_every_report_file_names_its_reports() -> None:
    files = sorted(path.stem for path in REPORTS_DIR.glob("*.json"))
    assert {name for name, _ in STREAM_FAULTS.values()} <= set(files)
    for name in files:
        fixture = load_fixture(REPORTS_DIR / f"{name}.json")
        reports = fixture.provenance["reports"]
        assert reports and all(url.startswith("https://github.com/") for url in reports)
        assert fixture.provenance["source"] in reports


def test_a_client_that_waits_gets_the_whole_stream_after_the_stall(
    authority: Authority,
) -> None:
    """The stall is a slow provider, not a dead one: the rest of the stream follows it."""
    fixture = load_fixture(REPORTS_DIR / "codex-stream-silence.json")
    (recorded,) = fixture.replies
    assert recorded.sse is not None
    short = parse_reply(
        {
            "method": "POST",
            "path_suffix": "/responses",
            "status": 200,
            "sse": list(recorded.sse),
            "stall": {"after_events": 1, "seconds": 1},
        }
    )
    with Network([fixture], authority) as network, network.origins[fixture.name].replying(short):
        started = time.monotonic()
        got = read_stream(network, "openai", _base(fixture), timeout=5.0)
        took = time.monotonic() - started
    assert got == [event["event"] for event in recorded.sse]
    assert 1.0 <= took < 4.0


def test_a_stalled_reply_ends_when_its_network_closes(authority: Authority) -> None:
    """A client with no read timeout holds the stream open; closing the network ends the
    30-second stall at once, so no server thread outlives it."""
    fixture = load_fixture(REPORTS_DIR / "codex-no-first-byte.json")
    network = Network([fixture], authority)
    outcome: list[Any] = []
    headers_seen = threading.Event()

    def hold() -> None:
        try:
            with (
                network.reachable(),
                httpx.Client(timeout=httpx.Timeout(10.0, read=None)) as client,
                client.stream("POST", _base(fixture) + "/responses", json=PAYLOAD) as response,
            ):
                headers_seen.set()
                outcome.append(response.read())
        except Exception as exc:
            outcome.append(exc)

    reader = threading.Thread(target=hold, daemon=True)
    reader.start()
    try:
        assert headers_seen.wait(5.0), "the stream's headers never arrived"
    finally:
        started = time.monotonic()
        network.close()
        closed_in = time.monotonic() - started
    reader.join(5.0)
    assert not reader.is_alive()
    assert closed_in < 3.0
    assert outcome  # the reader got an answer (the end of the stream, or an error), not a hang


def test_a_client_that_gives_up_frees_the_origin_at_once(authority: Authority) -> None:
    """The silence ends when the client hangs up: a client that gave up after half a second does
    not hold a server thread for the rest of the recorded 30 seconds."""
    fixture = load_fixture(REPORTS_DIR / "codex-no-first-byte.json")
    with Network([fixture], authority) as network:
        got = read_stream(network, "httpx", _base(fixture))
        assert type(got) is httpx.ReadTimeout
        ends = time.monotonic() + 2.0
        prefix = f"gate-{fixture.name}-conn"
        serving = [t for t in threading.enumerate() if t.name.startswith(prefix)]
        for thread in serving:  # each ends with its connection; waited on, up to the bound
            thread.join(max(0.0, ends - time.monotonic()))
        assert not any(t.is_alive() for t in serving), "the stalled reply outlived its client"


STALL_MISTAKES = {
    "after more events than the stream has": (
        {"sse": [{"data": "x"}], "stall": {"after_events": 2, "seconds": 1}},
        "replies[0].stall.after_events: expected 0 to 1 (the number of 'sse' events), got 2",
    ),
    "after events in a JSON reply": (
        {"json": {}, "stall": {"after_events": 1, "seconds": 1}},
        "replies[0].stall.after_events: expected 0, got 1",
    ),
    "no seconds": ({"json": {}, "stall": {}}, "replies[0].stall.seconds: missing"),
    "past the bound": (
        {"json": {}, "stall": {"seconds": 31}},
        "replies[0].stall.seconds: expected more than 0 and at most 30",
    ),
    "misspelt key": (
        {"json": {}, "stall": {"second": 1}},
        "replies[0].stall.second: unknown key; did you mean 'seconds'?",
    ),
    "with a cut": (
        {"sse": [{"data": "x"}, {"data": "y"}], "sse_cut_after": 1, "stall": {"seconds": 1}},
        "replies[0].stall: cannot be combined with 'sse_cut_after'",
    ),
}


@pytest.mark.parametrize("extra, message", STALL_MISTAKES.values(), ids=list(STALL_MISTAKES))
def test_stall_mistakes_name_the_field(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(FixtureError) as caught:
        parse_reply({"method": "POST", "path": "/x", "status": 200, **extra}, "replies[0]")
    assert str(caught.value) == f"<inline>: {message}"


def test_readme_stream_fault_rows_name_the_classes_checked_here() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("\n## Faults\n", 1)[1].split("\n## ", 1)[0]
    rows = {
        cells[0].lstrip("| "): cells
        for cells in (line.split(" | ") for line in section.splitlines() if line.startswith("| "))
    }
    for row, (file, kinds) in STREAM_FAULTS.items():
        cells = rows[row]
        assert f"`reports/{file}.json`" in cells[1], row
        for kind, (cls, message) in kinds.items():
            cell = cells[2] if kind.startswith("httpx") else cells[3]
            if cls is None:
                assert "every event" in cell, (row, kind)
            elif cls is SDK_READ_TIMEOUT and kind.startswith("openai"):
                assert "`ReadTimeout`" in cell and "`APITimeoutError`" in cell, (row, kind)
            else:
                assert f"`{cls.__name__}`" in cell and message in cell, (row, kind)
