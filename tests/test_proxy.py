"""The harness's proxy: plain-HTTP requests forwarded as one request each, bad requests answered
400 without harming the proxy, hop-by-hop headers (and those Connection names) not passed on."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from harness.network.conditions import load_conditions
from harness.network.origins import Network

LOCAL = "http://localhost:11434/v1/models"


def _exchange(network: Network, request: bytes) -> bytes:
    """Send one raw request to the proxy; everything it answers until it closes."""
    parts = urlsplit(network.proxy.url)
    with socket.create_connection((parts.hostname or "", parts.port or 0), timeout=5) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize(
    "request_line",
    [
        b"GET http://localhost:abc/v1/models HTTP/1.1",
        b"GET http://localhost:99999/v1/models HTTP/1.1",
        b"GET /v1/models HTTP/1.1",
        b"CONNECT localhost:99999 HTTP/1.1",
        b"CONNECT localhost HTTP/1.1",
    ],
)
def test_bad_requests_get_400_and_the_proxy_carries_on(
    harness_network: Network, request_line: bytes
) -> None:
    mark = harness_network.proxy.log.mark()
    answer = _exchange(harness_network, request_line + b"\r\nHost: localhost\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert [t.status for t in harness_network.proxy.log.since(mark)] == [400]
    with harness_network.reachable():
        served = _exchange(
            harness_network, f"GET {LOCAL} HTTP/1.1\r\nHost: localhost:11434\r\n\r\n".encode()
        )
    assert served.startswith(b"HTTP/1.1 200 "), served


def test_forwarded_request_drops_hop_by_hop_headers(harness_network: Network) -> None:
    backend = harness_network.origin("local-server").backend
    before = len(backend.log)
    request = (
        f"GET {LOCAL} HTTP/1.1\r\nHost: localhost:11434\r\n"
        "Connection: keep-alive, x-hop\r\nx-hop: 1\r\nProxy-Authorization: Basic eA==\r\n"
        "x-end-to-end: 2\r\n\r\n"
    ).encode()
    with harness_network.reachable():
        answer = _exchange(harness_network, request)
    assert answer.startswith(b"HTTP/1.1 200 "), answer
    (seen, _response) = backend.log[before]
    assert seen.path == "/v1/models"
    assert seen.headers.get("x-end-to-end") == "2"
    assert "x-hop" not in seen.headers and "proxy-authorization" not in seen.headers
    assert seen.headers.get("connection") == "close"


REFUSES = next(c for c in load_conditions() if c.name == "proxy-refuses")


@pytest.mark.parametrize(
    "request_line, method, host, port",
    [
        (b"CONNECT api.openai.com:443 HTTP/1.1", "CONNECT", "api.openai.com", 443),
        (f"GET {LOCAL} HTTP/1.1".encode(), "GET", "localhost", 11434),
        (b"POST http://localhost/v1/chat/completions HTTP/1.1", "POST", "localhost", 80),
    ],
)
def test_a_refusing_proxy_answers_everything_with_its_refusal_and_reaches_nothing(
    harness_network: Network, request_line: bytes, method: str, host: str, port: int
) -> None:
    """Under ``proxy-refuses`` a tunnel and a forwarded request (its body read first) get the
    condition's 403 page; the origins see nothing; after the block the proxy serves again."""
    assert REFUSES.proxy_refusal is not None
    mark = harness_network.proxy.log.mark()
    backend = harness_network.origin("local-server").backend
    before = len(backend.log)
    body = b'{"model": "m"}' if method == "POST" else b""
    request = (
        request_line + f"\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    )
    with harness_network.under(REFUSES), harness_network.reachable():
        answer = _exchange(harness_network, request)
    head, _, page = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 403 "), answer
    assert b"\r\nX-Squid-Error: ERR_ACCESS_DENIED 0" in head, head
    assert page == REFUSES.proxy_refusal.body.encode()
    (tunnel,) = harness_network.proxy.log.since(mark)
    assert (tunnel.method, tunnel.host, tunnel.port, tunnel.status) == (method, host, port, 403)
    assert tunnel.refused
    assert len(backend.log) == before
    with harness_network.reachable():
        served = _exchange(
            harness_network, f"GET {LOCAL} HTTP/1.1\r\nHost: localhost:11434\r\n\r\n".encode()
        )
    assert served.startswith(b"HTTP/1.1 200 "), served
