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

import fnmatch
import hashlib
import re

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


#: A JA4 as FoxIO's method writes it: ``t13d1516h2_8daaf6152771_e5627efa2ab1``.
#: The ALPN pair keeps an ALPN value's own letters, capitals included.
JA4_PATTERN = re.compile(r"[tqd][0-9a-z]{2}[di][0-9]{4}[0-9A-Za-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}")
#: A family of them: a JA4 with ``*`` (any run) and ``?`` (any one character), ``t12*`` for every
#: ClientHello whose highest version is TLS 1.2. The exact values an edge blocks depend on the
#: client's TLS library, so a portable rule names what sets a family apart; it must name
#: something (a bare ``*`` would match the SDK default client's too).
JA4_WILDCARD = re.compile(r"(?=.*[0-9A-Za-z])[0-9A-Za-z_?*]*[?*][0-9A-Za-z_?*]*")


class FingerprintError(ValueError):
    """A value that is neither a JA4 nor a JA4 pattern; the message says which was expected."""


def fingerprints(value: object, where: str) -> tuple[str, ...]:
    """One JA4 (or pattern) or a non-empty list of them, as a rule or a challenge names them;
    a message names ``where`` (and the item's index in a list)."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values:
        raise FingerprintError(f"{where}: expected a JA4 or a non-empty list of them")
    for index, item in enumerate(values):
        if not isinstance(item, str) or not (
            JA4_PATTERN.fullmatch(item) or JA4_WILDCARD.fullmatch(item)
        ):
            at = where if isinstance(value, str) else f"{where}[{index}]"
            raise FingerprintError(
                f"{at}: {item!r} is not a JA4 (like t13d1516h2_8daaf6152771_e5627efa2ab1) "
                "nor a pattern of them (like t12*)"
            )
    return tuple(values)


def matching(patterns: tuple[str, ...], fingerprint: str | None) -> str | None:
    """The first of ``patterns`` that ``fingerprint`` matches (None: none, or no ClientHello)."""
    if fingerprint is None:
        return None
    return next((p for p in patterns if fnmatch.fnmatchcase(fingerprint, p)), None)
