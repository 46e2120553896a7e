"""Verdicts: what a scenario should have looked like, and the likely cause when it did not.

The split suite asserts on these and ``python -m harness diagnose`` prints them, so both judge a
client by the same rules and name a failure with the same words (the ``CAUSE_*`` constants): a
Codex endpoint reaches the backend and gets the recorded reply; any other endpoint reaches its
origin with TCP keepalive armed at the idle time the harness expects (``--keepalive-idle``, unless
keepalive is not judged); a request goes through the proxy exactly when the documented proxy
rules (:mod:`harness.proxy_rules`) say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.kernel import KeepaliveState
from harness.scenario import (
    DEADLINE_CAUSE,
    FACTORY_RAISED_CAUSE,
    FACTORY_RETURNED_CAUSE,
    Call,
    Result,
)

#: The assistant message every origin file's chat completion reply carries.
CHAT_REPLY = "Hello"
STREAM_EVENTS = ("response.created", "response.output_text.delta", "response.completed")

# One name per cause. A full cause reads "<name>: <what was observed>"; summaries count the names,
# so no name contains a colon.
CAUSE_KEEPALIVE_OFF = "keepalive off"
CAUSE_KEEPALIVE_IDLE = "keepalive idle mismatch"
CAUSE_KEEPALIVE_KERNEL_DEFAULT = "keepalive kernel default idle"
CAUSE_KEEPALIVE_RESET = "keepalive-sensitive origin"
CAUSE_PROXY_BYPASS = "proxy bypass"
CAUSE_UNEXPECTED_PROXY = "unexpected proxy"
CAUSE_TLS_TRUST = "TLS trust"
CAUSE_FACTORY_RAISED = "factory raised"
CAUSE_DEADLINE = "deadline"
CAUSE_EGRESS = "network egress"
CAUSE_OTHER = "other"
CAUSES = (
    CAUSE_KEEPALIVE_OFF,
    CAUSE_KEEPALIVE_IDLE,
    CAUSE_KEEPALIVE_KERNEL_DEFAULT,
    CAUSE_KEEPALIVE_RESET,
    CAUSE_PROXY_BYPASS,
    CAUSE_UNEXPECTED_PROXY,
    CAUSE_TLS_TRUST,
    CAUSE_FACTORY_RAISED,
    CAUSE_DEADLINE,
    CAUSE_EGRESS,
    CAUSE_OTHER,
)
#: One line per cause, for ``diagnose --help`` and the docs.
CAUSE_SUMMARIES = {
    CAUSE_KEEPALIVE_OFF: "no TCP keepalive on a non-Codex connection",
    CAUSE_KEEPALIVE_IDLE: "keepalive armed with another idle time (both numbers given)",
    CAUSE_KEEPALIVE_KERNEL_DEFAULT: "SO_KEEPALIVE without TCP_KEEPIDLE (kernel default, 7200 s)",
    CAUSE_KEEPALIVE_RESET: "keepalive armed on a connection the origin resets (Codex)",
    CAUSE_PROXY_BYPASS: "a direct connection although a proxy variable names a proxy",
    CAUSE_UNEXPECTED_PROXY: "sent to the proxy although the scheme or NO_PROXY says direct",
    CAUSE_TLS_TRUST: "the client does not trust the session CA (SSL_CERT_FILE)",
    CAUSE_FACTORY_RAISED: "the factory raised building this client",
    CAUSE_DEADLINE: "a phase of the scenario took longer than its limit",
    CAUSE_EGRESS: "the code under test looked up or connected to something off the machine",
    CAUSE_OTHER: "anything else (the first problem is quoted)",
}

#: Where Linux keeps the idle time of a socket that set SO_KEEPALIVE but no TCP_KEEPIDLE.
KERNEL_IDLE_FILE = Path("/proc/sys/net/ipv4/tcp_keepalive_time")


@cache
def kernel_default_idle() -> int | None:
    """The kernel's default keepalive idle time in seconds (7200 on stock Linux), if readable."""
    try:
        return int(KERNEL_IDLE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


@dataclass(frozen=True)
class Expectation:
    """What a scenario should show. ``keepalive_idle`` None: keepalive is not judged."""

    codex: bool
    keepalive_idle: int | None
    reply: tuple[int, Any] | None = None
    via_proxy: bool = False


@dataclass(frozen=True)
class Verdict:
    """``cause`` is the full sentence (``"<kind>: ..."``); ``kind`` is its ``CAUSE_*`` name."""

    ok: bool
    problems: tuple[str, ...]
    cause: str | None
    kind: str | None = None

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


def failed(kind: str, detail: str, problem: str | None = None) -> Verdict:
    """A failed verdict of cause ``kind``, worded ``"<kind>: <detail>"``."""
    return Verdict(False, (problem or detail,), f"{kind}: {detail}", kind)


def _keepalive_problem(state: KeepaliveState, idle: int) -> str | None:
    if not state.armed:
        return f"the origin saw TCP keepalive off on the client's socket; expected idle {idle}s"
    if state.idle_seconds != idle:
        return f"the origin saw keepalive armed with idle {state.idle_seconds}s; expected {idle}s"
    return None


def judge(result: Result, expect: Expectation) -> Verdict:
    outcome = result.outcome
    if result.egress:  # a failure even when the code under test caught the error and carried on
        refused = "; ".join(result.egress)
        return failed(
            CAUSE_EGRESS, refused, f"the code under test tried to leave the machine: {refused}"
        )
    if outcome.cause == DEADLINE_CAUSE:
        return failed(CAUSE_DEADLINE, outcome.error or "a phase ran past its limit")
    if outcome.cause == FACTORY_RAISED_CAUSE:
        return failed(
            CAUSE_FACTORY_RAISED,
            outcome.error or "",
            f"the client factory raised {outcome.error} building the client",
        )
    if outcome.cause == FACTORY_RETURNED_CAUSE:
        return failed(CAUSE_OTHER, outcome.error or "the client factory returned no client")
    problems: list[str] = []
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
    elif result.call is Call.CHAT and outcome.body != CHAT_REPLY:
        problems.append(f"expected the chat reply {CHAT_REPLY!r}")
    if not result.observations:
        problems.append("no connection reached the origin")
    if expect.via_proxy:
        if not tunnels:
            problems.append(f"the proxy carried nothing for {host}")
        if direct:
            problems.append("the origin saw a direct connection, not the proxy's")
    else:
        if tunnels:
            problems.append(f"the proxy carried a request for {host}, expected a direct connection")
    # Through a proxy the origin only sees the proxy's socket, and httpcore 1.0 does not apply
    # socket_options to proxy tunnels (pinned in tests/test_findings.py), so keepalive is judged
    # on direct connections only.
    wrong_keepalive: list[KeepaliveState] = []
    if not expect.codex and expect.keepalive_idle is not None and not expect.via_proxy:
        for observation in direct:
            problem = _keepalive_problem(observation.keepalive, expect.keepalive_idle)
            if problem is not None:
                problems.append(problem)
                wrong_keepalive.append(observation.keepalive)
    if not problems:
        return Verdict(True, (), None)
    kind, detail = _cause(result, expect, problems, wrong_keepalive)
    return Verdict(False, tuple(problems), f"{kind}: {detail}", kind)


def _keepalive_cause(state: KeepaliveState, expected: int) -> tuple[str, str]:
    if not state.armed:
        return (
            CAUSE_KEEPALIVE_OFF,
            f"the client did not arm TCP keepalive on its socket (expected idle {expected}s, "
            "--keepalive-idle)",
        )
    if state.idle_seconds == kernel_default_idle():
        return (
            CAUSE_KEEPALIVE_KERNEL_DEFAULT,
            f"armed {state.idle_seconds}s, the kernel default (net.ipv4.tcp_keepalive_time: "
            f"SO_KEEPALIVE without TCP_KEEPIDLE?), expected {expected}s (--keepalive-idle)",
        )
    return (
        CAUSE_KEEPALIVE_IDLE,
        f"armed {state.idle_seconds}s, expected {expected}s (--keepalive-idle)",
    )


def _cause(
    result: Result,
    expect: Expectation,
    problems: list[str],
    wrong_keepalive: list[KeepaliveState],
) -> tuple[str, str]:
    outcome = result.outcome
    if outcome.cause == "TLS_VERIFY":
        return (
            CAUSE_TLS_TRUST,
            "the client does not trust the harness CA "
            "(built with its own verify= context or trust_env=False?)",
        )
    resets = [o for o in result.observations if o.action == "reset"]
    if expect.via_proxy and any(o.direct for o in result.observations):
        return (
            CAUSE_PROXY_BYPASS,
            "the client connected directly although "
            f"{', '.join(sorted(result.environ)) or 'the environment'} names a proxy "
            "(a custom transport that ignores proxy variables?)",
        )
    if any(o.keepalive.armed and o.direct for o in resets):
        return (
            CAUSE_KEEPALIVE_RESET,
            f"the client armed TCP keepalive on its connection to {result.endpoint.origin}, "
            "which resets such handshakes",
        )
    if not expect.via_proxy and result.tunnels:
        return (
            CAUSE_UNEXPECTED_PROXY,
            "the client sent this request to the proxy although the standard proxy rules "
            "(the URL's scheme, NO_PROXY) send it direct",
        )
    if wrong_keepalive and expect.keepalive_idle is not None:
        return _keepalive_cause(wrong_keepalive[0], expect.keepalive_idle)
    return CAUSE_OTHER, problems[0]
