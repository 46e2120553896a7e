"""Read a peeked TLS ClientHello without terminating TLS: SNI and ALPN, and what its JA4
fingerprint is made of (:mod:`harness.network.ja4`).

The gate decides before the handshake, as the real backend does, so it only ever looks at the
first record the client sends.
"""

from __future__ import annotations

from dataclasses import dataclass

HANDSHAKE = 0x16
CLIENT_HELLO = 0x01
EXT_SERVER_NAME = 0
EXT_SIGNATURE_ALGORITHMS = 13
EXT_ALPN = 16
EXT_SUPPORTED_VERSIONS = 43
RECORD_HEADER = 5


class MalformedHello(ValueError):
    """The bytes start like a TLS record but are not a well-formed ClientHello."""


@dataclass(frozen=True)
class ClientHello:
    sni: str | None
    alpn: tuple[str, ...]
    #: The rest is kept as sent (GREASE values included), for the fingerprint.
    legacy_version: int = 0
    ciphers: tuple[int, ...] = ()
    extensions: tuple[int, ...] = ()  # extension types in the order sent
    supported_versions: tuple[int, ...] = ()
    signature_algorithms: tuple[int, ...] = ()
    first_alpn: bytes = b""  # the first ALPN value's own bytes


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
    legacy_version = hello.number(2)
    hello.take(32)  # random
    hello.vector(1)  # session id
    ciphers = _numbers(hello.vector(2), 2)
    hello.vector(1)  # compression methods
    sni: str | None = None
    alpn: tuple[str, ...] = ()
    first_alpn = b""
    kinds: list[int] = []
    versions: tuple[int, ...] = ()
    algorithms: tuple[int, ...] = ()
    extensions = _Reader(hello.vector(2) if not hello.done else b"")
    while not extensions.done:
        kind = extensions.number(2)
        kinds.append(kind)
        body = _Reader(extensions.vector(2))
        if kind == EXT_SUPPORTED_VERSIONS:
            versions = _numbers(body.vector(1), 2)
        elif kind == EXT_SIGNATURE_ALGORITHMS:
            algorithms = _numbers(body.vector(2), 2)
        elif kind == EXT_SERVER_NAME:
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
                offered.append(protocols.vector(1))
            first_alpn = offered[0] if offered else b""
            alpn = tuple(value.decode("ascii", "replace") for value in offered)
    return ClientHello(
        sni,
        alpn,
        legacy_version=legacy_version,
        ciphers=ciphers,
        extensions=tuple(kinds),
        supported_versions=versions,
        signature_algorithms=algorithms,
        first_alpn=first_alpn,
    )


def _numbers(data: bytes, width: int) -> tuple[int, ...]:
    """A vector's items as big-endian numbers of ``width`` bytes each."""
    if len(data) % width:
        raise MalformedHello("ClientHello list has a partial item")
    return tuple(int.from_bytes(data[i : i + width], "big") for i in range(0, len(data), width))
