"""Verdicts: what a scenario should have looked like, and the likely cause when it did not.

The split suite asserts on these and ``python -m harness diagnose`` prints them, so both judge a
client by the same rules: a Codex endpoint reaches the backend and gets the recorded reply; any
other endpoint reaches its origin with TCP keepalive armed at the promised idle time; under a
proxy condition every https connection goes through the proxy, unless NO_PROXY exempts its host.
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from harness.kernel import KeepaliveState
from harness.scenario import Call, Result

STREAM_EVENTS = ("response.created", "response.output_text.delta", "response.completed")

CAUSE_KEEPALIVE_RESET = "keepalive-sensitive origin"
CAUSE_PROXY_BYPASS = "proxy bypass"
CAUSE_TLS_TRUST = "TLS trust"
CAUSE_NO_KEEPALIVE = "no keepalive"
CAUSE_UNEXPECTED_PROXY = "unexpected proxy"
CAUSE_OTHER = "unexpected reply"


@dataclass(frozen=True)
class Expectation:
    """What a scenario should show."""

    codex: bool
    keepalive_idle: int | None
    reply: tuple[int, Any] | None = None
    via_proxy: bool = False


@dataclass(frozen=True)
class Verdict:
    ok: bool
    problems: tuple[str, ...]
    cause: str | None

    def explain(self, result: Result) -> str:
        mode = "async" if result.async_client else "sync"
        seen = [o.summary() for o in result.observations] + [t.summary() for t in result.tunnels]
        lines = [
            f"{result.endpoint.id} ({mode}, {result.call.value}, condition {result.condition}): "
            f"client got {result.outcome.describe()}",
            f"  observed: {'; '.join(seen) or 'no connection reached the origin or the proxy'}",
        ]
        lines += [f"  problem: {problem}" for problem in self.problems]
        if self.cause:
            lines.append(f"  likely cause: {self.cause}")
        return "\n".join(lines)


def proxy_expected(base_url: str, environ: dict[str, str] | Any) -> bool:
    """Whether the standard env rules (urllib.request's, NO_PROXY included) name a proxy."""
    parts = urlsplit(base_url)
    scheme = parts.scheme.lower()
    proxies = {
        key.lower()[: -len("_proxy")]: value
        for key, value in environ.items()
        if key.lower().endswith("_proxy") and value
    }
    if not (proxies.get(scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass_environment(  # type: ignore[attr-defined]
        (parts.hostname or "").lower(), proxies
    )


def _keepalive_problem(state: KeepaliveState, idle: int, where: str) -> str | None:
    if not state.armed:
        return f"{where}: TCP keepalive was not armed on the client's socket"
    if state.idle_seconds != idle:
        return f"{where}: keepalive idle was {state.idle_seconds}s, expected {idle}s"
    return None


def judge(result: Result, expect: Expectation) -> Verdict:
    problems: list[str] = []
    outcome = result.outcome
    host = (urlsplit(result.endpoint.base_url).hostname or "").lower()
    tunnels = [t for t in result.tunnels if t.host.lower() == host]
    direct = [o for o in result.observations if o.direct]
    if not outcome.reached:
        problems.append(f"the client got no HTTP response ({outcome.cause})")
    elif expect.codex and result.call is Call.REPORT and expect.reply is not None:
        if (outcome.status, outcome.body) != expect.reply:
            problems.append(f"expected the recorded reply {expect.reply[0]} {expect.reply[1]!r}")
    elif expect.codex and result.call is Call.STREAM:
        if outcome.events != STREAM_EVENTS:
            problems.append(f"expected the SSE events {' '.join(STREAM_EVENTS)}")
    elif outcome.status != 200:
        problems.append(f"expected 200, got {outcome.status}")
    if not result.observations:
        problems.append("no connection reached the origin")
    if expect.via_proxy:
        if not tunnels:
            problems.append(f"the proxy saw no CONNECT to {host}")
        if direct:
            problems.append("the origin saw a direct connection, not the proxy's")
    else:
        if tunnels:
            problems.append(f"the proxy saw a CONNECT to {host}, expected a direct connection")
    # Through a proxy the origin only sees the proxy's socket, and httpcore 1.0 does not apply
    # socket_options to proxy tunnels (pinned in tests/test_findings.py), so keepalive is judged
    # on direct connections only.
    if not expect.codex and expect.keepalive_idle is not None and not expect.via_proxy:
        for observation in result.observations:
            where = "client socket seen by the origin"
            problem = _keepalive_problem(observation.keepalive, expect.keepalive_idle, where)
            if problem is not None:
                problems.append(problem)
    return Verdict(
        not problems, tuple(problems), _cause(result, expect, problems) if problems else None
    )


def _cause(result: Result, expect: Expectation, problems: list[str]) -> str:
    outcome = result.outcome
    if outcome.cause == "TLS_VERIFY":
        return (
            f"{CAUSE_TLS_TRUST}: the client does not trust the harness CA "
            "(built with its own verify= context or trust_env=False?)"
        )
    resets = [o for o in result.observations if o.action == "reset"]
    if expect.via_proxy and any(o.direct for o in result.observations):
        return (
            f"{CAUSE_PROXY_BYPASS}: the client connected directly although "
            f"{', '.join(sorted(result.environ)) or 'the environment'} names a proxy "
            "(a custom transport that ignores proxy variables?)"
        )
    if any(o.keepalive.armed and o.direct for o in resets):
        return (
            f"{CAUSE_KEEPALIVE_RESET}: the client armed TCP keepalive on its connection to "
            f"{result.endpoint.origin}, which resets such handshakes"
        )
    if any("keepalive" in problem for problem in problems):
        return f"{CAUSE_NO_KEEPALIVE}: the client did not arm TCP keepalive as promised"
    if not expect.via_proxy and result.tunnels:
        return (
            f"{CAUSE_UNEXPECTED_PROXY}: the client sent this request to the proxy although the "
            "standard proxy rules (the URL's scheme, NO_PROXY) send it direct"
        )
    return f"{CAUSE_OTHER}: {problems[0]}"
