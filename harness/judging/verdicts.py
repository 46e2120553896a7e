"""Verdicts: what a scenario should have looked like, and the likely cause when it did not.

The split suite asserts on these and ``python -m harness diagnose`` prints them, so both judge a
client by the same rules and name a failure with the same words (the ``CAUSE_*`` constants): a
Codex endpoint reaches the backend and gets the recorded reply; any other endpoint reaches its
origin with TCP keepalive armed at the idle time the harness expects (``--keepalive-idle``, unless
keepalive is not judged); a request goes through the proxy exactly when the documented proxy
rules (:mod:`harness.judging.proxy_rules`) say so, and when that proxy refuses it, the client
surfaces the refusal and no origin sees a connection (a direct retry is ``proxy fallback to
direct``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from harness.judging import causes
from harness.judging.causes import CAUSES, SUMMARIES
from harness.judging.drive import Result
from harness.network.address import host_header_name, path_is_under
from harness.network.edge import FINGERPRINT_REFUSAL
from harness.network.kernel import KeepaliveState
from harness.sandbox.outcomes import Outcome

# The names verdicts use, from the one vocabulary (harness.judging.causes).
CAUSE_KEEPALIVE_OFF = causes.KEEPALIVE_OFF
CAUSE_KEEPALIVE_IDLE = causes.KEEPALIVE_IDLE
CAUSE_KEEPALIVE_KERNEL_DEFAULT = causes.KEEPALIVE_KERNEL_DEFAULT
CAUSE_KEEPALIVE_RESET = causes.KEEPALIVE_RESET
CAUSE_PROXY_BYPASS = causes.PROXY_BYPASS
CAUSE_PROXY_FALLBACK = causes.PROXY_FALLBACK
CAUSE_NO_SOCKS = causes.NO_SOCKS
CAUSE_UNEXPECTED_PROXY = causes.UNEXPECTED_PROXY
CAUSE_WRONG_HOST = causes.WRONG_HOST
CAUSE_WRONG_PATH = causes.WRONG_PATH
CAUSE_TLS_TRUST = causes.TLS_TRUST
CAUSE_CLIENT_HELLO = causes.CLIENT_HELLO
CAUSE_IDENTITY_CHALLENGE = causes.IDENTITY_CHALLENGE
CAUSE_STREAM_IDLE = causes.STREAM_IDLE
CAUSE_SLOW_CONNECT = causes.SLOW_CONNECT
CAUSE_NO_IPV4_FALLBACK = causes.NO_IPV4_FALLBACK
CAUSE_FACTORY_RAISED = causes.FACTORY_RAISED
CAUSE_FACTORY_RETURNED = causes.FACTORY_RETURNED
CAUSE_FACTORY_ENDED = causes.FACTORY_ENDED
CAUSE_OUTLIVED = causes.OUTLIVED
CAUSE_DEADLINE = causes.DEADLINE
CAUSE_EGRESS = causes.EGRESS
CAUSE_OTHER = causes.OTHER
CAUSE_SUMMARIES = SUMMARIES
__all__ = ["CAUSES", "Expectation", "Verdict", "judge"]

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
    """Everything a scenario must show. ``keepalive_idle`` None: keepalive is not judged;
    ``body``/``events`` None: not compared. The request must name ``host`` (SNI and Host) and
    lie under ``base_path``."""

    codex: bool
    keepalive_idle: int | None
    via_proxy: bool = False
    status: int = 200
    body: Any = None
    events: tuple[str, ...] | None = None
    host: str = ""
    base_path: str = "/"
    #: The JA4 the client's ClientHello must have (the SDK default client's); None: not judged.
    client_hello: str | None = None
    #: Seconds of silence the origin puts in the stream (None: none); the client must wait it
    #: out and get every event, unless it must give up within ``give_up_within`` seconds.
    stream_silence: float | None = None
    give_up_within: float | None = None
    #: The status a refusing proxy answers this request with (None: the proxy does not refuse).
    #: Nothing reaches the origin; the client surfaces the refusal, as an error or as that reply.
    proxy_refusal: int | None = None
    #: Seconds within which the client must reach the origin (None: not judged).
    connect_within: float | None = None
    #: The endpoint's IPv6 address blackholes and the client goes direct: it must fall back to
    #: the IPv4 one.
    ipv6_blackhole: bool = False


#: How much longer than its bound a client may bear a silence before it gives up: its read timeout
#: fires a little late on a loaded machine. Measured in the client's process from the last thing
#: it received (the headers, an event), so connecting and the request do not count.
GIVE_UP_SLACK = 0.5
#: How much longer than its bound a client may take to connect: the scenario's process starts its
#: clock before the SDK builds the request, and a loaded machine adds scheduling delay.
CONNECT_SLACK = 0.25


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
        lines += [
            f"  request: {r.method} {r.host}{r.path} with headers {r.header_summary()}"
            + (f" -> identity challenge ({r.challenged})" if r.challenged else "")
            for r in result.requests[:1]
        ]
        lines += [f"  problem: {problem}" for problem in self.problems]
        if self.cause:
            lines.append(f"  likely cause: {self.cause}")
        return "\n".join(lines)


def failed(kind: str, detail: str, problem: str | None = None) -> Verdict:
    """A failed verdict of cause ``kind``, worded ``"<kind>: <detail>"``."""
    return Verdict(False, (problem or detail,), f"{kind}: {detail}", kind)


def _client_hello_problems(result: Result, expected: str) -> list[str]:
    """Each TLS connection's ClientHello must have the expected JA4; one the gate could not read
    (split across records, cut short) cannot be shown to, so it fails too."""
    problems = []
    for observation in result.observations:
        if not observation.tls:
            continue
        if observation.ja4 is None:
            problems.append("the origin could not read the client's ClientHello to fingerprint it")
        elif observation.ja4 != expected:
            problems.append(
                f"the origin saw a ClientHello with JA4 {observation.ja4}; the SDK's default "
                f"client presents {expected}"
            )
    return list(dict.fromkeys(problems))


def _keepalive_problem(state: KeepaliveState, idle: int) -> str | None:
    if not state.armed:
        return f"the origin saw TCP keepalive off on the client's socket; expected idle {idle}s"
    if state.idle_seconds != idle:
        return f"the origin saw keepalive armed with idle {state.idle_seconds}s; expected {idle}s"
    return None


def _gave_up_on_the_silence(outcome: Outcome) -> bool:
    """The client timed out reading a stream it had opened: the silence it was given."""
    return outcome.cause == "TIMEOUT" and outcome.idle_seconds is not None


def _stream_problem(result: Result, expect: Expectation) -> str | None:
    """On a stream that goes silent: a client that had to give up within its bound and waited
    (or bore the silence too long), or one that had to wait and gave up. None: nothing to say
    (no silence, the client did as it had to, or it failed otherwise)."""
    outcome, silence, bound = result.outcome, expect.stream_silence, expect.give_up_within
    if silence is None:
        return None
    if bound is not None:
        if outcome.reached:
            took = f"{outcome.seconds:.1f} s" if outcome.seconds is not None else "its call"
            return (
                f"the client waited out {silence:g} s of silence in the stream ({took} in all); "
                f"it must give up within {bound:g} s (--harness-stream-idle)"
            )
        idle = outcome.idle_seconds
        if _gave_up_on_the_silence(outcome) and idle is not None and idle > bound + GIVE_UP_SLACK:
            return (
                f"the client bore {idle:.1f} s of silence in the stream before it gave up; it "
                f"must give up within {bound:g} s (--harness-stream-idle)"
            )
        return None
    if _gave_up_on_the_silence(outcome):
        return (
            f"the client gave up on a stream silent for {silence:g} s after "
            f"{outcome.idle_seconds:.1f} s; it must wait the silence out and get the whole "
            "stream (--harness-stream-idle off)"
        )
    return None


def _reply_problem(result: Result, expect: Expectation) -> str | None:
    outcome = result.outcome
    if expect.proxy_refusal is not None:
        if outcome.reached and outcome.status != expect.proxy_refusal:
            return (
                f"the proxy refused the request with {expect.proxy_refusal}, yet the client got "
                f"{outcome.status} from elsewhere; it must surface the refusal"
            )
        return None
    stream = _stream_problem(result, expect)
    if stream is not None:
        return stream
    if expect.give_up_within is not None and _gave_up_on_the_silence(outcome):
        return None  # gave up in time, as it must
    if not outcome.reached:
        return f"the client got no HTTP response ({outcome.cause})"
    if expect.events is not None:
        if outcome.status != expect.status or outcome.events != expect.events:
            return f"expected the SSE events {' '.join(expect.events)}"
        return None
    if expect.body is not None and (outcome.status, outcome.body) != (expect.status, expect.body):
        if outcome.status == expect.status:
            return f"expected the reply {expect.body!r}"
        return f"expected the recorded reply {expect.status} {expect.body!r}"
    if outcome.status != expect.status:
        return f"expected {expect.status}, got {outcome.status}"
    return None


def _destination(result: Result, expect: Expectation) -> Verdict | None:
    """SNI and Host must name the endpoint's host, and each path lie under its base path."""
    host = expect.host
    for observation in result.observations:
        if observation.sni is not None and observation.sni.rstrip(".").lower() != host:
            return failed(
                CAUSE_WRONG_HOST, f"the TLS handshake named {observation.sni!r}, expected {host!r}"
            )
    for request in result.requests:
        if host_header_name(request.host) != host:
            return failed(
                CAUSE_WRONG_HOST,
                f"{request.method} {request.path} carried Host {request.host!r}, expected {host!r}",
            )
        if not path_is_under(request.path, expect.base_path):
            return failed(
                CAUSE_WRONG_PATH,
                f"{request.method} {request.path} is not under the endpoint's base path "
                f"{expect.base_path!r}",
            )
    return None


