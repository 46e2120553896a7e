"""The gate decides before the handshake, records every connection, and never hangs or leaks."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from harness.network.faults import FaultRules
from harness.network.gate import Gate
from harness.network.kernel import KernelView
from harness.network.observations import ObservationLog

pytestmark = pytest.mark.kernel_view


@pytest.fixture
def backend() -> Iterator[socket.socket]:
    """A raw TCP echo backend: answers each chunk with the same bytes."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                while data := conn.recv(1024):
                    conn.sendall(data)

    worker = threading.Thread(target=serve, name="echo-backend")
    worker.start()
    yield server
    stop.set()
    worker.join(5)
    server.close()


@pytest.fixture
def log() -> ObservationLog:
    return ObservationLog()


@pytest.fixture
def kernel() -> Iterator[KernelView]:
    with KernelView() as view:
        yield view


@pytest.fixture
def make_gate(
    backend: socket.socket, log: ObservationLog, kernel: KernelView
) -> Iterator[Callable[..., Gate]]:
    gates: list[Gate] = []

    def make(rules: list[dict[str, object]], **kwargs: float) -> Gate:
        rule_set = FaultRules.from_spec(rules)
        gate = Gate("test", "127.0.0.1", backend.getsockname(), rule_set, kernel, log, **kwargs)
        gates.append(gate.start())
        return gate

    yield make
    for gate in gates:
        gate.close()


def test_serves_plain_bytes_and_records_them(
    make_gate: Callable[..., Gate], log: ObservationLog
) -> None:
    gate = make_gate([{"when": "keepalive", "action": "reset"}])
    with socket.create_connection(gate.address, timeout=2) as client:
        client.sendall(b"ping")
        assert client.recv(4) == b"ping"
    (seen,) = log.since()
    assert (seen.tls, seen.keepalive.armed, seen.action) == (False, False, "serve")


def test_resets_keepalive_before_the_handshake(
    make_gate: Callable[..., Gate], log: ObservationLog
) -> None:
    gate = make_gate([{"when": "keepalive", "action": "reset"}])
    with socket.create_connection(gate.address, timeout=2) as raw:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        context = ssl.create_default_context()
        with pytest.raises(ConnectionResetError):
            context.wrap_socket(raw, server_hostname="chatgpt.com")
    (seen,) = log.since()
    assert (seen.tls, seen.sni, seen.keepalive.armed) == (True, "chatgpt.com", True)
    assert seen.action == "reset"


def test_silent_client_is_dropped_after_the_hello_timeout(
    make_gate: Callable[..., Gate], log: ObservationLog
) -> None:
    gate = make_gate([], hello_timeout=0.2)
    with socket.create_connection(gate.address, timeout=2) as client:
        started = time.monotonic()
        assert client.recv(1) == b""
        assert time.monotonic() - started < 2
    assert log.since() == []


def test_close_cuts_open_relays_and_joins_threads(make_gate: Callable[..., Gate]) -> None:
    gate = make_gate([])
    with socket.create_connection(gate.address, timeout=2) as client:
        client.sendall(b"x")
        assert client.recv(1) == b"x"
        started = time.monotonic()
        gate.close()
        assert time.monotonic() - started < 2
        assert not [t for t in threading.enumerate() if t.name.startswith("gate-test")]
        assert client.recv(1) == b""


def test_a_socket_tracked_once_the_gate_is_stopping_is_told_so(
    make_gate: Callable[..., Gate],
) -> None:
    gate = make_gate([])
    left, right = socket.socketpair()
    with left, right:
        with gate.tracked(left) as running:
            assert running
        gate.close()
        with gate.tracked(left) as running:
            assert not running  # a worker that gets here must not start serving


def _handshake(address: tuple[str, int], context: ssl.SSLContext) -> str:
    """Offer a ClientHello to ``address``; how the attempt ended (the backend is no TLS server)."""
    with socket.create_connection(address, timeout=2) as raw:
        try:
            context.wrap_socket(raw, server_hostname="chatgpt.com")
        except ConnectionResetError:
            return "reset"
        except (ssl.SSLError, OSError):
            return "not reset"
    return "handshake"


def test_a_ja4_rule_picks_out_one_client_hello(
    make_gate: Callable[..., Gate], log: ObservationLog
) -> None:
    """The gate fingerprints each ClientHello; a rule naming one JA4 resets exactly the client
    that offers it (as an edge's fingerprint challenge would), not one with another ClientHello."""
    default = ssl.create_default_context()
    narrowed = ssl.create_default_context()
    narrowed.maximum_version = ssl.TLSVersion.TLSv1_2
    narrowed.set_ciphers("ECDHE+AESGCM")

    probe = make_gate([])
    _handshake(probe.address, default)
    _handshake(probe.address, narrowed)
    first, second = (seen.ja4 for seen in log.since())
    assert first is not None and second is not None
    assert first.startswith("t13d") and second.startswith("t12d")
    assert first != second

    mark = log.mark()
    gate = make_gate([{"when": {"ja4": first}, "action": "reset"}])
    assert _handshake(gate.address, default) == "reset"
    assert _handshake(gate.address, narrowed) == "not reset"
    assert [(seen.ja4, seen.action) for seen in log.since(mark)] == [
        (first, "reset"),
        (second, "serve"),
    ]
