"""Simulated origins built from fixtures: a gate in front of a pytest-httpserver backend.

The backend is an ordinary :class:`pytest_httpserver.HTTPServer` speaking TLS with the session's
certificates, so a test can add its own expectations with the API it already knows; the fixture's
replies are installed as permanent handlers underneath them.
"""

from __future__ import annotations

import contextlib
import json
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from harness.environ import PROXY_VARIABLES, scoped_environ
from harness.fixtures import JSON_TYPES, Endpoint, Fixture, Reply, StreamStall
from harness.network.address import Address
from harness.network.blackhole import Blackhole, ipv6_loopback_available
from harness.network.conditions import Condition
from harness.network.edge import CHECKS, Challenge
from harness.network.faults import FaultRules
from harness.network.gate import Gate, Tracked
from harness.network.kernel import KernelView
from harness.network.observations import ObservationLog, RecordLog, RequestSeen
from harness.network.pki import Authority
from harness.network.proxy import ConnectProxy
from harness.network.routing import IPV6_LOOPBACK, Router
from harness.redact import redact_header_pairs

CLOSE_TIMEOUT = 10.0
#: A served connection idle this long is closed (a client that never hangs up cannot hold a thread).
IDLE_TIMEOUT = 30.0
STOP_POLL_INTERVAL = 0.05
#: How often a paused reply looks for the origin stopping or the client leaving.
STALL_POLL_INTERVAL = 0.05


class Backend(HTTPServer):
    """pytest-httpserver with TCP_NODELAY on accepted sockets and a listener that is closed.

    Without TCP_NODELAY, Nagle and delayed ACKs add ~40 ms to responses split across writes.
    The gate hands the connections it lets through to :meth:`serve_connection`; the backend's own
    port serves the ones the gate splices (``reset_after``) and anyone who calls it directly.
    """

    def __init__(
        self,
        ssl_context: ssl.SSLContext | None,
        *,
        idle_timeout: float = IDLE_TIMEOUT,
        name: str = "",
        requests: RecordLog[RequestSeen] | None = None,
    ) -> None:
        super().__init__(host="127.0.0.1", port=0, ssl_context=ssl_context, threaded=True)
        self._idle_timeout = idle_timeout
        self._name = name
        self._requests = requests
        #: The JA4 of the ClientHello the gate peeked, by the socket serving that connection
        #: (werkzeug hands each request that socket); a connection spliced to the backend's own
        #: port instead (a ``reset_after`` rule) has none, nor has one whose hello was unreadable.
        self._fingerprints: dict[socket.socket, str] = {}
        self._fingerprints_lock = threading.Lock()
        #: The identity challenge in force and the checks it makes (set per scenario).
        self.edge: tuple[Challenge, tuple[str, ...]] | None = None
        #: Set when the backend stops: ends a reply's stall at once.
        self.stopping = threading.Event()
        #: A silence a network condition puts in every stream this backend sends (per scenario).
        self.stream_stall: StreamStall | None = None

    def dispatch(self, request: Request) -> Response:
        """Record where the request was sent (Host and path) and its headers; answer with the
        edge's identity challenge if one is in force and refuses it (its headers, or the
        connection's ClientHello), else serve it."""
        host = request.headers.get("Host", "")
        refusal, edge = None, self.edge
        if edge is not None and edge[0].covers(host, request.path):
            with self._fingerprints_lock:
                ja4 = self._fingerprints.get(request.environ.get("werkzeug.socket"))  # type: ignore[arg-type]
            refusal = edge[0].refusal(dict(request.headers.items()), edge[1], ja4)
        if self._requests is not None:
            headers = tuple(redact_header_pairs(request.headers.items()))
            seen = RequestSeen(self._name, request.method, host, request.path, headers, refusal)
            self._requests.append(seen)
        if edge is not None and refusal is not None:
            page = edge[0]
            return Response(page.html, status=page.status, headers=list(page.headers))
        return super().dispatch(request)

    def thread_target(self) -> None:
        """Serve with a short poll interval: stop() waits for one (pytest-httpserver: 0.5 s)."""
        assert self.server is not None
        self.server.serve_forever(poll_interval=STOP_POLL_INTERVAL)

    def start(self) -> None:
        super().start()
        server = self.server
        assert server is not None
        accept = server.get_request

        def get_request() -> tuple[socket.socket, Any]:
            conn, peer = accept()
            with contextlib.suppress(OSError):
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return conn, peer

        server.get_request = get_request  # type: ignore[method-assign]

    def serve_connection(
        self, client: socket.socket, peer: Address, tracked: Tracked, ja4: str | None = None
    ) -> None:
        """Serve a connection accepted elsewhere (by the gate) in the calling thread, as this
        server's own accept loop and request thread would: the TLS handshake, then every request
        on the connection, then close it. A handshake that fails is dropped quietly, as werkzeug
        drops one that fails in its accept."""
        server = self.server
        if server is None:  # stopped
            client.close()
            return
        conn = client
        if self.ssl_context is not None:
            try:
                conn = self.ssl_context.wrap_socket(
                    client, server_side=True, do_handshake_on_connect=False
                )
            except OSError:  # the client is already gone
                client.close()
                return
        with tracked(conn) as running:
            try:
                if not running:
                    return
                conn.settimeout(self._idle_timeout)
                if isinstance(conn, ssl.SSLSocket):
                    try:
                        conn.do_handshake()
                    except OSError:
                        return
                if ja4 is not None:
                    with self._fingerprints_lock:
                        self._fingerprints[conn] = ja4
                server.finish_request(conn, peer)
            except Exception:
                server.handle_error(conn, peer)
            finally:
                with self._fingerprints_lock:
                    self._fingerprints.pop(conn, None)
                server.shutdown_request(conn)

    def stop(self) -> None:
        server = self.server
        self.stopping.set()
        super().stop()
        if server is not None:
            server.server_close()


