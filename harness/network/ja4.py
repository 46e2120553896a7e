"""JA4, the TLS client fingerprint of FoxIO's JA4+ suite, of a peeked ClientHello.

Written from the published method (github.com/FoxIO-LLC/ja4, technical_details/JA4.md; the JA4
method is BSD 3-Clause): ``a_b_c`` where ``a`` is the protocol (``t``, TLS over TCP), the highest
TLS version offered, ``d`` or ``i`` for SNI present or not, the cipher and extension counts and
the first ALPN value's first and last characters; ``b`` the truncated SHA-256 of the sorted
ciphers; ``c`` that of the sorted extensions (less SNI and ALPN) and the signature algorithms in
the order sent. GREASE values count nowhere. An origin that fingerprints clients (as the Codex
backend's edge does) tells two ClientHellos apart by exactly this.
"""

from __future__ import annotations

import hashlib

from harness.network.tls import EXT_ALPN, EXT_SERVER_NAME, ClientHello

VERSIONS = {
    0x0304: "13",
    0x0303: "12",
    0x0302: "11",
    0x0301: "10",
    0x0300: "s3",
    0x0002: "s2",
    0xFEFF: "d1",
    0xFEFD: "d2",
    0xFEFC: "d3",
}
NOTHING = "000000000000"


def is_grease(value: int) -> bool:
    """RFC 8701's reserved values: 0x0A0A, 0x1A1A, ... 0xFAFA."""
    return value & 0x0F0F == 0x0A0A and value >> 8 == value & 0xFF


def _kept(values: tuple[int, ...]) -> list[int]:
    return [value for value in values if not is_grease(value)]


def _hexes(values: list[int]) -> str:
    return ",".join(f"{value:04x}" for value in values)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:12] if text else NOTHING


ALPHANUMERIC = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def _alpn(value: bytes) -> str:
    """The first ALPN value's first and last characters; if either byte is not an ASCII letter
    or digit, the first and last characters of its hex instead; ``00`` if there is none."""
    if not value:
        return "00"
    if value[0] in ALPHANUMERIC and value[-1] in ALPHANUMERIC:
        return chr(value[0]) + chr(value[-1])
    shown = value.hex()
    return shown[0] + shown[-1]


def _version(hello: ClientHello) -> str:
    offered = _kept(hello.supported_versions)
    version = max(offered) if offered else hello.legacy_version
    return VERSIONS.get(version, "00")


def raw_parts(hello: ClientHello) -> tuple[str, str, str]:
    """JA4's three parts before hashing (JA4_r): ``a``, the sorted ciphers, the sorted
    extensions then signature algorithms."""
    ciphers = _kept(hello.ciphers)
    extensions = _kept(hello.extensions)
    sni = "d" if EXT_SERVER_NAME in extensions else "i"
    a = (
        f"t{_version(hello)}{sni}{min(len(ciphers), 99):02d}{min(len(extensions), 99):02d}"
        f"{_alpn(hello.first_alpn)}"
    )
    hashed = sorted(e for e in extensions if e not in (EXT_SERVER_NAME, EXT_ALPN))
    c = _hexes(hashed)
    algorithms = _kept(hello.signature_algorithms)
    if algorithms:
        c += "_" + _hexes(algorithms)
    return a, _hexes(sorted(ciphers)), c


def ja4(hello: ClientHello) -> str:
    a, b, c = raw_parts(hello)
    return f"{a}_{_hash(b)}_{_hash(c)}"


def ja4_r(hello: ClientHello) -> str:
    return "_".join(raw_parts(hello))
