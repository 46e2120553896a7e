"""The gate in front of each origin: accept, peek the first bytes, ask the kernel, apply the rule.

It never terminates TLS. A connection the rule lets through goes to the origin's backend untouched
(the ClientHello was only peeked): handed over to the backend in the gate's own thread when the
origin offers that, else spliced byte for byte to the backend's port. One it rejects is reset (or
stalled, or alerted) before the handshake completes, as the real backend does. Connections from
the harness's CONNECT proxy are told apart from direct ones by their source address.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from harness.network.address import Address
from harness.network.faults import Action, ConnectionFacts, FaultRules, decide
from harness.network.ja4 import ja4
from harness.network.kernel import KernelView
from harness.network.observations import Observation, ObservationLog
from harness.network.server import ConnectionServer, relay, reset
from harness.network.tls import MalformedHello, looks_like_tls, parse_client_hello, record_length

MAX_HELLO = 16384 + 5
#: A fatal TLS alert, handshake_failure (40), in a TLS 1.2-versioned record.
HANDSHAKE_FAILURE_ALERT = bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])

Tracked = Callable[[socket.socket], AbstractContextManager[bool]]
#: Serves a connection the gate let through, in the gate's thread: ``(client, peer, tracked,
#: ja4)``. ``tracked(sock)`` has the gate's close() cut ``sock``, the socket that carries the
#: connection from then on (a TLS wrapper takes over the client's descriptor); it yields False
#: once the gate is stopping. ``ja4`` is the fingerprint of the ClientHello the gate peeked (None:
#: none read), for an edge that fingerprints. This saves the second TCP connection and the relay
#: hop of a splice.
Handover = Callable[[socket.socket, Address, Tracked, "str | None"], None]


class Gate(ConnectionServer):
    """A listening socket on the origin's loopback address and one named thread per connection."""

    def __init__(
        self,
        name: str,
        host: str,
        backend: Address,
        rules: FaultRules,
        kernel: KernelView,
        log: ObservationLog,
        *,
        proxy_sources: frozenset[str] = frozenset(),
        handover: Handover | None = None,
        hello_timeout: float = 5.0,
        idle_timeout: float = 30.0,
        join_timeout: float = 5.0,
    ) -> None:
        super().__init__(f"gate-{name}", host, join_timeout=join_timeout)
        self.origin = name
        self.backend = backend
        self.rules = rules
        #: Rules a test injected, then those of the network condition in force; both are
        #: consulted before the origin's own.
        self.injected: FaultRules | None = None
        self.overlay: FaultRules | None = None
        self.proxy_sources = proxy_sources
        self._handover = handover
        self._kernel = kernel
        self._log = log
        self._hello_timeout = hello_timeout
        self._idle_timeout = idle_timeout

    def _peek_first_record(self, client: socket.socket) -> bytes:
        """Wait (bounded) for the first bytes; for TLS, for the whole first record."""
        deadline = time.monotonic() + self._hello_timeout
        client.settimeout(self._hello_timeout)
        data = client.recv(MAX_HELLO, socket.MSG_PEEK)
        if looks_like_tls(data):
            while (needed := record_length(data)) is None or len(data) < min(needed, MAX_HELLO):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                client.settimeout(remaining)
                wanted = needed if needed is not None else 5
                more = client.recv(min(wanted, MAX_HELLO), socket.MSG_PEEK | socket.MSG_WAITALL)
                if len(more) <= len(data):
                    break
                data = more
        client.settimeout(None)
        return data

    def _facts(self, client: socket.socket, peer: Address) -> ConnectionFacts | None:
        accepted_at = time.monotonic()
        try:
            first = self._peek_first_record(client)
        except OSError:
            return None
        if not first:
            return None
        tls = looks_like_tls(first)
        sni: str | None = None
        alpn: tuple[str, ...] = ()
        fingerprint: str | None = None
        if tls:
            with contextlib.suppress(MalformedHello):
                hello = parse_client_hello(first)
                sni, alpn, fingerprint = hello.sni, hello.alpn, ja4(hello)
        try:
            keepalive = self._kernel.keepalive(peer, self.address, accepted_at=accepted_at)
        except LookupError:
            return None  # the client went away before it could be observed
        direct = peer[0] not in self.proxy_sources
        return ConnectionFacts(
            tls=tls,
            sni=sni,
            alpn=alpn,
            keepalive=keepalive,
            direct=direct,
            ja4=fingerprint,
            accepted_at=accepted_at,
        )

    def handle(self, client: socket.socket, peer: Address) -> None:
        started = time.perf_counter()
        facts = self._facts(client, peer)
        if facts is None:
            return
        chosen = decide(facts, self.injected, self.overlay, self.rules)
        self._log.append(
            Observation(
                origin=self.origin,
                peer=peer,
                listen=self.address,
                tls=facts.tls,
                sni=facts.sni,
                alpn=facts.alpn,
                keepalive=facts.keepalive,
                direct=facts.direct,
                action=chosen.action.value,
                rule=chosen.text,
                decide_ms=(time.perf_counter() - started) * 1000,
                ja4=facts.ja4,
                accepted_at=facts.accepted_at,
            )
        )
        if chosen.action is Action.RESET:
            self.forget(client)
            reset(client)
        elif chosen.action is Action.STALL:
            self.stopping.wait(chosen.params["seconds"])
        elif chosen.action is Action.ALERT:
            with contextlib.suppress(OSError):
                client.sendall(HANDSHAKE_FAILURE_ALERT)
        else:
            # Replies go out in several small writes: without TCP_NODELAY, Nagle holds each one
            # back until the previous one is acknowledged.
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            limit = chosen.params.get("bytes")
            if limit is None and self._handover is not None:
                self._handover(client, peer, self.tracked, facts.ja4)
            else:
                self._splice(client, None if limit is None else int(limit))

    def _splice(self, client: socket.socket, reset_after: int | None) -> None:
        with socket.create_connection(self.backend, timeout=self._hello_timeout) as backend:
            backend.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.tracked(backend) as running:
                if running:
                    relay(client, backend, self._idle_timeout, reset_left_after=reset_after)
