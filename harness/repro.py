"""The report's own comparison, replayed offline against the simulated origin.

A default ``httpx.Client`` and one whose transport sets SO_KEEPALIVE both post the reporter's
payload; the harness prints what each got, one line per client, and what the origin observed.
A report may name the network condition it ran under (a proxy in the environment, the Codex
edge's challenge) and the timeout its client gave up after; :func:`run_catalog` replays every
origin file that carries a report.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import openai

from harness.fixtures import (
    Fixture,
    FixtureError,
    Report,
    ReportedOutcome,
    load_fixture,
    load_fixtures,
)
from harness.network.conditions import DIRECT, Condition, load_conditions
from harness.network.observations import Observation
from harness.network.origins import Network
from harness.network.pki import Authority
from harness.sandbox.outcomes import failure_cause
from harness.variants import TIMEOUT, label, variant_client

#: The variant that reads a Responses stream with the SDK's stream helper, not plain httpx.
STREAM_HELPER = "sdk-stream-helper"
RESPONSES_PATH = "/responses"
#: Origin files that replay one report each, beside the matrix's own (``fixtures/reports/``).
REPORTS_SUBDIR = "reports"


@dataclass(frozen=True)
class VariantResult:
    variant: str  # the fixture's name for it (``custom``)
    label: str  # what the client is (``keepalive transport``)
    line: str
    status: int | None
    body: Any
    cause: str | None
    matches: bool
    expected: str
    reported: str  # the report's outcome in a word (``400``, ``ECONNRESET``)
    observations: tuple[Observation, ...] = field(default=())
    raised: str | None = None  # the client library's exception class, with no transport error

    @property
    def got(self) -> str:
        """What the client got, in a word: the status, the failure's cause, or the class the
        client library raised."""
        if self.status is not None:
            return str(self.status)
        return self.cause or self.raised or "no answer"


@dataclass(frozen=True)
class ReproReport:
    fixture: str
    source: str
    variants: tuple[VariantResult, ...]
    seconds: float
    #: The reporter's own words for what they saw (the provenance's ``observed``), if recorded.
    observed: str = ""
    condition: str = DIRECT.name

    @property
    def ok(self) -> bool:
        return all(v.matches for v in self.variants)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


def in_a_word(outcome: ReportedOutcome) -> str:
    """A reported outcome as :attr:`VariantResult.got` words what the client got."""
    if outcome.status is not None:
        return str(outcome.status)
    return str(outcome.errno or outcome.raises)


def _describe_expected(outcome: ReportedOutcome) -> str:
    if outcome.status is not None:
        return f"{outcome.status} {outcome.body!r}"
    if outcome.raises is not None:
        return f"{outcome.raises} from the client library"
    return f"connection error with {outcome.errno}"


@dataclass
class _Got:
    status: int | None = None
    body: Any = None
    cause: str | None = None
    raised: str | None = None
    line: str = ""


def _plain_request(report: Report, client: httpx.Client, name: str) -> _Got:
    """The report's request as httpx sends it."""
    try:
        response = client.request(
            report.method,
            report.url,
            headers=dict(report.headers),
            json=dict(report.payload) if report.payload else None,
        )
    except httpx.HTTPError as exc:
        return _Got(cause=failure_cause(exc), line=f"{name}: {exc!r}")
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    status, text = response.status_code, " ".join(response.text[:120].split())
    return _Got(status=status, body=body, line=f"{name}: {status} {text}")


def _stream_helper(report: Report, client: httpx.Client, name: str) -> _Got:
    """The report's Responses request through the SDK's stream helper (``responses.stream()``
    read to its final response), on ``client``: what checks the order of the events."""
    base = report.url[: -len(RESPONSES_PATH)]
    payload = {key: value for key, value in report.payload.items() if key != "stream"}
    sdk = openai.OpenAI(api_key="harness-repro", base_url=base, http_client=client, max_retries=0)
    try:
        with sdk.responses.stream(**payload) as stream:
            events = [event.type for event in stream]
            stream.get_final_response()
    except openai.APIStatusError as exc:
        return _Got(status=exc.status_code, line=f"{name}: {exc.status_code} {exc.message[:120]}")
    except (openai.APIConnectionError, httpx.HTTPError) as exc:
        return _Got(cause=failure_cause(exc), line=f"{name}: {exc!r}")
    except Exception as exc:  # the helper's own refusal: what the reporter's client raised
        return _Got(raised=type(exc).__name__, line=f"{name}: {exc!r}")
    return _Got(status=200, body=events, line=f"{name}: 200, events {', '.join(events)}")


