"""Run a client factory through every scenario of the matrix, as table rows.

The scenarios are the split suite's (:mod:`harness.judging.matrix`), judged by the same function;
the result is a table (endpoint, mode, setting, call → what the client got, what the origin and
proxy saw, a verdict and, for a failure, the likely cause) that ``python -m harness diagnose``
prints or writes as JSON.
"""

from __future__ import annotations

import tempfile
import time
import unittest
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.fixtures import Fixture
from harness.interrupts import checkpoint
from harness.judging.client_hello import ClientHelloMeasurement, describe
from harness.judging.deadline import DEFAULT_SECONDS as DEFAULT_DEADLINE
from harness.judging.drive import PROTECTION, Result, Subject, drive
from harness.judging.expectation import KeepaliveExpectation
from harness.judging.matrix import Scenario, left_out, replies_by_origin, scenarios
from harness.judging.settings import (
    describe_connect_within,
    describe_slow_connect,
    describe_stream_idle,
)
from harness.judging.verdicts import CAUSE_OTHER, Verdict, judge
from harness.network.conditions import Condition, load_conditions
from harness.network.edge import CHECKS, describe_demanded
from harness.network.origins import Network
from harness.network.pki import Authority


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
    kind: str | None = None  # the cause's CAUSE_* name
    scenario: str = ""  # the matrix scenario's id, as the split suite names its case
    setting: str = "direct"  # the condition or proxy variables the scenario set
    call: str = ""
    categories: tuple[str, ...] = ()
    #: The headers of the first request the origin received (credentials redacted).
    request_headers: tuple[tuple[str, str], ...] = ()
    #: The JA4 fingerprint of the first ClientHello the origin received.
    ja4: str | None = None
    #: Why the Codex edge challenged the first request (None: it did not).
    identity_challenge: str | None = None
    #: How long the client's call took, in its process (None: no call was made).
    seconds: float | None = None
    #: The scheme of the proxy URL the scenario's variables name (None: no proxy variable).
    proxy_scheme: str | None = None
    #: How the client asked the proxy, per request it carried: ``CONNECT``, ``forward``,
    #: ``socks5 name`` or ``socks5 address``.
    proxy_requests: tuple[str, ...] = ()
    #: The address families of the client's direct connections to the origin (``IPv6``,
    #: ``IPv4``), in the order they arrived.
    families: tuple[str, ...] = ()
    #: From the call's start to the origin accepting the first direct connection (None: none).
    connect_seconds: float | None = None


@dataclass(frozen=True)
class Diagnosis:
    factory: str
    rows: tuple[Row, ...]
    seconds: float
    keepalive: KeepaliveExpectation = field(default_factory=KeepaliveExpectation)
    keepalive_source: str = "default"
    #: How the scenarios ran and what kept them off the network.
    isolation: str = ""
    #: The JA4 Codex clients were judged against, by mode (None: not judged).
    client_hello: Mapping[str, str] | None = None
    #: The checks the Codex edge's identity challenge made, and where that came from.
    identity: tuple[tuple[str, ...], str] = (CHECKS, "default")
    #: Seconds within which a client had to give up on a silent stream (None: wait it out).
    stream_idle: tuple[float | None, str] = (None, "default")
    #: Seconds within which a client had to reach the origin (None: not judged), and whether
    #: every case that may wait out a connect timeout ran; each with where it came from.
    connect_within: tuple[float | None, str] = (None, "default")
    slow_connect: tuple[bool, str] = (False, "default")
    #: The conditions the installed httpx cannot express, with why (not in the rows).
    left_out: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    def causes(self) -> dict[str, int]:
        counted = Counter(row.kind or CAUSE_OTHER for row in self.rows if not row.ok)
        return dict(counted.most_common())

    def expectation(self) -> str:
        """Which keepalive expectation was in force, and where it came from."""
        return f"{self.keepalive.describe()} (from {self.keepalive_source})"

    def as_json(self) -> dict[str, Any]:
        return {
            "factory": self.factory,
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "keepalive": {**self.keepalive.as_json(), "source": self.keepalive_source},
            "failed": sum(not row.ok for row in self.rows),
            "total": len(self.rows),
            "causes": self.causes(),
            "skipped": sum(row.skipped for row in self.rows),
            "isolation": self.isolation,
            "protection": PROTECTION,
            "client_hello": {"judged": self.client_hello is not None, **(self.client_hello or {})},
            "identity": {"demanded": list(self.identity[0]), "source": self.identity[1]},
            "stream_idle": {"seconds": self.stream_idle[0], "source": self.stream_idle[1]},
            "connect_within": {
                "seconds": self.connect_within[0],
                "source": self.connect_within[1],
            },
            "slow_connect": {"every": self.slow_connect[0], "source": self.slow_connect[1]},
            "left_out": dict(self.left_out),
            "rows": [row.__dict__ for row in self.rows],
        }