def _is_json_type(value: Any, kind: str) -> bool:
    return isinstance(value, JSON_TYPES[kind])


def _json_matches(request: Request, when: dict[str, str]) -> bool:
    if not when:
        return True
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    return all(_is_json_type(body.get(key), kind) for key, kind in when.items())


def _compact(body: Any) -> str:
    """JSON as the real APIs send it: no spaces after separators."""
    return json.dumps(body, separators=(",", ":"))


def _sse_event(event: Mapping[str, Any]) -> str:
    data = event["data"]
    head = f"event: {event['event']}\n" if "event" in event else ""
    return f"{head}data: {data if isinstance(data, str) else _compact(data)}\n\n"


def _drop(request: Request) -> None:
    """Shut the connection under the request; werkzeug then drops it quietly."""
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _client_left(request: Request) -> bool:
    """Whether the client hung up (or sent more) while the response is paused: either way the
    connection is readable, and a paused response has nothing to read."""
    sock = request.environ.get("werkzeug.socket")
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):  # already closed
        return True
    return bool(readable)


def _paused(
    chunks: list[str], stall: StreamStall, request: Request, stopping: threading.Event
) -> Iterator[str]:
    """The body with the stall in it. The empty chunk first makes werkzeug send the headers
    before the silence. The silence ends early when the origin stops or the client leaves (a
    client that gave up must not hold a server thread for the rest of it)."""
    yield ""
    yield from chunks[: stall.after_events]
    ends = time.monotonic() + stall.seconds
    while (left := ends - time.monotonic()) > 0:
        if stopping.wait(min(left, STALL_POLL_INTERVAL)):
            return
        if _client_left(request):
            _drop(request)
            return
    yield from chunks[stall.after_events :]


