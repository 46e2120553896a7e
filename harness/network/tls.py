"""Read SNI and ALPN from a peeked TLS ClientHello without terminating TLS.

The gate decides before the handshake, as the real backend does, so it only ever looks at the
first record the client sends.
"""

from __future__ import annotations

from dataclasses import dataclass

HANDSHAKE = 0x16
CLIENT_HELLO = 0x01
EXT_SERVER_NAME = 0
EXT_ALPN = 16
RECORD_HEADER = 5


class MalformedHello(ValueError):
    """The bytes start like a TLS record but are not a well-formed ClientHello."""


@dataclass(frozen=True)
class ClientHello:
    sni: str | None
    alpn: tuple[str, ...]


def looks_like_tls(data: bytes) -> bool:
    return len(data) >= 1 and data[0] == HANDSHAKE


def record_length(data: bytes) -> int | None:
    """Bytes needed for the whole first record, or ``None`` until the header has arrived."""
    if len(data) < RECORD_HEADER:
        return None
    return RECORD_HEADER + int.from_bytes(data[3:5], "big")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise MalformedHello("ClientHello is truncated")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def number(self, width: int) -> int:
        return int.from_bytes(self.take(width), "big")

    def vector(self, width: int) -> bytes:
        return self.take(self.number(width))

    @property
    def done(self) -> bool:
        return self.pos >= len(self.data)


def parse_client_hello(data: bytes) -> ClientHello:
    """Parse the first TLS record; raise :class:`MalformedHello` if it is not a ClientHello."""
    if not looks_like_tls(data):
        raise MalformedHello("not a TLS handshake record")
    needed = record_length(data)
    if needed is None or len(data) < needed:
        raise MalformedHello("ClientHello is truncated")
    record = _Reader(data[RECORD_HEADER:needed])
    if record.number(1) != CLIENT_HELLO:
        raise MalformedHello("first handshake message is not a ClientHello")
    hello = _Reader(record.take(record.number(3)))
    hello.take(2 + 32)  # legacy_version, random
    hello.vector(1)  # session id
    hello.vector(2)  # cipher suites
    hello.vector(1)  # compression methods
    sni: str | None = None
    alpn: tuple[str, ...] = ()
    if hello.done:
        return ClientHello(sni, alpn)
    extensions = _Reader(hello.vector(2))
    while not extensions.done:
        kind = extensions.number(2)
        body = _Reader(extensions.vector(2))
        if kind == EXT_SERVER_NAME:
            names = _Reader(body.vector(2))
            while not names.done:
                name_type = names.number(1)
                name = names.vector(2)
                if name_type == 0:
                    sni = name.decode("ascii", "replace")
        elif kind == EXT_ALPN:
            protocols = _Reader(body.vector(2))
            offered = []
            while not protocols.done:
                offered.append(protocols.vector(1).decode("ascii", "replace"))
            alpn = tuple(offered)
    return ClientHello(sni, alpn)