def judge(result: Result, expect: Expectation) -> Verdict:
    if result.egress:  # a failure even when the code under test caught the error and carried on
        refused = "; ".join(result.egress)
        return failed(
            CAUSE_EGRESS, refused, f"the code under test tried to leave the machine: {refused}"
        )
    if result.fault is not None:
        return failed(result.fault.cause, result.fault.detail)
    destination = _destination(result, expect)
    if destination is not None:  # what arrived went elsewhere: judged before how it got there
        return destination
    problems: list[str] = []
    host = expect.host
    tunnels = [t for t in result.tunnels if t.host.lower() == host]
    direct = [o for o in result.observations if o.direct]
    reply = _reply_problem(result, expect)
    if reply is not None:
        problems.append(reply)
    problems += [
        f"the Codex edge answered {r.method} {r.path} with its identity challenge: {r.challenged}"
        for r in result.requests
        if r.challenged
    ]
    if not result.observations and expect.proxy_refusal is None:
        problems.append("no connection reached the origin")
    slow = _slow_connect(result, expect)
    if slow is not None:
        problems.append(slow)
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
    if expect.client_hello is not None:
        problems += _client_hello_problems(result, expect.client_hello)
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


def _slow_connect(result: Result, expect: Expectation) -> str | None:
    """A client that reached the origin later than the adopter's bound allows."""
    bound, took = expect.connect_within, result.connect_seconds
    if bound is None or took is None or took <= bound + CONNECT_SLACK:
        return None
    over = " over " + "/".join(result.families) if result.families else ""
    return (
        f"the client took {took:.2f} s to reach the origin{over}; it must connect within "
        f"{bound:g} s (--harness-connect-within)"
    )


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
    refused = [t for t in result.tunnels if t.refused and t.host.lower() == expect.host]
    direct = [o for o in result.observations if o.direct]
    if expect.proxy_refusal is not None and refused and direct:
        tunnel = refused[0]
        return (
            CAUSE_PROXY_FALLBACK,
            f"the proxy refused {tunnel.method} {tunnel.host}:{tunnel.port} with {tunnel.status} "
            f"and the client connected directly to the {direct[0].origin} origin instead (a "
            "fallback that hides the misroute where direct connections work and fails where they "
            "do not)",
        )
    if expect.via_proxy and direct:
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
    challenged = [r.challenged for r in result.requests if r.challenged]
    if challenged:
        wants = (
            "the Codex edge lets the SDK default client's ClientHello through"
            if challenged[0].startswith(FINGERPRINT_REFUSAL)
            else "the Codex edge wants the identity headers a Codex client sends"
        )
        return CAUSE_IDENTITY_CHALLENGE, f"{challenged[0]} ({wants}, --harness-identity)"
    stream = _stream_problem(result, expect)
    if stream is not None:
        return CAUSE_STREAM_IDLE, stream
    if expect.ipv6_blackhole and not result.observations and not result.tunnels:
        return (
            CAUSE_NO_IPV4_FALLBACK,
            f"the endpoint's IPv6 address blackholes and the client never connected to its IPv4 "
            f"one (it got {outcome.describe()}; does it connect over IPv6 only?)",
        )
    slow = _slow_connect(result, expect)
    if slow is not None:
        blackhole = (
            ": it waited out the blackholed IPv6 address before trying IPv4 (no Happy Eyeballs?)"
            if expect.ipv6_blackhole
            else ""
        )
        return CAUSE_SLOW_CONNECT, f"{slow}{blackhole}"
    if expect.client_hello is not None and _client_hello_problems(result, expect.client_hello):
        seen = sorted({o.ja4 or "unreadable" for o in result.observations if o.tls})
        return (
            CAUSE_CLIENT_HELLO,
            f"the Codex client's ClientHello has JA4 {', '.join(seen)}, the SDK default "
            f"client's {expect.client_hello} (its own SSL context or transport?)",
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