def _render(
    reply: Reply,
    request: Request,
    stopping: threading.Event,
    condition_stall: StreamStall | None = None,
) -> Response:
    """The reply as werkzeug sends it; ``condition_stall`` pauses a stream the reply itself
    neither pauses nor cuts."""
    headers = dict(reply.headers)
    if reply.close_before_response:
        _drop(request)
        return Response(status=reply.status)
    if reply.sse is not None:
        events = [_sse_event(event) for event in reply.sse]
        headers.setdefault("content-type", "text/event-stream")
        stall = reply.stall
        if stall is None and reply.sse_cut_after is None:
            stall = condition_stall
        if stall is not None:
            return Response(_paused(events, stall, request, stopping), reply.status, headers)
        if reply.sse_cut_after is None:
            return Response("".join(events), status=reply.status, headers=headers)
        kept, broken = events[: reply.sse_cut_after], events[reply.sse_cut_after]

        def cut_stream() -> Iterator[str]:
            yield from kept
            yield broken[: len(broken) // 2]
            _drop(request)

        return Response(cut_stream(), status=reply.status, headers=headers)
    if reply.text_body is not None:
        headers.setdefault("content-type", "text/plain")
        body = reply.text_body
    else:
        headers.setdefault("content-type", "application/json")
        body = _compact(reply.json_body)
    if reply.stall is not None:
        return Response(_paused([body], reply.stall, request, stopping), reply.status, headers)
    return Response(body, status=reply.status, headers=headers)


def reply_handler(
    fixture: str,
    replies: list[Reply],
    stopping: threading.Event,
    condition_stall: Callable[[], StreamStall | None] = lambda: None,
) -> Callable[[Request], Response]:
    """One handler for replies sharing a method and path: the first whose JSON shape fits wins.
    ``condition_stall`` gives the stall a network condition puts in streams at the time."""

    def handle(request: Request) -> Response:
        for reply in replies:
            if _json_matches(request, dict(reply.when_json)):
                return _render(reply, request, stopping, condition_stall())
        return Response(
            json.dumps({"error": f"harness fixture {fixture}: no reply matches this request body"}),
            status=422,
            content_type="application/json",
        )

    return handle


def _uri(path: str, is_suffix: bool) -> Any:
    return re.compile(".*" + re.escape(path) + "$") if is_suffix else path


class Origin:
    """One fixture brought to life: backend, gate, routes."""

    def __init__(
        self,
        fixture: Fixture,
        authority: Authority,
        router: Router,
        kernel: KernelView,
        log: ObservationLog,
        proxy_sources: frozenset[str] = frozenset(),
        requests: RecordLog[RequestSeen] | None = None,
    ) -> None:
        self.fixture = fixture
        self.name = fixture.name
        context = (
            authority.server_context(list(fixture.hosts)) if fixture.scheme == "https" else None
        )
        self.backend = Backend(context, name=fixture.name, requests=requests)
        self.backend.start()
        self.gates: list[Gate] = []
        try:
            self._install_replies()
            families = [router.address_for(fixture.hosts[0])]
            if ipv6_loopback_available():
                families.append(IPV6_LOOPBACK)
            for listen_host in families:
                gate = Gate(
                    fixture.name,
                    listen_host,
                    ("127.0.0.1", self.backend.port),
                    fixture.faults,
                    kernel,
                    log,
                    proxy_sources=proxy_sources,
                    handover=self.backend.serve_connection,
                )
                self.gates.append(gate)
                gate.start()
        except BaseException:
            for gate in self.gates:
                gate.close()
            self.backend.stop()
            raise
        #: The IPv4 gate, which the proxy's connections come through, and the IPv6 one (None:
        #: this machine has no IPv6 loopback).
        self.gate = self.gates[0]
        self.gate6 = self.gates[1] if len(self.gates) > 1 else None
        listen6 = self.gate6.address if self.gate6 is not None else None
        for host in fixture.hosts:
            router.add(host, fixture.port, self.gate.address, listen6)

    def _install_replies(self) -> None:
        groups: dict[tuple[str, str, bool], list[Reply]] = {}
        for reply in self.fixture.replies:
            groups.setdefault((reply.method, reply.path, reply.path_is_suffix), []).append(reply)
        for (method, path, is_suffix), replies in groups.items():
            self.backend.expect_request(_uri(path, is_suffix), method=method).respond_with_handler(
                reply_handler(
                    self.name, replies, self.backend.stopping, lambda: self.backend.stream_stall
                )
            )

    @contextmanager
    def replying(self, reply: Reply) -> Iterator[None]:
        """Serve ``reply`` ahead of the fixture's own replies for the block."""
        handler = self.backend.expect_request(
            _uri(reply.path, reply.path_is_suffix), method=reply.method
        )
        handler.respond_with_handler(reply_handler(self.name, [reply], self.backend.stopping))
        self.backend.handlers.remove(handler)
        self.backend.handlers.insert(0, handler)
        try:
            yield
        finally:
            self.backend.handlers.remove(handler)

    @contextmanager
    def faulting(self, rules: FaultRules) -> Iterator[None]:
        """Apply ``rules`` at this origin's gate, ahead of every other rule, for the block."""
        for gate in self.gates:
            gate.injected = rules
        try:
            yield
        finally:
            for gate in self.gates:
                gate.injected = None

    def close(self) -> None:
        self.backend.stopping.set()  # before the gates wait for the connections they handed over
        try:
            for gate in self.gates:
                gate.close()
        finally:
            self.backend.stop()


class Network:
    """Every origin of a run, with the trust and routing that make them reachable."""

    def __init__(
        self,
        fixtures: Iterable[Fixture],
        authority: Authority,
        *,
        kernel: KernelView | None = None,
    ) -> None:
        self.authority = authority
        self.router = Router()
        self.kernel = kernel or KernelView()
        self.log = ObservationLog()
        #: Every request the origins' backends received, in order (Host and path).
        self.requests: RecordLog[RequestSeen] = RecordLog()
        self.origins: dict[str, Origin] = {}
        #: The checks an edge's identity challenge makes (``--harness-identity``).
        self.identity_demanded: tuple[str, ...] = CHECKS
        self.proxy = ConnectProxy(self.router, self.kernel)
        self.proxy.start()
        self.blackhole: Blackhole | None = None
        try:
            if ipv6_loopback_available():
                self.blackhole = Blackhole()
            for fixture in fixtures:
                self.add(fixture)
        except BaseException:
            self.close()
            raise

    def add(self, fixture: Fixture) -> Origin:
        if fixture.name in self.origins:
            raise ValueError(f"origin {fixture.name!r} already exists")
        origin = Origin(
            fixture,
            self.authority,
            self.router,
            self.kernel,
            self.log,
            proxy_sources=frozenset({self.proxy.source}),
            requests=self.requests,
        )
        self.origins[fixture.name] = origin
        return origin

    def origin(self, name: str) -> Origin:
        try:
            return self.origins[name]
        except KeyError:
            raise KeyError(f"no origin {name!r}; known: {', '.join(self.origins)}") from None

    def endpoints(self) -> list[Endpoint]:
        return [e for origin in self.origins.values() for e in origin.fixture.endpoints]

    @contextmanager
    def reachable(self, environ: Mapping[str, str] | None = None) -> Iterator[Network]:
        """Trust the session CA and route the origins' hostnames for the block.

        Proxy variables the caller's shell may have set are cleared, so only what a scenario
        asks for (``environ``) reaches the client under test.
        """
        with (
            scoped_environ(environ or {}, unset=PROXY_VARIABLES),
            self.authority.trusted(),
            self.router.active(),
        ):
            yield self

    @contextmanager
    def under(self, condition: Condition) -> Iterator[dict[str, str]]:
        """Put every gate under ``condition``'s rules, the proxy behind its refusal, and the
        origins on its hosts behind its edge's identity challenge or its stream stall, for the
        block; yield the client's env."""
        overlay = condition.faults if condition.faults.rules else None
        gates = [gate for origin in self.origins.values() for gate in origin.gates]
        hosts = condition.hosts
        concerned = [
            origin.backend
            for origin in self.origins.values()
            if hosts is not None and {host.lower() for host in origin.fixture.hosts} & set(hosts)
        ]
        for gate in gates:
            gate.overlay = overlay
        for backend in concerned:
            if condition.challenge is not None:
                backend.edge = (condition.challenge, self.identity_demanded)
            if condition.stream_stall is not None:
                backend.stream_stall = condition.stream_stall.stall
        self.proxy.refusal = condition.proxy_refusal
        blackholed: AbstractContextManager[None] = nullcontext()
        if condition.ipv6_blackhole is not None and self.blackhole is not None:
            blackholed = self.router.blackholing(condition.ipv6_blackhole, self.blackhole.address)
        try:
            with blackholed:
                yield condition.environ(self.proxy.url)
        finally:
            self.proxy.refusal = None
            for gate in gates:
                gate.overlay = None
            for backend in concerned:
                backend.edge = None
                backend.stream_stall = None

    def close(self) -> None:
        """Close every origin at once: a backend takes up to its poll interval to stop."""
        errors: list[BaseException] = []

        def close_one(origin: Origin) -> None:
            try:
                origin.close()
            except Exception as exc:  # close every origin, then report
                errors.append(exc)

        try:
            self.proxy.close()
        except Exception as exc:
            errors.append(exc)
        if self.blackhole is not None:
            self.blackhole.close()
        closers = [
            threading.Thread(target=close_one, args=(origin,), name=f"close-{origin.name}")
            for origin in self.origins.values()
        ]
        for closer in closers:
            closer.start()
        for closer in closers:
            closer.join(CLOSE_TIMEOUT)
        self.origins.clear()
        self.kernel.close()
        stuck = [closer.name for closer in closers if closer.is_alive()]
        if stuck:
            raise RuntimeError(f"origins did not stop within {CLOSE_TIMEOUT} s: {', '.join(stuck)}")
        if errors:
            raise errors[0]

    def __enter__(self) -> Network:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
