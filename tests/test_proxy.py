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


@pytest.mark.parametrize("scheme", ["socks5", "socks5h"])
def test_socks5_tunnels_are_recorded_with_the_name_httpcore_sends(
    harness_network: Network, scheme: str
) -> None:
    """httpx (with socksio) reaches the origin through the proxy's SOCKS5 side for both schemes,
    and sends the host's name either way: the proxy records what arrived."""
    httpx = pytest.importorskip("httpx")
    pytest.importorskip("socksio")
    try:
        httpx.Proxy(f"{scheme}://127.0.0.1:1080")
    except ValueError as exc:  # httpx 0.27 knows no socks5h; the matrix leaves it out there
        pytest.skip(f"httpx {httpx.__version__} refuses {scheme}:// proxy URLs: {exc}")
    proxy = harness_network.proxy.url.replace("http://", f"{scheme}://")
    mark, seen = harness_network.proxy.log.mark(), harness_network.log.mark()
    with harness_network.reachable(), httpx.Client(proxy=proxy) as client:
        response = client.get("https://api.openai.com/v1/models")
    assert response.status_code == 200
    (tunnel,) = harness_network.proxy.log.since(mark)
    assert (tunnel.method, tunnel.host, tunnel.port, tunnel.status) == (
        "SOCKS5",
        "api.openai.com",
        443,
        200,
    )
    assert tunnel.kind == "socks5 name" and tunnel.address_sent == "api.openai.com"
    (observed,) = harness_network.log.since(seen)
    assert (observed.sni, observed.direct) == ("api.openai.com", False)


def _socks_exchange(network: Network, request: bytes) -> bytes:
    """Offer no authentication, send one request; the method reply and the request's reply."""
    parts = urlsplit(network.proxy.url)
    with socket.create_connection((parts.hostname or "", parts.port or 0), timeout=5) as sock:
        sock.sendall(b"\x05\x01\x00" + request)
        answer = b""
        while len(answer) < 12 and (chunk := sock.recv(64)):
            answer += chunk
    return answer


def test_a_socks5_address_is_recorded_as_sent_and_named_by_the_route(
    harness_network: Network,
) -> None:
    """A client that resolved the name itself sends the routed address (type 1): the tunnel
    names the host the address stands for and keeps what was sent."""
    address = harness_network.router.resolve("api.openai.com")
    mark = harness_network.proxy.log.mark()
    request = b"\x05\x01\x00\x01" + socket.inet_aton(address) + (443).to_bytes(2, "big")
    answer = _socks_exchange(harness_network, request)
    assert answer[:2] == b"\x05\x00" and answer[2:4] == b"\x05\x00", answer
    (tunnel,) = harness_network.proxy.log.since(mark)
    assert (tunnel.host, tunnel.kind, tunnel.address_sent) == (
        "api.openai.com",
        "socks5 address",
        address,
    )
    assert f"(sent as {address})" in tunnel.summary()


@pytest.mark.parametrize(
    "request_bytes, code",
    [
        (b"\x05\x02\x00\x03\x0eapi.openai.com\x01\xbb", 7),  # BIND: command not supported
        (b"\x05\x01\x00\x09\x00\x00", 8),  # address type 9
        (b"\x05\x01\x00\x03\x0bnope.example\x01\xbb", 4),  # no route: host unreachable
    ],
)
def test_socks5_requests_the_proxy_cannot_serve_get_their_reply_code(
    harness_network: Network, request_bytes: bytes, code: int
) -> None:
    answer = _socks_exchange(harness_network, request_bytes)
    assert answer[:2] == b"\x05\x00" and answer[2:4] == bytes([5, code]), answer


def test_a_refusing_proxy_refuses_socks5_too(harness_network: Network) -> None:
    mark = harness_network.proxy.log.mark()
    with harness_network.under(REFUSES):
        answer = _socks_exchange(harness_network, b"\x05\x01\x00\x03\x0eapi.openai.com\x01\xbb")
    assert answer[2:4] == b"\x05\x02", answer  # not allowed by ruleset
    (tunnel,) = harness_network.proxy.log.since(mark)
    assert (tunnel.method, tunnel.status, tunnel.detail) == ("SOCKS5", 403, "refused")
