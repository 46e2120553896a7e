"""ClientHello parsing reads what real clients send: SNI and ALPN from a peeked first record."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable

import pytest

from harness.network.tls import MalformedHello, parse_client_hello, record_length

#: Every wait of the capture (the first record, the handshake's end) gives up after this long.
WAIT_SECONDS = 5.0


def first_record(sock: socket.socket, client: Callable[[], str] = str) -> bytes:
    """Read exactly the first TLS record the peer sends. Bounded: stops at EOF (a peer that
    closed makes recv return b"" forever) and after :data:`WAIT_SECONDS` in all."""
    deadline = time.monotonic() + WAIT_SECONDS
    data = b""
    while (needed := record_length(data)) is None or len(data) < needed:
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        chunk = sock.recv(65536)
        if not chunk:
            pytest.fail(
                f"the client closed after {len(data)} bytes, before its first record was "
                f"complete{client()}"
            )
        data += chunk
    assert len(data) == needed, f"{len(data) - needed} bytes after the first record"
    return data


def captured_hello(
    server_hostname: str | None,
    alpn: list[str] | None,
    configure: Callable[[ssl.SSLContext], None] | None = None,
) -> bytes:
    """Start a real handshake over a socketpair and capture the first record the client sends.

    The capture then hangs up: a client that sent its whole ClientHello is waiting for the
    server, so its handshake must end at once with an EOF (or a reset). Any other ending means
    the client was not where the capture assumes, and the bytes are not its ClientHello."""
    left, right = socket.socketpair()
    context = ssl.create_default_context()
    if alpn:
        context.set_alpn_protocols(alpn)
    if server_hostname is None:
        context.check_hostname = False
    if configure is not None:
        configure(context)
    tls = context.wrap_socket(left, server_hostname=server_hostname, do_handshake_on_connect=False)
    tls.settimeout(WAIT_SECONDS)
    ended: list[OSError] = []  # how the client's handshake ended, recorded before it closes

    def handshake() -> None:
        try:
            tls.do_handshake()
        except OSError as exc:  # ssl.SSLError is an OSError
            ended.append(exc)
        finally:
            tls.close()

    worker = threading.Thread(target=handshake, name="hello-capture")
    worker.start()
    try:
        data = first_record(right, lambda: f"; its handshake ended with {ended or 'nothing'}")
    finally:
        right.close()
        worker.join(WAIT_SECONDS)
    assert not worker.is_alive(), f"the client's handshake still runs {WAIT_SECONDS}s after EOF"
    assert len(ended) == 1 and isinstance(ended[0], (ssl.SSLEOFError, ConnectionResetError)), (
        f"the client's handshake ended with {ended or 'success'}, not with the capture's EOF"
    )
    return data


def test_sni_and_alpn() -> None:
    hello = parse_client_hello(captured_hello("chatgpt.com", ["h2", "http/1.1"]))
    assert hello.sni == "chatgpt.com"
    assert hello.alpn == ("h2", "http/1.1")


def test_no_sni_no_alpn() -> None:
    hello = parse_client_hello(captured_hello(None, None))
    assert (hello.sni, hello.alpn) == (None, ())


@pytest.mark.parametrize(
    "data, message",
    [
        (b"GET / HTTP/1.1\r\n", "not a TLS handshake"),
        (b"\x16\x03\x01\x00\x10\x01", "truncated"),
        (b"\x16\x03\x01\x00\x04\x02\x00\x00\x00", "not a ClientHello"),
    ],
)
def test_malformed(data: bytes, message: str) -> None:
    with pytest.raises(MalformedHello, match=message):
        parse_client_hello(data)


def no_protocols(context: ssl.SSLContext) -> None:
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.maximum_version = ssl.TLSVersion.TLSv1_2


def test_capture_rejects_a_client_that_sent_no_hello() -> None:
    """Negative control: a client that can offer no protocol sends an alert record, not a
    ClientHello, and closes; the capture fails naming how its handshake ended."""
    with pytest.raises(AssertionError, match=r"ended with .*NO_PROTOCOLS_AVAILABLE.*capture's EOF"):
        captured_hello("chatgpt.com", None, no_protocols)


def test_capture_stops_at_eof_in_a_partial_record() -> None:
    """Negative control: a peer that sends part of a record and closes fails the read at once,
    instead of spinning on recv returning b""."""
    left, right = socket.socketpair()
    with left, right:
        left.sendall(b"\x16\x03\x01\x00\x10\x01")
        left.close()
        with pytest.raises(pytest.fail.Exception, match="closed after 6 bytes"):
            first_record(right)