def _observed(result: Result) -> str:
    parts = []
    for observation in result.observations:
        route = f"direct {observation.family}" if observation.direct else "via proxy"
        armed = observation.keepalive.describe()
        fingerprint = f", ja4 {observation.ja4}" if observation.ja4 else ""
        parts.append(f"origin: {route}, {armed}, {observation.action}{fingerprint}")
    parts += [
        f"proxy: {t.method if t.name_sent is None else t.kind} {t.host} -> {t.status}"
        for t in result.tunnels
    ]
    parts += [
        f"request: {r.method} {r.host}{r.path}" + (" -> identity challenge" if r.challenged else "")
        for r in result.requests[:1]
    ]
    return "; ".join(parts) or "nothing reached the origin"


def _proxy_scheme(environ: Mapping[str, str]) -> str | None:
    """The scheme of the first proxy URL the variables name (sorted by name)."""
    for name in sorted(environ):
        value = environ[name]
        if name.lower().endswith("_proxy") and name.lower() != "no_proxy" and "://" in value:
            return value.partition("://")[0].lower()
    return None


def _row(scenario: Scenario, outcome: str, observed: str, verdict: Verdict, **extra: Any) -> Row:
    return Row(
        endpoint=scenario.endpoint.id,
        mode=scenario.mode,
        condition=scenario.condition.name,
        outcome=outcome,
        observed=observed,
        ok=verdict.ok,
        problems=verdict.problems,
        cause=verdict.cause,
        kind=verdict.kind,
        scenario=scenario.id,
        setting=scenario.label,
        call=scenario.call.value,
        categories=scenario.categories(),
        **extra,
    )


