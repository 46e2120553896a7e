"""The one vocabulary of failure causes: what the drive path detects and what verdicts name.

A full cause reads ``"<name>: <what was observed>"``; summaries count the names, so no name contains
a colon. The drive path reports what it detected itself (a breached deadline, a factory that raised
or ended its process, egress, a process that outlived its case) as a :class:`Fault` carrying one of
these names, and :mod:`harness.judging.verdicts` adds the ones it reads off the wire.
"""

from __future__ import annotations

from dataclasses import dataclass

KEEPALIVE_OFF = "keepalive off"
KEEPALIVE_IDLE = "keepalive idle mismatch"
KEEPALIVE_KERNEL_DEFAULT = "keepalive kernel default idle"
KEEPALIVE_RESET = "keepalive-sensitive origin"
PROXY_BYPASS = "proxy bypass"
PROXY_FALLBACK = "proxy fallback to direct"
NO_SOCKS = "no SOCKS support"
UNEXPECTED_PROXY = "unexpected proxy"
WRONG_HOST = "wrong host"
WRONG_PATH = "wrong path"
TLS_TRUST = "TLS trust"
CLIENT_HELLO = "client hello differs"
IDENTITY_CHALLENGE = "identity challenge"
STREAM_IDLE = "stream idle"
SLOW_CONNECT = "slow connect"
NO_IPV4_FALLBACK = "no IPv4 fallback"
FACTORY_RAISED = "factory raised"
FACTORY_RETURNED = "factory returned no client"
FACTORY_ENDED = "process ended"
OUTLIVED = "process outlived its case"
DEADLINE = "deadline"
EGRESS = "network egress"
OTHER = "other"

#: One line per cause, for ``diagnose --help`` and the docs.
SUMMARIES = {
    KEEPALIVE_OFF: "no TCP keepalive on a non-Codex connection",
    KEEPALIVE_IDLE: "keepalive armed with another idle time (both numbers given)",
    KEEPALIVE_KERNEL_DEFAULT: "SO_KEEPALIVE without TCP_KEEPIDLE (kernel default, 7200 s)",
    KEEPALIVE_RESET: "keepalive armed on a connection the origin resets (Codex)",
    PROXY_BYPASS: "a direct connection although a proxy variable names a proxy",
    PROXY_FALLBACK: (
        "the proxy refused the request and the client connected directly instead, hiding the "
        "misroute"
    ),
    NO_SOCKS: (
        "a proxy variable names a SOCKS proxy and the client stack cannot speak it (httpx "
        "without socksio, or a scheme its version does not know)"
    ),
    UNEXPECTED_PROXY: "sent to the proxy although the scheme or NO_PROXY says direct",
    WRONG_HOST: "SNI or Host named another host than the endpoint's",
    WRONG_PATH: "a request path outside the endpoint's base path",
    TLS_TRUST: "the client does not trust the session CA (SSL_CERT_FILE)",
    CLIENT_HELLO: "a Codex client's TLS ClientHello (JA4) is not the SDK default client's",
    IDENTITY_CHALLENGE: (
        "the Codex edge challenged a request without the identity headers, or on a "
        "ClientHello it fingerprints"
    ),
    STREAM_IDLE: (
        "on a stream that went silent, the client waited when it had to give up within the "
        "--harness-stream-idle bound, or gave up when it had to wait"
    ),
    SLOW_CONNECT: (
        "the client took longer than the --harness-connect-within bound to connect (it waited out "
        "a blackholed IPv6 address before trying IPv4)"
    ),
    NO_IPV4_FALLBACK: (
        "the name's IPv6 address blackholes and the client never tried its IPv4 one "
        "(it connects over IPv6 only)"
    ),
    FACTORY_RAISED: "the factory raised building this client",
    FACTORY_RETURNED: "the factory returned something other than an OpenAI client",
    FACTORY_ENDED: "the scenario's process ended (exit, signal, crash) before it reported",
    OUTLIVED: "a process the scenario started was still running when it ended",
    DEADLINE: "a phase of the scenario took longer than its limit",
    EGRESS: "the code under test looked up or connected to something off the machine",
    OTHER: "anything else (the first problem is quoted)",
}
CAUSES = tuple(SUMMARIES)


@dataclass(frozen=True)
class Fault:
    """A failure the drive path detected itself: ``cause`` is one of :data:`CAUSES`."""

    cause: str
    detail: str

    def describe(self) -> str:
        return f"{self.cause}: {self.detail}"
