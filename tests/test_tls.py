"""ClientHello parsing reads what real clients send: SNI and ALPN from a peeked first record."""

from __future__ import annotations

import socket
import ssl
import threading

import pytest

from harness.network.tls import MalformedHello, parse_client_hello, record_length


def captured_hello(server_hostname: str | None, alpn: list[str] | None) -> bytes:
    """Start a real handshake over a socketpair and capture the first record the client sends."""
    left, right = socket.socketpair()
    context = ssl.create_default_context()
    if alpn:
        context.set_alpn_protocols(alpn)
    if server_hostname is None:
        context.check_hostname = False
    tls = context.wrap_socket(left, server_hostname=server_hostname, do_handshake_on_connect=False)
    tls.settimeout(5)
    failed = threading.Event()

    def handshake() -> None:
        try:
            tls.do_handshake()
        except (OSError, ssl.SSLError):
            failed.set()

    worker = threading.Thread(target=handshake, name="hello-capture")
    worker.start()
    right.settimeout(5)
    data = right.recv(65536)
    while (needed := record_length(data)) is None or len(data) < needed:
        data += right.recv(65536)
    right.close()
    worker.join(5)
    tls.close()
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
