"""The SOCKS5 handshake the harness proxy speaks beside HTTP (RFC 1928: no authentication,
CONNECT only).

A client whose proxy URL says ``socks5://`` or ``socks5h://`` opens the port the HTTP proxy
listens on; the first byte (the version, 5) tells the two apart. What the request names is kept
as it arrived: a domain name (address type 3; httpcore sends the name for ``socks5://`` too, so
the harness records it rather than requiring local resolution) or an address the client resolved
itself (types 1 and 4).
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass

VERSION = 5
NO_AUTHENTICATION = 0
NO_ACCEPTABLE_METHOD = 0xFF
COMMAND_CONNECT = 1
ADDRESS_IPV4, ADDRESS_NAME, ADDRESS_IPV6 = 1, 3, 4

# Reply codes (RFC 1928, section 6).
SUCCEEDED = 0
GENERAL_FAILURE = 1
NOT_ALLOWED = 2
HOST_UNREACHABLE = 4
COMMAND_NOT_SUPPORTED = 7
ADDRESS_TYPE_NOT_SUPPORTED = 8


class SocksError(Exception):
    """A handshake the proxy cannot serve; ``reply`` is the code to answer with (None: the
    client gets no reply, as when it offers no method the proxy accepts)."""

    def __init__(self, reply: int | None, message: str) -> None:
        super().__init__(message)
        self.reply = reply


@dataclass(frozen=True)
class SocksRequest:
    """A CONNECT request: ``host`` as sent (a name or an address), and whether it was a name
    (left to the proxy to resolve, as ``socks5h://`` asks)."""

    host: str
    port: int
    by_name: bool


def _read(sock: socket.socket, count: int, deadline: float) -> bytes:
    data = b""
    while len(data) < count:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SocksError(None, "the SOCKS handshake did not arrive in time")
        sock.settimeout(remaining)
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise SocksError(None, "the client closed during the SOCKS handshake")
        data += chunk
    return data


def negotiate(sock: socket.socket, deadline: float) -> SocksRequest:
    """Agree on no authentication, then read one CONNECT request (before ``deadline``)."""
    version, count = _read(sock, 2, deadline)
    if version != VERSION:
        raise SocksError(None, f"SOCKS version {version}, expected {VERSION}")
    if NO_AUTHENTICATION not in _read(sock, count, deadline):
        sock.sendall(bytes([VERSION, NO_ACCEPTABLE_METHOD]))
        raise SocksError(None, "the client offered no method without authentication")
    sock.sendall(bytes([VERSION, NO_AUTHENTICATION]))
    version, command, _reserved, kind = _read(sock, 4, deadline)
    if version != VERSION:
        raise SocksError(GENERAL_FAILURE, f"SOCKS version {version} in the request")
    if command != COMMAND_CONNECT:
        raise SocksError(COMMAND_NOT_SUPPORTED, f"SOCKS command {command}: only CONNECT is served")
    if kind == ADDRESS_IPV4:
        host = socket.inet_ntop(socket.AF_INET, _read(sock, 4, deadline))
    elif kind == ADDRESS_IPV6:
        host = socket.inet_ntop(socket.AF_INET6, _read(sock, 16, deadline))
    elif kind == ADDRESS_NAME:
        (length,) = _read(sock, 1, deadline)
        host = _read(sock, length, deadline).decode("ascii", "replace")
    else:
        raise SocksError(ADDRESS_TYPE_NOT_SUPPORTED, f"SOCKS address type {kind}")
    (port,) = struct.unpack("!H", _read(sock, 2, deadline))
    return SocksRequest(host, port, kind == ADDRESS_NAME)


def reply(sock: socket.socket, code: int, bound: tuple[str, int] = ("0.0.0.0", 0)) -> None:
    """The server's reply: ``code`` and the address the proxy connected from (IPv4)."""
    packed = socket.inet_aton(bound[0]) + struct.pack("!H", bound[1])
    sock.sendall(bytes([VERSION, code, 0, ADDRESS_IPV4]) + packed)
