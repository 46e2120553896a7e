"""Make ``ja4_vectors.json``: each TLS-over-TCP ClientHello in the JA4 specification's own
captures (github.com/FoxIO-LLC/ja4, ``pcap/``) with the JA4 and JA4_r its reference
implementation publishes for it (``python/test/testdata/<capture>.json``).

Run once by hand against a checkout of that repository; needs ``dpkt`` (not a dependency of the
harness or its tests, which read only the JSON):
    python tests/data/extract_ja4_vectors.py PATH/TO/ja4 COMMIT > tests/data/ja4_vectors.json
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import dpkt

SOURCE = "https://github.com/FoxIO-LLC/ja4"


def packets(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        try:
            reader = dpkt.pcapng.Reader(handle)
        except ValueError:
            handle.seek(0)
            reader = dpkt.pcap.Reader(handle)
        link = reader.datalink()
        for _, frame in reader:
            if link == dpkt.pcap.DLT_EN10MB:
                ip = dpkt.ethernet.Ethernet(frame).data
            elif link == dpkt.pcap.DLT_LINUX_SLL:
                ip = dpkt.sll.SLL(frame).data
            elif link in (dpkt.pcap.DLT_RAW, 101):
                ip = dpkt.ip.IP(frame) if frame[0] >> 4 == 4 else dpkt.ip6.IP6(frame)
            else:
                continue
            if isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)) and isinstance(ip.data, dpkt.tcp.TCP):
                yield ip, ip.data


def address(ip) -> str:  # type: ignore[no-untyped-def]
    family = socket.AF_INET if isinstance(ip, dpkt.ip.IP) else socket.AF_INET6
    return socket.inet_ntop(family, ip.src)


def first_records(path: Path) -> dict[tuple[str, str, str, str], bytes]:
    """Per (src, srcport, dst, dstport): the client's bytes until its first TLS record is whole."""
    streams: dict[tuple[str, str, str, str], dict[int, bytes]] = {}
    for ip, tcp in packets(path):
        if not tcp.data:
            continue
        family = socket.AF_INET if isinstance(ip, dpkt.ip.IP) else socket.AF_INET6
        key = (address(ip), str(tcp.sport), socket.inet_ntop(family, ip.dst), str(tcp.dport))
        streams.setdefault(key, {}).setdefault(tcp.seq, bytes(tcp.data))
    found = {}
    for key, segments in streams.items():
        data = b""
        for seq in sorted(segments):
            data += segments[seq]
            if len(data) >= 5 and len(data) >= 5 + int.from_bytes(data[3:5], "big"):
                break
        if data[:1] == b"\x16" and len(data) >= 5 + int.from_bytes(data[3:5], "big"):
            found[key] = data[: 5 + int.from_bytes(data[3:5], "big")]
    return found


def main(checkout: Path, commit: str) -> None:
    """One vector per distinct published (JA4, JA4_r): the first stream that shows it."""
    vectors = []
    seen: set[tuple[str, str]] = set()
    for expected in sorted((checkout / "python/test/testdata").glob("*.json")):
        capture = checkout / "pcap" / expected.name.removesuffix(".json")
        if not capture.exists():
            continue
        records = None
        for stream in json.loads(expected.read_text()):
            ja4 = stream.get("JA4.1") or stream.get("JA4")
            if not ja4 or not ja4.startswith("t"):
                continue
            records = records if records is not None else first_records(capture)
            key = (stream["src"], stream["srcport"], stream["dst"], stream["dstport"])
            raw = stream.get("JA4_r.1") or stream.get("JA4_r")
            if key not in records or (ja4, raw) in seen:
                continue
            seen.add((ja4, raw))
            vectors.append(
                {
                    "capture": f"pcap/{capture.name}",
                    "stream": stream["stream"],
                    "client_hello": records[key].hex(),
                    "ja4": ja4,
                    "ja4_r": raw,
                }
            )
    json.dump(
        {
            "provenance": {
                "source": SOURCE,
                "commit": commit,
                "what": "TLS ClientHello records from the repository's pcap/ captures, with "
                "the JA4 and JA4_r its python/test/testdata/ publishes for each stream",
                "license": "captures and JA4 method: BSD 3-Clause (the repository's LICENSE-JA4)",
            },
            "vectors": vectors,
        },
        sys.stdout,
        indent=1,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
