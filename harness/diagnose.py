"""Run a client factory through every fixture endpoint under every network condition.

The result is a table (endpoint, mode, condition → what the client got, what the origin and
proxy saw, a verdict and, for a failure, the likely cause) that ``python -m harness diagnose``
prints or writes as JSON.
"""

from __future__ import annotations

import tempfile
import time
import unittest
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.conditions import Condition, load_conditions
from harness.factory import ClientFactory
from harness.fixtures import Endpoint, Fixture
from harness.origins import Network
from harness.pki import Authority
from harness.scenario import Call, Result, drive
from harness.verdicts import Expectation, judge, proxy_expected


@dataclass(frozen=True)
class Row:
    endpoint: str
    mode: str
    condition: str
    outcome: str
    observed: str
    ok: bool
    problems: tuple[str, ...]
    cause: str | None
    skipped: bool = False


@dataclass(frozen=True)
class Diagnosis:
    factory: str
    rows: tuple[Row, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    def causes(self) -> dict[str, int]:
        counted = Counter((row.cause or "").split(":")[0] for row in self.rows if not row.ok)
        return dict(counted.most_common())

    def as_json(self) -> dict[str, Any]:
        return {
            "factory": self.factory,
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "failed": sum(not row.ok for row in self.rows),
            "total": len(self.rows),
            "causes": self.causes(),
            "rows": [row.__dict__ for row in self.rows],
        }


def _observed(result: Result) -> str:
    parts = []
    for observation in result.observations:
        route = "direct" if observation.direct else "via proxy"
        armed = (
            f"keepalive {observation.keepalive.idle_seconds}s"
            if observation.keepalive.armed
            else "no keepalive"
        )
        parts.append(f"origin: {route}, {armed}, {observation.action}")
    parts += [f"proxy: {t.method} {t.host} -> {t.status}" for t in result.tunnels]
    return "; ".join(parts) or "nothing reached the origin"


def _skipped(endpoint: Endpoint, mode: str, condition: Condition, reason: str) -> Row:
    return Row(endpoint.id, mode, condition.name, f"skipped: {reason}", "", True, (), None, True)


def _expectation(
    fixture: Fixture, endpoint: Endpoint, environ: dict[str, str], idle: int
) -> Expectation:
    reply = None
    if endpoint.codex and fixture.report is not None and "default" in fixture.report.outcomes:
        recorded = fixture.report.outcomes["default"]
        reply = None if recorded.status is None else (recorded.status, recorded.body)
    return Expectation(
        codex=endpoint.codex,
        keepalive_idle=None if endpoint.codex else idle,
        reply=reply,
        via_proxy=proxy_expected(endpoint.base_url, environ),
    )


def diagnose(
    spec: str,
    factory: ClientFactory,
    fixtures: list[Fixture],
    conditions: list[Condition] | None = None,
    *,
    keepalive_idle: int = 30,
) -> Diagnosis:
    started = time.perf_counter()
    conditions = conditions if conditions is not None else load_conditions()
    rows: list[Row] = []
    with (
        tempfile.TemporaryDirectory(prefix="harness-diagnose-") as scratch,
        Network(fixtures, Authority(Path(scratch))) as network,
    ):
        for condition in conditions:
            environ = condition.environ(network.proxy.url)
            for fixture in fixtures:
                for endpoint in fixture.endpoints:
                    call = Call.REPORT if endpoint.codex else Call.MODELS
                    expect = _expectation(fixture, endpoint, environ, keepalive_idle)
                    for async_client in (False, True):
                        mode = "async" if async_client else "sync"
                        try:
                            result = drive(
                                network,
                                factory,
                                endpoint,
                                call,
                                async_client=async_client,
                                condition=condition,
                            )
                        except unittest.SkipTest as exc:  # the factory has no such client
                            rows.append(_skipped(endpoint, mode, condition, str(exc)))
                            continue
                        verdict = judge(result, expect)
                        rows.append(
                            Row(
                                endpoint=endpoint.id,
                                mode=mode,
                                condition=condition.name,
                                outcome=result.outcome.describe(),
                                observed=_observed(result),
                                ok=verdict.ok,
                                problems=verdict.problems,
                                cause=verdict.cause,
                            )
                        )
    return Diagnosis(spec, tuple(rows), time.perf_counter() - started)


def render(diagnosis: Diagnosis) -> str:
    """A fixed-width table, one row per scenario, then a summary naming the causes."""
    headers = ("endpoint", "mode", "condition", "client got", "observed", "verdict")
    table = [
        (
            row.endpoint,
            row.mode,
            row.condition,
            row.outcome[:48],
            row.observed[:70],
            "skipped" if row.skipped else "ok" if row.ok else f"FAIL: {row.cause}",
        )
        for row in diagnosis.rows
    ]
    widths = [max(len(str(line[i])) for line in [headers, *table]) for i in range(len(headers) - 1)]
    lines = []
    for line in [headers, *table]:
        cells = [str(cell).ljust(width) for cell, width in zip(line[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, str(line[-1])]))
    failed = sum(not row.ok for row in diagnosis.rows)
    lines.append("")
    lines.append(
        f"{diagnosis.factory}: {len(diagnosis.rows) - failed} ok, {failed} failed "
        f"in {diagnosis.seconds:.1f} s"
    )
    for cause, count in diagnosis.causes().items():
        lines.append(f"  {count} x {cause}")
    return "\n".join(lines)
