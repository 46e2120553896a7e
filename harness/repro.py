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

from harness.fixtures import Fixture, FixtureError, ReportedOutcome, load_fixture, load_fixtures
from harness.network.conditions import Condition, load_conditions
from harness.network.observations import Observation
from harness.network.origins import Network
from harness.network.pki import Authority
from harness.sandbox.outcomes import failure_cause
from harness.variants import TIMEOUT, label, variant_client

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

    @property
    def got(self) -> str:
        """What the client got, in a word or two: the status, or the failure's cause."""
        return str(self.status) if self.status is not None else (self.cause or "no answer")


@dataclass(frozen=True)
class ReproReport:
    fixture: str
    source: str
    variants: tuple[VariantResult, ...]
    seconds: float
    #: The reporter's own words for what they saw (the provenance's ``observed``), if recorded.
    observed: str = ""
    condition: str = "direct"

    @property
    def ok(self) -> bool:
        return all(v.matches for v in self.variants)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


def in_a_word(outcome: ReportedOutcome) -> str:
    """A reported outcome as :attr:`VariantResult.got` words what the client got."""
    return str(outcome.status) if outcome.status is not None else str(outcome.errno)


def _describe_expected(outcome: ReportedOutcome) -> str:
    if outcome.status is not None:
        return f"{outcome.status} {outcome.body!r}"
    return f"connection error with {outcome.errno}"


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
    status: int | None = None
    body: Any = None
    cause: str | None = None
    timeout = report.timeout or TIMEOUT
    with (
        network.reachable(environ),
        variant_client(variant, proxy=network.proxy.url, timeout=timeout) as client,
    ):
        try:
            response = client.request(
                report.method,
                report.url,
                headers=dict(report.headers),
                json=dict(report.payload) if report.payload else None,
            )
        except httpx.HTTPError as exc:
            cause = failure_cause(exc)
            line = f"{label(variant)}: {exc!r}"
        else:
            status = response.status_code
            line = f"{label(variant)}: {status} {response.text[:120]}"
            try:
                body = response.json()
            except ValueError:
                body = response.text
    if expected.status is not None:
        matches = status == expected.status and (expected.body is None or body == expected.body)
    else:
        matches = cause == expected.errno
    return VariantResult(
        variant=variant,
        label=label(variant),
        line=line,
        status=status,
        body=body,
        cause=cause,
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
        condition=condition.name if condition is not None else "direct",
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