def _run_variant(
    network: Network,
    fixture: Fixture,
    variant: str,
    expected: ReportedOutcome,
    environ: dict[str, str],
) -> VariantResult:
    report = fixture.report
    assert report is not None
    mark = network.log.mark()
    timeout = report.timeout or TIMEOUT
    helper = variant == STREAM_HELPER
    if helper and not report.url.endswith(RESPONSES_PATH):
        raise FixtureError(
            f"{fixture.path}: report.request.url: the {STREAM_HELPER} variant reads a Responses "
            f"stream; give a URL ending in {RESPONSES_PATH}"
        )
    with (
        network.reachable(environ),
        variant_client(
            "default" if helper else variant, proxy=network.proxy.url, timeout=timeout
        ) as client,
    ):
        send = _stream_helper if helper else _plain_request
        got = send(report, client, label(variant))
    if expected.status is not None:
        matches = got.status == expected.status and (
            expected.body is None or got.body == expected.body
        )
    elif expected.raises is not None:
        matches = got.raised == expected.raises
    else:
        matches = got.cause == expected.errno
    return VariantResult(
        variant=variant,
        label=label(variant),
        line=got.line,
        status=got.status,
        body=got.body,
        cause=got.cause,
        raised=got.raised,
        matches=matches,
        expected=_describe_expected(expected),
        reported=in_a_word(expected),
        observations=tuple(network.log.of(fixture.name, mark)),
    )


def _condition(fixture: Fixture, conditions_dir: Path | None) -> Condition | None:
    """The condition the report names, from the conditions directory beside the origin files."""
    report = fixture.report
    assert report is not None
    if report.condition is None:
        return None
    where = conditions_dir or fixture.path.parent / "conditions"
    named = {condition.name: condition for condition in load_conditions(where)}
    if report.condition not in named:
        raise FixtureError(
            f"{fixture.path}: report.condition: no condition named {report.condition!r} in "
            f"{where} (have: {', '.join(named)})"
        )
    return named[report.condition]


@contextmanager
def _under(network: Network, condition: Condition | None) -> Iterator[dict[str, str]]:
    """The condition in force for the block; yield the variables a client built under it sees."""
    if condition is None:
        yield {}
        return
    with network.under(condition) as environ:
        yield environ


def run_repro(fixture: Fixture, conditions_dir: Path | None = None) -> ReproReport:
    """Run every variant the fixture's report recorded; the order is the report's. A condition
    the report names comes from ``conditions_dir`` (default: ``conditions/`` beside the file)."""
    report = fixture.report
    if report is None:
        raise FixtureError(
            f"{fixture.path}: fixture {fixture.name} has no 'report' section to replay"
        )
    condition = _condition(fixture, conditions_dir)
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="harness-repro-") as scratch,
        Network([fixture], Authority(Path(scratch))) as network,
        _under(network, condition) as environ,
    ):
        variants = tuple(
            _run_variant(network, fixture, variant, expected, environ)
            for variant, expected in report.outcomes.items()
        )
    return ReproReport(
        fixture=fixture.name,
        source=str(fixture.provenance.get("source", "")),
        variants=variants,
        seconds=time.perf_counter() - started,
        observed=str(fixture.provenance.get("observed", "")),
        condition=(condition or DIRECT).name,
    )


def origin_files(directory: Path) -> dict[str, Fixture]:
    """Every origin file by name: the matrix's own in ``directory``, then each in its
    ``reports/`` subdirectory (loaded one by one: several may answer for one host)."""
    found = {fixture.name: fixture for fixture in load_fixtures(directory)}
    reports = directory / REPORTS_SUBDIR
    for path in sorted(reports.glob("*.json")) if reports.is_dir() else ():
        fixture = load_fixture(path)
        if fixture.name in found:
            raise FixtureError(f"{path}: name {fixture.name!r} is also {found[fixture.name].path}")
        found[fixture.name] = fixture
    return found


def catalog(directory: Path) -> list[Fixture]:
    """The origin files that carry a report, in the order :func:`origin_files` finds them."""
    return [fixture for fixture in origin_files(directory).values() if fixture.report is not None]


def run_catalog(directory: Path) -> list[ReproReport]:
    """Replay every report in the catalog, each against a network of its own."""
    conditions = directory / "conditions"
    return [run_repro(fixture, conditions) for fixture in catalog(directory)]
