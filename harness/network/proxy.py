"""A loopback HTTP and SOCKS5 proxy that records every request it carries.

``CONNECT host:port`` opens a tunnel (https URLs); an absolute-form request such as
``GET http://host:port/path`` is forwarded as one request (plain-HTTP URLs under ``HTTP_PROXY``).
It reaches origins from its own loopback source address, so a gate can tell a proxied connection
from a direct one, and it asks the kernel whether the client's socket to the proxy has keepalive
armed (the origin only ever sees the proxy's own socket). Under a condition with a
:class:`Refusal` it refuses every request instead, as a corporate proxy that denies the
destination does. Requests are parsed with h11. A connection whose first byte is SOCKS5's
version is served by :mod:`harness.network.socks` instead, on the same port: the proxy URL's
scheme (``http://``, ``socks5://``, ``socks5h://``) is all a condition changes.
"""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import h11

from harness.network.address import Address
from harness.network.kernel import KeepaliveState, KernelView
from harness.network.observations import RecordLog
from harness.network.routing import Router, RoutingError, UnroutedHost
from harness.network.server import ConnectionServer, relay
from harness.network.socks import (
    HOST_UNREACHABLE,
    NOT_ALLOWED,
    SUCCEEDED,
    SocksError,
    negotiate,
)
from harness.network.socks import VERSION as SOCKS_VERSION
from harness.network.socks import reply as socks_reply

#: The proxy's upstream source address; gates treat connections from it as proxied.
PROXY_SOURCE = "127.0.42.1"
MAX_HEAD = 16384
MAX_BODY = 1 << 20


#: Hop-by-hop headers a forwarding proxy does not pass on (RFC 9110, section 7.6.1).
HOP_BY_HOP = {
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"proxy-authorization",
    b"te",
    b"trailer",
    b"transfer-encoding",
    b"upgrade",
}


