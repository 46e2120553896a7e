"""An address whose connects never complete, made by the kernel rather than by a sleep.

A listener with a backlog of zero holds one connection in its accept queue; the harness makes that
one connection itself and never accepts it. With the queue full, Linux drops every further SYN
(``LISTENOVERFLOWS``), so a client's connect retransmits until its own timeout: what an IPv6 path
that silently drops packets looks like to the client.
"""

from __future__ import annotations

import contextlib
import socket
from functools import cache

from harness.network.address import Address


@cache
def ipv6_loopback_available() -> bool:
    """Whether this machine can listen on ``::1`` (a container or host with IPv6 disabled cannot:
    its origins then listen on IPv4 alone and the IPv6 conditions are left out)."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


class Blackhole:
    """A loopback listener (``::1`` by default) whose accept queue is full from the start."""

    def __init__(self, host: str = "::1") -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._filler = socket.socket(family, socket.SOCK_STREAM)
        try:
            self._listener.bind((host, 0))
            self._listener.listen(0)
            self.address: Address = self._listener.getsockname()[:2]
            self._filler.settimeout(2.0)
            self._filler.connect(self.address)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for sock in (self._filler, self._listener):
            with contextlib.suppress(OSError):
                sock.close()
