"""A loopback HTTP CONNECT proxy that records every tunnel.

It reaches origins from its own loopback source address, so a gate can tell a proxied connection
from a direct one, and it asks the kernel whether the client's socket to the proxy has keepalive
armed (the origin only ever sees the proxy's own socket). Requests are parsed with h11.
"""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11

from harness.kernel import KeepaliveState, KernelView
from harness.observations import Address, RecordLog
from harness.routing import Router, RoutingError, UnroutedHost
from harness.server import ConnectionServer, relay

#: The proxy's upstream source address; gates treat connections from it as proxied.
PROXY_SOURCE = "127.0.42.1"
MAX_HEAD = 16384


@dataclass(frozen=True)
class Tunnel:
    """One CONNECT request as the proxy saw it."""

    peer: Address
    host: str
    port: int
    keepalive: KeepaliveState
    status: int
    detail: str = ""
    method: str = "CONNECT"

    def summary(self) -> str:
        armed = (
            f"keepalive armed, idle {self.keepalive.idle_seconds}s"
            if self.keepalive.armed
            else "keepalive off"
        )
        target = f"{self.host}:{self.port}"
        return f"proxy: {self.method} {target} -> {self.status} ({armed}) {self.detail}".rstrip()


class ConnectProxy(ConnectionServer):
    """CONNECT-only proxy on 127.0.0.1; tunnels go wherever the router sends the target name."""

    def __init__(
        self,
        router: Router,
        kernel: KernelView,
        *,
        source: str = PROXY_SOURCE,
        head_timeout: float = 5.0,
        idle_timeout: float = 30.0,
    ) -> None:
        super().__init__("proxy", "127.0.0.1")
        self.router = router
        self.source = source
        self.log: RecordLog[Tunnel] = RecordLog()
        self._kernel = kernel
        self._head_timeout = head_timeout
        self._idle_timeout = idle_timeout

    @property
    def url(self) -> str:
        return f"http://{self.address[0]}:{self.address[1]}"

    def _read_request(self, client: socket.socket) -> tuple[h11.Connection, h11.Request] | None:
        connection = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        deadline = time.monotonic() + self._head_timeout
        while True:
            event = connection.next_event()
            if isinstance(event, h11.Request):
                return connection, event
            if event is not h11.NEED_DATA:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            client.settimeout(remaining)
            connection.receive_data(client.recv(MAX_HEAD))

    def _answer(self, client: socket.socket, connection: h11.Connection, status: int) -> None:
        reason = b"Connection established" if status == 200 else b"Bad Gateway"
        headers = [] if status == 200 else [(b"content-length", b"0"), (b"connection", b"close")]
        with contextlib.suppress(OSError, h11.LocalProtocolError):
            response = h11.Response(status_code=status, headers=headers, reason=reason)
            client.sendall(connection.send(response) or b"")

    def handle(self, client: socket.socket, peer: Address) -> None:
        try:
            parsed = self._read_request(client)
        except (OSError, h11.RemoteProtocolError):
            return
        if parsed is None:
            return
        connection, request = parsed
        keepalive = self._kernel.keepalive(peer, self.address)
        target = request.target.decode("ascii", "replace")
        host, _, port_text = target.rpartition(":")
        if request.method != b"CONNECT" or not port_text.isdigit():
            method = request.method.decode("ascii", "replace")
            url = urlsplit(target)
            detail = f"{target}: only CONNECT is supported"
            refused = Tunnel(
                peer, url.hostname or target, url.port or 0, keepalive, 405, detail, method
            )
            self.log.append(refused)
            self._answer(client, connection, 405)
            return
        port = int(port_text)
        try:
            destination = self.router.destination((self.router.resolve(host), port))
            upstream = socket.create_connection(
                destination[:2], timeout=self._head_timeout, source_address=(self.source, 0)
            )
        except (UnroutedHost, RoutingError, OSError) as exc:
            self.log.append(Tunnel(peer, host, port, keepalive, 502, str(exc)))
            self._answer(client, connection, 502)
            return
        with upstream:
            # Relayed TLS flights arrive in several small writes: without TCP_NODELAY, Nagle holds
            # each one back until the previous is acknowledged (~12 ms per request on loopback).
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.track(upstream)
            self.log.append(Tunnel(peer, host, port, keepalive, 200))
            self._answer(client, connection, 200)
            early, _closed = connection.trailing_data
            try:
                if early:
                    upstream.sendall(early)
                if not self.stopping.is_set():
                    relay(client, upstream, self._idle_timeout)
            except OSError:
                pass
            finally:
                self.forget(upstream)
