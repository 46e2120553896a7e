"""What the kernel says about a peer's TCP socket: is its keepalive timer armed, and when.

The origin asks the kernel, not the client process, so any client code is judged the same way.
Both ends of a loopback connection live in one kernel, so the client's own socket can be looked up
by its 4-tuple. The fast path is an exact NETLINK_SOCK_DIAG lookup (no root, ~0.1 ms); the fallback
reads /proc/net/tcp[6] (~2-3 ms, walks the whole table). Other systems have no such view, and
:class:`KernelViewUnavailable` says so instead of guessing.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.network.address import Address

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 0x1
NLMSG_ERROR = 0x2
INET_DIAG_NOCOOKIE = 0xFFFFFFFF

#: ``idiag_timer`` / ``/proc/net/tcp`` ``tr`` values.
TIMER_NONE, TIMER_RETRANSMIT, TIMER_KEEPALIVE = 0, 1, 2

_HEADER = struct.Struct("=IHHII")
_REQUEST = struct.Struct("=BBBBI")
_SOCKID = struct.Struct("!HH16s16s")
_MSG_HEAD = struct.Struct("=BBBB")
_MSG_TAIL = struct.Struct("=IIIII")
_SOCKID_SIZE = _SOCKID.size + 12  # + interface index + cookie


class KernelViewUnavailable(HarnessError, RuntimeError):
    """This system offers no way to read another socket's keepalive timer."""


#: :attr:`KeepaliveState.source` (the lookup method, as in the JSON reports) in plain words.
SOURCE_WORDS = {"sock_diag": "the kernel's socket diagnostics", "proc": "/proc/net/tcp"}


@dataclass(frozen=True)
class KeepaliveState:
    """The peer socket's keepalive timer as the kernel reports it.

    ``idle_seconds`` is the time until the first probe, rounded (the kernel reports 59996 ms for a
    60 s idle time just after arming); ``None`` when keepalive is off.
    """

    armed: bool
    idle_seconds: int | None
    source: str

    def describe(self) -> str:
        """``keepalive armed, idle 30s`` or ``keepalive off``: the one wording reports use."""
        return f"keepalive armed, idle {self.idle_seconds}s" if self.armed else "keepalive off"

    def reported_by(self) -> str:
        """Where the state was read, in words: ``source`` is the method's short name."""
        return SOURCE_WORDS.get(self.source, self.source)


def kernel_view_available() -> bool:
    return sys.platform.startswith("linux") and Path("/proc/net/tcp").exists()


def _packed_address(family: int, host: str) -> bytes:
    return socket.inet_pton(family, host).ljust(16, b"\0")


class KernelView:
    """Looks up peer sockets; one netlink socket, reused under a lock."""

    def __init__(self, *, prefer_netlink: bool = True) -> None:
        if not kernel_view_available():
            raise KernelViewUnavailable(
                f"no kernel view of peer sockets on {sys.platform}: keepalive can only be observed "
                "on Linux (sock_diag netlink or /proc/net/tcp)"
            )
        self._lock = threading.Lock()
        self._seq = 0
        self._netlink: socket.socket | None = None
        if prefer_netlink:
            try:
                self._netlink = socket.socket(
                    socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG
                )
                self._netlink.settimeout(1.0)
            except OSError:
                self._netlink = None

    @property
    def method(self) -> str:
        return "sock_diag" if self._netlink is not None else "proc"

    def close(self) -> None:
        if self._netlink is not None:
            self._netlink.close()
            self._netlink = None

    def __enter__(self) -> KernelView:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def timer(self, local: Address, remote: Address) -> tuple[int, int] | None:
        """``(timer, expires_ms)`` of the socket bound to ``local`` and connected to ``remote``."""
        if self._netlink is not None:
            return self._timer_netlink(local, remote)
        return timer_from_proc(local, remote)

    def _timer_netlink(self, local: Address, remote: Address) -> tuple[int, int] | None:
        family = socket.AF_INET6 if ":" in local[0] else socket.AF_INET
        sockid = _SOCKID.pack(
            local[1],
            remote[1],
            _packed_address(family, local[0]),
            _packed_address(family, remote[0]),
        ) + struct.pack("=III", 0, INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE)
        body = _REQUEST.pack(family, socket.IPPROTO_TCP, 0, 0, 0xFFFFFFFF) + sockid
        assert self._netlink is not None
        with self._lock:
            self._seq += 1
            seq = self._seq
            header = _HEADER.pack(
                _HEADER.size + len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, seq, 0
            )
            self._netlink.send(header + body)
            while True:
                reply = self._netlink.recv(65536)
                _length, kind, _flags, reply_seq, _pid = _HEADER.unpack_from(reply)
                if reply_seq == seq:
                    break
        if kind == NLMSG_ERROR:
            (code,) = struct.unpack_from("=i", reply, _HEADER.size)
            if -code == errno.ENOENT:
                return None
            raise OSError(-code, f"sock_diag lookup failed: {os.strerror(-code)}")
        offset = _HEADER.size
        _family, _state, timer, _retrans = _MSG_HEAD.unpack_from(reply, offset)
        expires, *_rest = _MSG_TAIL.unpack_from(reply, offset + _MSG_HEAD.size + _SOCKID_SIZE)
        return timer, expires

    def keepalive(
        self,
        local: Address,
        remote: Address,
        *,
        settle: float = 0.2,
        accepted_at: float | None = None,
    ) -> KeepaliveState:
        """Keepalive state of the socket at ``local`` connected to ``remote``.

        A retransmit timer hides the keepalive timer while sent data is unacknowledged; on
        loopback that lasts microseconds, so poll for at most ``settle`` seconds. The kernel
        reports the time left until the first probe, which runs down from the moment the
        connection was established; ``accepted_at`` (``time.monotonic()`` when the connection
        was accepted) adds back the time since, so a lookup made a second late under load still
        reads the idle time the client set, not one second less.
        """
        deadline = time.monotonic() + settle
        while True:
            found = self.timer(local, remote)
            if found is None:
                raise LookupError(f"no TCP socket {local[0]}:{local[1]} -> {remote[0]}:{remote[1]}")
            timer, expires_ms = found
            if timer != TIMER_RETRANSMIT or time.monotonic() >= deadline:
                break
            time.sleep(0.0002)
        if timer == TIMER_KEEPALIVE:
            waited = 0.0 if accepted_at is None else max(0.0, time.monotonic() - accepted_at)
            return KeepaliveState(True, round(expires_ms / 1000 + waited), self.method)
        return KeepaliveState(False, None, self.method)


def _proc_address(family: int, host: str, port: int) -> str:
    raw = socket.inet_pton(family, host)
    words = struct.unpack(f"={len(raw) // 4}I", raw)
    return "".join(f"{word:08X}" for word in words) + f":{port:04X}"


def timer_from_proc(local: Address, remote: Address) -> tuple[int, int] | None:
    """The /proc/net/tcp[6] fallback: ``tr`` and ``tm->when`` (1/100 s) converted to ms."""
    family = socket.AF_INET6 if ":" in local[0] else socket.AF_INET
    table = "/proc/net/tcp6" if family == socket.AF_INET6 else "/proc/net/tcp"
    want_local = _proc_address(family, *local)
    want_remote = _proc_address(family, *remote)
    with open(table, encoding="ascii") as rows:
        next(rows)
        for row in rows:
            fields = row.split()
            if fields[1] == want_local and fields[2] == want_remote:
                timer, when = fields[5].split(":")
                return int(timer, 16), int(when, 16) * 10
    return None
