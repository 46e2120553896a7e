"""The report's own comparison, replayed offline against the simulated origin.

A default ``httpx.Client`` and one whose transport sets SO_KEEPALIVE both post the reporter's
payload; the harness prints what each got, one line per client, and what the origin observed.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from harness.fixtures import Fixture, FixtureError, ReportedOutcome
from harness.network.observations import Observation
from harness.network.origins import Network
from harness.network.pki import Authority
from harness.sandbox.outcomes import failure_cause
from harness.variants import label, variant_client


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
    observations: tuple[Observation, ...] = field(default=())


@dataclass(frozen=True)
class ReproReport:
    fixture: str
    source: str
    variants: tuple[VariantResult, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(v.matches for v in self.variants)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


def _describe_expected(outcome: ReportedOutcome) -> str:
    if outcome.status is not None:
        return f"{outcome.status} {outcome.body!r}"
    return f"connection error with {outcome.errno}"


def _run_variant(
    network: Network, fixture: Fixture, variant: str, expected: ReportedOutcome
) -> VariantResult:
    report = fixture.report
    assert report is not None
    mark = network.log.mark()
    status: int | None = None
    body: Any = None
    cause: str | None = None
    with network.reachable(), variant_client(variant, proxy=network.proxy.url) as client:
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
        observations=tuple(network.log.of(fixture.name, mark)),
    )


def run_repro(fixture: Fixture) -> ReproReport:
    """Run every variant the fixture's report recorded; the order is the report's."""
    report = fixture.report
    if report is None:
        raise FixtureError(
            f"{fixture.path}: fixture {fixture.name} has no 'report' section to replay"
        )
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="harness-repro-") as scratch,
        Network([fixture], Authority(Path(scratch))) as network,
    ):
        variants = tuple(
            _run_variant(network, fixture, variant, expected)
            for variant, expected in report.outcomes.items()
        )
    return ReproReport(
        fixture=fixture.name,
        source=str(fixture.provenance.get("source", "")),
        variants=variants,
        seconds=time.perf_counter() - started,
    )
