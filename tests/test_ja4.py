"""JA4 as the published method defines it, checked on ClientHellos whose JA4 others published:
the specification repository's own captures (tests/data/ja4_vectors.json, made from them by
tests/data/extract_ja4_vectors.py) and the worked examples in its technical details."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from harness.network.faults import ConnectionFacts, FaultRules, RuleError
from harness.network.ja4 import is_grease, ja4, ja4_r
from harness.network.kernel import KeepaliveState
from harness.network.tls import ClientHello, parse_client_hello

VECTORS = json.loads((Path(__file__).parent / "data" / "ja4_vectors.json").read_text())
#: Where the method and the repository's own implementations part ways. The method (JA4.md,
#: since 2024-08-30): a first ALPN value whose first or last byte is not an ASCII letter or digit
#: is written as the first and last characters of its hex; the Python and Rust implementations
#: still write each non-ASCII character as 9. This capture's first ALPN value is 0xBA 0xAD:
#: "bd" by the method, "99" in the published output.
BY_THE_METHOD = {"pcap/tls-non-ascii-alpn.pcapng": ("99", "bd")}


def _expected(vector: dict[str, Any], key: str) -> str:
    published = str(vector[key])
    if vector["capture"] in BY_THE_METHOD:
        theirs, ours = BY_THE_METHOD[vector["capture"]]
        assert published[8:10] == theirs
        return published[:8] + ours + published[10:]
    return published


@pytest.mark.parametrize(
    "vector",
    VECTORS["vectors"],
    ids=[f"{v['capture']}#{v['stream']}" for v in VECTORS["vectors"]],
)
def test_published_captures(vector: dict[str, Any]) -> None:
    hello = parse_client_hello(bytes.fromhex(vector["client_hello"]))
    assert ja4_r(hello) == _expected(vector, "ja4_r")
    assert ja4(hello) == _expected(vector, "ja4")


def test_the_captures_cover_grease_and_the_edge_cases() -> None:
    """The vectors are worth their keep only if they hold what JA4 must get right."""
    hellos = [parse_client_hello(bytes.fromhex(v["client_hello"])) for v in VECTORS["vectors"]]
    grease = [h for h in hellos if any(map(is_grease, h.ciphers + h.extensions))]
    assert grease, "no ClientHello with GREASE values"
    assert any(not h.first_alpn for h in hellos), "none without ALPN"
    assert any(not h.signature_algorithms for h in hellos), "none without signature algorithms"
    assert any(not h.supported_versions for h in hellos), "none without supported_versions"
    assert {ja4(h)[1:3] for h in hellos} >= {"10", "12", "13"}


@pytest.mark.parametrize(
    "value, shown",
    [
        (b"h2", "h2"),
        (b"http/1.1", "h1"),
        (b"a", "aa"),
        (b"", "00"),
        # the method's own examples of bytes that are not ASCII letters or digits
        (b"\xab", "ab"),
        (b"\x20", "20"),
        (b"\xab\xcd", "ad"),
        (b"\x20\x61", "21"),
        (b"\x30\xab", "3b"),
        (b"\x61\x20", "60"),
        (b"\x30\x31\xab\xcd", "3d"),
        (b"\x30\xab\xcd\x31", "01"),
    ],
)
def test_alpn_as_the_method_writes_it(value: bytes, shown: str) -> None:
    hello = ClientHello(None, (), legacy_version=0x0303, first_alpn=value)
    assert ja4(hello)[8:10] == shown


def test_the_methods_worked_example() -> None:
    """JA4.md's example lists, and the hashes it gives for them."""
    ciphers = (0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC013,
               0xC014, 0x009C, 0x009D, 0x002F, 0x0035)  # fmt: skip
    extensions = (0x001B, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002D, 0x000D, 0x0005,
                  0x0023, 0x0012, 0x002B, 0xFF01, 0x000B, 0x000A, 0x0015)  # fmt: skip
    algorithms = (0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601)
    hello = ClientHello(
        "example.com",
        ("h2",),
        legacy_version=0x0303,
        ciphers=(0x0A0A, *ciphers),  # a GREASE value counts nowhere
        extensions=(0x3A3A, *extensions),
        supported_versions=(0x5A5A, 0x0304, 0x0303),
        signature_algorithms=algorithms,
        first_alpn=b"h2",
    )
    assert ja4(hello) == "t13d1516h2_8daaf6152771_e5627efa2ab1"
    joined = "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_" + (
        "0403,0804,0401,0503,0805,0501,0806,0601"
    )
    assert ja4_r(hello).split("_", 2)[2] == joined
    assert hashlib.sha256(joined.encode()).hexdigest().startswith("e5627efa2ab1")


def test_a_rule_can_name_a_ja4_whose_alpn_keeps_capitals() -> None:
    hello = ClientHello("x.test", ("H2",), legacy_version=0x0303, first_alpn=b"H2")
    fingerprint = ja4(hello)
    assert fingerprint[8:10] == "H2"
    FaultRules.from_spec([{"when": {"ja4": fingerprint}, "action": "reset"}])


def test_no_ciphers_and_no_extensions_hash_as_zeros() -> None:
    empty = ClientHello(None, (), legacy_version=0x0301)
    assert ja4(empty) == "t10i000000_000000000000_000000000000"


@pytest.mark.parametrize(
    "when, message",
    [
        ({"ja4": "t13d1516h2"}, "faults[0].when.ja4: 't13d1516h2' is not a JA4"),
        ({"ja4": []}, "faults[0].when.ja4: expected a JA4 or a non-empty list of them"),
        ({"ja4": ["t13d1516h2_8daaf6152771_e5627efa2ab1", 3]}, "faults[0].when.ja4[1]: 3 is not"),
    ],
)
def test_a_malformed_ja4_predicate_is_refused(when: object, message: str) -> None:
    with pytest.raises(RuleError, match=message.replace("[", r"\[").replace("]", r"\]")):
        FaultRules.from_spec([{"when": when, "action": "reset"}])


@pytest.mark.parametrize(
    "pattern, matched",
    [
        ("t12*", {"t12d0508h1_9fb2f9c2e5cc_e7e480e5a997"}),
        ("t13d????h2_*", {"t13d1516h2_8daaf6152771_e5627efa2ab1"}),
        ("*_9fb2f9c2e5cc_*", {"t12d0508h1_9fb2f9c2e5cc_e7e480e5a997"}),
        ("t13d1812h1_85036bcba153_d41ae481755e", {"t13d1812h1_85036bcba153_d41ae481755e"}),
    ],
)
def test_a_rule_names_a_family_of_client_hellos_by_pattern(pattern: str, matched: set[str]) -> None:
    """``*`` and ``?`` name what sets a family apart (a TLS version cap, an ALPN), which stays
    true where the exact JA4 of a client depends on the machine's TLS library."""
    seen = (
        "t12d0508h1_9fb2f9c2e5cc_e7e480e5a997",
        "t13d1516h2_8daaf6152771_e5627efa2ab1",
        "t13d1812h1_85036bcba153_d41ae481755e",
    )
    rules = FaultRules.from_spec([{"when": {"ja4": pattern}, "action": "reset"}])
    keepalive = KeepaliveState(armed=False, idle_seconds=None, source="test")
    hit = {
        value
        for value in seen
        if rules.match(ConnectionFacts(True, "x.test", (), keepalive, ja4=value)) is not None
    }
    assert hit == matched
    assert rules.match(ConnectionFacts(False, None, (), keepalive)) is None  # no ClientHello