@dataclass(frozen=True)
class Refusal:
    """What the proxy answers every CONNECT and forwarded request with while refusing: an error
    status, its headers and a short page, as Squid's ``ERR_ACCESS_DENIED`` or a 502 arrives."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""


@dataclass(frozen=True)
class Tunnel:
    """One request the proxy carried: a CONNECT tunnel, or a forwarded plain-HTTP request."""

    peer: Address
    host: str
    port: int
    keepalive: KeepaliveState
    status: int
    detail: str = ""
    method: str = "CONNECT"
    #: For a SOCKS5 tunnel: whether the client sent the host's name (None: not SOCKS), and the
    #: address it sent instead (the proxy records the routed name for it in ``host``).
    name_sent: bool | None = None
    address_sent: str = ""

    @property
    def kind(self) -> str:
        """``CONNECT``, ``forward`` (an absolute-form request), ``socks5 name`` or ``socks5
        address``: how the client asked, for observations and diagnose."""
        if self.name_sent is not None:
            return "socks5 name" if self.name_sent else "socks5 address"
        return "CONNECT" if self.method == "CONNECT" else "forward"

    @property
    def refused(self) -> bool:
        """Whether the proxy turned the request away (a refusing condition, or no route)."""
        return self.status >= 400

    def summary(self) -> str:
        armed = self.keepalive.describe()
        target = f"{self.host}:{self.port}"
        if self.name_sent is False:
            target += f" (sent as {self.address_sent})"
        return f"proxy: {self.method} {target} -> {self.status} ({armed}) {self.detail}".rstrip()


class ConnectProxy(ConnectionServer):
    """Proxy on 127.0.0.1 (CONNECT tunnels and forwarded plain-HTTP requests); either goes
    wherever the router sends the target name."""

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
        #: Set by a refusing condition for its block (``Network.under``).
        self.refusal: Refusal | None = None
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

    def _upstream(self, host: str, port: int) -> socket.socket:
        """A connection to where the router sends ``host:port``, from the proxy's address."""
        destination = self.router.destination((self.router.resolve(host), port))
        return socket.create_connection(
            destination[:2], timeout=self._head_timeout, source_address=(self.source, 0)
        )

    def _request_body(self, client: socket.socket, connection: h11.Connection) -> bytes | None:
        """The whole request body (bounded by the head timeout and MAX_BODY), or None."""
        body = bytearray()
        deadline = time.monotonic() + self._head_timeout
        while True:
            event = connection.next_event()
            if isinstance(event, h11.Data):
                body += event.data
                if len(body) > MAX_BODY:
                    return None
            elif isinstance(event, h11.EndOfMessage):
                return bytes(body)
            elif event is h11.NEED_DATA:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                client.settimeout(remaining)
                connection.receive_data(client.recv(MAX_HEAD))
            else:
                return None

    def _forward(
        self,
        client: socket.socket,
        connection: h11.Connection,
        request: h11.Request,
        peer: Address,
        keepalive: KeepaliveState,
    ) -> None:
        """Forward one absolute-form plain-HTTP request; the reply ends the connection."""
        method = request.method.decode("ascii", "replace")
        target = request.target.decode("ascii", "replace")
        url = urlsplit(target)
        try:
            host, port = url.hostname or "", url.port or 80
        except ValueError:  # a port that is not one
            host, port = "", 0
        if url.scheme.lower() != "http" or not host:
            detail = f"{target}: expected CONNECT host:port or an absolute http:// URL"
            self.log.append(Tunnel(peer, host or target, port, keepalive, 400, detail, method))
            self._answer(client, connection, 400)
            return
        try:
            body = self._request_body(client, connection)
        except (OSError, h11.RemoteProtocolError):
            return
        if body is None:
            self.log.append(Tunnel(peer, host, port, keepalive, 400, "unreadable body", method))
            self._answer(client, connection, 400)
            return
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        named = {
            token.strip().lower()
            for name, value in request.headers
            if name.lower() == b"connection"
            for token in value.split(b",")
        }
        dropped = HOP_BY_HOP | named  # and whatever Connection names (RFC 9110, 7.6.1)
        headers = [(n, v) for n, v in request.headers if n.lower() not in dropped]
        headers = [(n, v) for n, v in headers if n.lower() != b"content-length"]
        headers += [(b"content-length", str(len(body)).encode()), (b"connection", b"close")]
        head = f"{method} {path} HTTP/1.1\r\n".encode("ascii") + b"".join(
            name + b": " + value + b"\r\n" for name, value in headers
        )
        try:
            upstream = self._upstream(host, port)
        except (UnroutedHost, RoutingError, OSError) as exc:
            self.log.append(Tunnel(peer, host, port, keepalive, 502, str(exc), method))
            self._answer(client, connection, 502)
            return
        with upstream:
            self.track(upstream)
            try:
                upstream.sendall(head + b"\r\n" + body)
            except OSError as exc:
                self.log.append(Tunnel(peer, host, port, keepalive, 502, str(exc), method))
                self._answer(client, connection, 502)
                self.forget(upstream)
                return
            self.log.append(Tunnel(peer, host, port, keepalive, 200, f"forwarded {path}", method))
            try:
                upstream.settimeout(self._idle_timeout)
                while not self.stopping.is_set():
                    chunk = upstream.recv(65536)
                    if not chunk:
                        break
                    client.sendall(chunk)
            except OSError:
                pass
            finally:
                self.forget(upstream)

    def _answer(self, client: socket.socket, connection: h11.Connection, status: int) -> None:
        reasons = {200: b"Connection established", 400: b"Bad Request", 502: b"Bad Gateway"}
        reason = reasons.get(status, b"Error")
        headers = [] if status == 200 else [(b"content-length", b"0"), (b"connection", b"close")]
        with contextlib.suppress(OSError, h11.LocalProtocolError):
            response = h11.Response(status_code=status, headers=headers, reason=reason)
            client.sendall(connection.send(response) or b"")

    def _refuse(
        self,
        client: socket.socket,
        connection: h11.Connection,
        request: h11.Request,
        tunnel: Tunnel,
        refusal: Refusal,
    ) -> None:
        """Answer with the condition's refusal after reading the request whole (closing on an
        unread body would reset the connection and hide the reply)."""
        self.log.append(tunnel)
        if request.method != b"CONNECT":
            with contextlib.suppress(OSError, h11.RemoteProtocolError):
                self._request_body(client, connection)
        body = refusal.body.encode()
        headers = [(name.encode(), value.encode()) for name, value in refusal.headers]
        headers += [(b"content-length", str(len(body)).encode()), (b"connection", b"close")]
        with contextlib.suppress(OSError, h11.LocalProtocolError):
            response = h11.Response(status_code=refusal.status, headers=headers)
            client.sendall((connection.send(response) or b"") + body)

    def _socks(self, client: socket.socket, peer: Address, accepted_at: float) -> None:
        """One SOCKS5 CONNECT: recorded with what the client sent, refused under a refusing
        condition (reply 2, not allowed by ruleset), else tunnelled like CONNECT."""
        try:
            request = negotiate(client, time.monotonic() + self._head_timeout)
        except SocksError as exc:
            if exc.reply is not None:
                with contextlib.suppress(OSError):
                    socks_reply(client, exc.reply)
            return
        except OSError:
            return
        keepalive = self._kernel.keepalive(peer, self.address, accepted_at=accepted_at)
        host, port = request.host, request.port
        if not request.by_name:
            with contextlib.suppress(UnroutedHost, RoutingError, OSError):
                host = self.router.reverse(request.host)[0]
        record = Tunnel(
            peer, host, port, keepalive, 200, "", "SOCKS5", request.by_name, request.host
        )
        refusal = self.refusal
        if refusal is not None:
            self.log.append(replace(record, status=refusal.status, detail="refused"))
            with contextlib.suppress(OSError):
                socks_reply(client, NOT_ALLOWED)
            return
        try:
            upstream = self._upstream(request.host, port)
        except (UnroutedHost, RoutingError, OSError) as exc:
            self.log.append(replace(record, status=502, detail=str(exc)))
            with contextlib.suppress(OSError):
                socks_reply(client, HOST_UNREACHABLE)
            return
        with upstream:
            self.log.append(record)
            bound = upstream.getsockname()
            try:
                socks_reply(client, SUCCEEDED, (bound[0], bound[1]))
            except OSError:
                return
            self._tunnel(client, upstream, b"")

    def _tunnel(self, client: socket.socket, upstream: socket.socket, early: bytes) -> None:
        """Relay both ways until either side ends (``early``: bytes the client sent already)."""
        # Relayed TLS flights arrive in several small writes: without TCP_NODELAY, Nagle holds
        # each one back until the previous is acknowledged (~12 ms per request on loopback).
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.track(upstream)
        try:
            if early:
                upstream.sendall(early)
            if not self.stopping.is_set():
                relay(client, upstream, self._idle_timeout)
        except OSError:
            pass
        finally:
            self.forget(upstream)

    def handle(self, client: socket.socket, peer: Address) -> None:
        accepted_at = time.monotonic()
        try:
            client.settimeout(self._head_timeout)
            first = client.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if first == bytes([SOCKS_VERSION]):
            self._socks(client, peer, accepted_at)
            return
        try:
            parsed = self._read_request(client)
        except (OSError, h11.RemoteProtocolError):
            return
        if parsed is None:
            return
        connection, request = parsed
        keepalive = self._kernel.keepalive(peer, self.address, accepted_at=accepted_at)
        target = request.target.decode("ascii", "replace")
        host, _, port_text = target.rpartition(":")
        refusal = self.refusal
        if refusal is not None:
            method = request.method.decode("ascii", "replace")
            if method != "CONNECT":
                url = urlsplit(target)
                host, port_text = url.hostname or target, ""
                with contextlib.suppress(ValueError):  # a port that is not one
                    port_text = str(url.port or 80)
            port = int(port_text) if port_text.isdigit() else 0
            tunnel = Tunnel(peer, host, port, keepalive, refusal.status, "refused", method)
            self._refuse(client, connection, request, tunnel, refusal)
            return
        if request.method != b"CONNECT":
            self._forward(client, connection, request, peer, keepalive)
            return
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            detail = f"{target}: CONNECT needs host:port"
            self.log.append(Tunnel(peer, target, 0, keepalive, 400, detail))
            self._answer(client, connection, 400)
            return
        port = int(port_text)
        try:
            upstream = self._upstream(host, port)
        except (UnroutedHost, RoutingError, OSError) as exc:
            self.log.append(Tunnel(peer, host, port, keepalive, 502, str(exc)))
            self._answer(client, connection, 502)
            return
        with upstream:
            self.log.append(Tunnel(peer, host, port, keepalive, 200))
            self._answer(client, connection, 200)
            early, _closed = connection.trailing_data
            self._tunnel(client, upstream, early)