def diagnose(
    subject: Subject,
    fixtures: list[Fixture],
    conditions: list[Condition] | None = None,
    *,
    keepalive: KeepaliveExpectation | None = None,
    keepalive_source: str = "default",
    deadline: float = DEFAULT_DEADLINE,
    select: Callable[[Scenario], bool] | None = None,
    reverse: bool = False,
    client_hello: bool = True,
    identity: tuple[tuple[str, ...], str] = (CHECKS, "default"),
    stream_idle: tuple[float | None, str] = (None, "default"),
    connect_within: tuple[float | None, str] = (None, "default"),
    slow_connect: tuple[bool, str] = (False, "default"),
) -> Diagnosis:
    """Drive ``subject`` through every scenario of the matrix (:mod:`harness.judging.matrix`,
    the same cases the split suite runs) or those ``select`` keeps, one row each.

    ``keepalive`` is the expectation non-Codex endpoints are judged against (default: required,
    idle 30 s); ``keepalive_source`` says where it came from, for the report. Each phase of each
    scenario gets ``deadline`` seconds; a breach fails that row and the run goes on. Each
    scenario runs in a process of its own, so ``reverse`` (the matrix in reverse order) gives the
    same rows. With ``client_hello``, Codex clients must present the SDK default client's
    ClientHello, measured at the first Codex row of each mode
    (:mod:`harness.judging.client_hello`). ``identity`` is what the Codex edge's identity
    challenge demands (:mod:`harness.network.edge`) and where that came from; ``stream_idle``
    the seconds within which a client must give up on a silent stream (None: it must wait the
    silence out) and where that came from; ``connect_within`` the seconds within which a client
    must reach the origin (None: not judged), and ``slow_connect`` whether every case that may
    wait out a connect timeout runs, each with where it came from.
    """
    started = time.perf_counter()
    keepalive = keepalive if keepalive is not None else KeepaliveExpectation()
    conditions = conditions if conditions is not None else load_conditions()
    replies = replies_by_origin(fixtures)
    rows: list[Row] = []
    with (
        tempfile.TemporaryDirectory(prefix="harness-diagnose-") as scratch,
        Network(fixtures, Authority(Path(scratch))) as network,
    ):
        network.identity_demanded = identity[0]
        proxy_url = network.proxy.url
        measurement = (
            ClientHelloMeasurement(network, subject.sandbox, fixtures, deadline)
            if client_hello
            else None
        )
        matrix = scenarios(fixtures, conditions, slow_connect=slow_connect[0])
        for scenario in reversed(matrix) if reverse else matrix:
            checkpoint()  # stop between scenarios once SIGINT/SIGTERM arrived
            if select is not None and not select(scenario):
                continue
            expect = scenario.expectation(
                keepalive,
                replies[scenario.endpoint.origin],
                measurement,
                stream_idle[0],
                connect_within[0],
            )
            try:
                result = drive(
                    network,
                    subject,
                    scenario.endpoint,
                    scenario.call,
                    async_client=scenario.async_client,
                    condition=scenario.condition,
                    environ=scenario.own_environ(proxy_url),
                    deadline=deadline,
                    earlier=scenario.earlier,
                )
            except unittest.SkipTest as exc:  # the factory has no such client
                skipped = Verdict(True, (), None)
                rows.append(_row(scenario, f"skipped: {exc}", "", skipped, skipped=True))
                continue
            verdict = judge(result, expect)
            headers = result.requests[0].headers if result.requests else ()
            fingerprints = [o.ja4 for o in result.observations if o.ja4]
            rows.append(
                _row(
                    scenario,
                    result.outcome.describe(),
                    _observed(result),
                    verdict,
                    request_headers=headers,
                    ja4=fingerprints[0] if fingerprints else None,
                    identity_challenge=result.requests[0].challenged if result.requests else None,
                    seconds=result.outcome.seconds,
                    proxy_scheme=_proxy_scheme(result.environ),
                    proxy_requests=tuple(t.kind for t in result.tunnels),
                    families=result.families,
                    connect_seconds=result.connect_seconds,
                )
            )
    if reverse:
        rows.reverse()
    return Diagnosis(
        subject.spec,
        tuple(rows),
        time.perf_counter() - started,
        keepalive,
        keepalive_source,
        subject.describe(),
        None if measurement is None else measurement.measured(),
        identity,
        stream_idle,
        connect_within,
        slow_connect,
        left_out(conditions),
    )


def render(diagnosis: Diagnosis) -> str:
    """A fixed-width table, one row per scenario, then a summary naming the causes and the
    keepalive expectation that was in force."""
    headers = ("endpoint", "mode", "setting", "call", "client got", "observed", "verdict")
    table = [
        (
            row.endpoint,
            row.mode,
            row.setting,
            row.call,
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
    failed_rows = sum(not row.ok for row in diagnosis.rows)
    skipped = sum(row.skipped for row in diagnosis.rows)
    counts = f"{len(diagnosis.rows) - failed_rows - skipped} ok, {failed_rows} failed"
    if skipped:
        counts += f", {skipped} skipped"
    lines.append("")
    if diagnosis.isolation:
        lines.append(f"{diagnosis.isolation}; {PROTECTION}")
    for name, why in diagnosis.left_out.items():
        lines.append(f"condition {name} left out: {why}")
    lines.append(
        f"{diagnosis.factory}: {counts} in {diagnosis.seconds:.1f} s; {diagnosis.expectation()}; "
        f"{describe(diagnosis.client_hello)}; the Codex edge's identity challenge demands "
        f"{describe_demanded(diagnosis.identity[0])} (from {diagnosis.identity[1]}); "
        f"{describe_stream_idle(diagnosis.stream_idle[0])} (from {diagnosis.stream_idle[1]}); "
        f"{describe_connect_within(diagnosis.connect_within[0])} (from "
        f"{diagnosis.connect_within[1]}); {describe_slow_connect(diagnosis.slow_connect[0])} "
        f"(from {diagnosis.slow_connect[1]})"
    )
    for cause, count in diagnosis.causes().items():
        lines.append(f"  {count} x {cause}")
    return "\n".join(lines)
