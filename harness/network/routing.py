"""Route real hostnames to loopback so unmodified client code reaches the simulated origins.

Each routed name resolves to a dedicated loopback address (127.0.43.x) and, where its origin
listens on IPv6 too, to ``::1`` first, as a dual-stack name resolves; a connect to either address
and the URL's port is rewritten to the origin's ephemeral port on that family. IPv6 loopback is
one address, so a connect to ``[::1]:PORT`` goes to the origin of the name this process last looked
up for that port. Resolving is not enough on its own:
anyio keeps the URL's port and only takes the address from the resolver, so the port must be
rewritten where the socket connects. Both patches sit on the ``socket`` module, so sync and async
(asyncio/anyio) stacks of httpx and httpx2 are covered; uvloop, which connects in C, is not.

While routing is active nothing leaves the machine: an unrouted name or a connect to an address
outside 127.0.0.0/8 and ::1 fails at once with an error that names the host.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from harness.network.address import Address

_FIRST_ROUTED = int(ipaddress.IPv4Address("127.0.43.1"))
_LAST_ROUTED = int(ipaddress.IPv4Address("127.0.254.254"))
#: The IPv6 address every routed name resolves to besides its own IPv4 one.
IPV6_LOOPBACK = "::1"


class RoutingError(ConnectionRefusedError):
    """A connect or lookup the harness refused, with the host named in the message."""


class UnroutedHost(socket.gaierror):
    """A name lookup for a host no origin serves."""


def normalize_host(host: str | bytes) -> str:
    """Hostnames compare case-insensitively and without a trailing root dot."""
    if isinstance(host, bytes):
        host = host.decode("ascii")
    return host.strip("[]").rstrip(".").lower()


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class Router:
    """Name → loopback address table plus (address, port) → origin rewrites."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._addresses: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._rewrites: dict[Address, Address] = {}
        self._targets: set[Address] = set()
        self._active = False
        self._refusals: list[str] = []
        #: (name, URL port) -> the origin's IPv6 listening address.
        self._v6_rewrites: dict[tuple[str, int], Address] = {}
        #: URL port -> the name last looked up with an IPv6 answer (``[::1]:port`` goes there).
        self._v6_last: dict[int, str] = {}
        #: Names whose IPv6 address blackholes, and the listener that does it.
        self._blackhole: tuple[frozenset[str], Address] | None = None

    def _refuse(self, message: str) -> str:
        """Record an attempt to leave the machine: code under test may catch the error and carry
        on, but the scenario (or the vetting) still fails with this message."""
        with self._lock:
            self._refusals.append(message)
        return message

    def refusals(self, since: int = 0) -> list[str]:
        """Every refused lookup or connect off the machine, from the ``since``-th on."""
        with self._lock:
            return self._refusals[since:]

    def refusal_mark(self) -> int:
        with self._lock:
            return len(self._refusals)

    def address_for(self, host: str) -> str:
        """The dedicated loopback address of ``host``, allocated on first use."""
        name = normalize_host(host)
        with self._lock:
            if name not in self._addresses:
                index = _FIRST_ROUTED + len(self._addresses)
                if index > _LAST_ROUTED:
                    raise RuntimeError("harness routing: out of loopback addresses")
                address = str(ipaddress.IPv4Address(index))
                self._addresses[name] = address
                self._names[address] = name
            return self._addresses[name]

    def add(self, host: str, port: int, target: Address, target6: Address | None = None) -> None:
        """Send connections for ``host:port`` to ``target`` (an origin's listening address) and,
        with ``target6``, those over IPv6 to that one."""
        address = self.address_for(host)
        target = (target[0], target[1])
        with self._lock:
            self._rewrites[(address, port)] = target
            self._targets.add(target)
            if target6 is not None:
                target6 = (target6[0], target6[1])
                self._v6_rewrites[(normalize_host(host), port)] = target6
                self._targets.add(target6)

    @contextmanager
    def blackholing(self, hosts: Iterable[str], listener: Address) -> Iterator[None]:
        """For the block, :meth:`table` sends the IPv6 connects to ``hosts`` to ``listener`` (a
        listener whose full accept queue makes the kernel drop every SYN)."""
        with self._lock:
            self._blackhole = (frozenset(normalize_host(host) for host in hosts), listener)
        try:
            yield
        finally:
            with self._lock:
                self._blackhole = None

    def routes(self) -> dict[str, list[int]]:
        """Routed names and their URL ports, for messages and reports."""
        table: dict[str, list[int]] = {}
        with self._lock:
            for address, port in self._rewrites:
                table.setdefault(self._names[address], []).append(port)
        return {name: sorted(ports) for name, ports in sorted(table.items())}

    def table(self) -> dict[str, Any]:
        """Names, addresses and rewrites as JSON data, for a scenario's process to route alike."""
        with self._lock:
            hosts, hole = self._blackhole or (frozenset(), ("", 0))
            return {
                "addresses": dict(self._addresses),
                "rewrites": [
                    [address, port, target[0], target[1]]
                    for (address, port), target in self._rewrites.items()
                ],
                "rewrites6": [
                    [name, port, *(hole if name in hosts else target)]
                    for (name, port), target in self._v6_rewrites.items()
                ],
            }

    @classmethod
    def from_table(cls, table: dict[str, Any]) -> Router:
        """A router with the routes of :meth:`table` (refusals start empty)."""
        router = cls()
        router._addresses = {str(k): str(v) for k, v in dict(table.get("addresses", {})).items()}
        router._names = {address: name for name, address in router._addresses.items()}
        for address, port, target_host, target_port in table.get("rewrites", []):
            target = (str(target_host), int(target_port))
            router._rewrites[(str(address), int(port))] = target
            router._targets.add(target)
        for name, port, target_host, target_port in table.get("rewrites6", []):
            target = (str(target_host), int(target_port))
            router._v6_rewrites[(str(name), int(port))] = target
            router._targets.add(target)
        return router

    def lookup(self, host: str | bytes, port: int) -> list[str]:
        """The addresses a lookup of ``host`` for ``port`` answers with, IPv6 first where the
        name's origin listens on IPv6 (remembered: ``[::1]:port`` then goes to this name)."""
        address = self.resolve(host)
        name = normalize_host(host)
        with self._lock:
            if (name, port) not in self._v6_rewrites:
                return [address]
            self._v6_last[port] = name
        return [IPV6_LOOPBACK, address]

    def resolve(self, host: str | bytes) -> str:
        """The address a lookup of ``host`` answers with, or an error naming the host."""
        name = normalize_host(host)
        with self._lock:
            address = self._addresses.get(name)
        if address is not None:
            return address
        if _is_ip_literal(name):  # no lookup needed; a connect off loopback is refused there
            return name
        if name == "localhost":
            return "127.0.0.1"
        raise UnroutedHost(
            socket.EAI_NONAME,
            self._refuse(
                f"harness routing: no origin serves {name!r}, so it is not looked up; routed "
                f"hosts: {', '.join(self.routes()) or 'none'}"
            ),
        )

    def destination(self, address: Any) -> Any:
        """Where a connect to ``address`` really goes; raises for anything off loopback."""
        if not isinstance(address, tuple) or len(address) < 2:
            return address  # not an internet address: the real call rejects it
        raw = address[0]
        if isinstance(raw, (bytes, bytearray)):
            try:
                raw = bytes(raw).decode("ascii")
            except UnicodeDecodeError:
                raise RoutingError(
                    errno.ENETUNREACH, self._refuse(f"harness routing: refusing {raw!r}")
                ) from None
        if not isinstance(raw, str):
            return address  # the real call rejects it
        host, port = normalize_host(raw), int(address[1])
        if not _is_ip_literal(host):
            host = self.resolve(host)
        if host == IPV6_LOOPBACK:
            with self._lock:
                last = self._v6_last.get(port)
                target6 = self._v6_rewrites.get((last, port)) if last is not None else None
            if target6 is not None:
                return (target6[0], target6[1], *address[2:])
        with self._lock:
            target = self._rewrites.get((host, port))
            name = self._names.get(host)
            already_rewritten = (host, port) in self._targets
        if target is not None:
            return (target[0], target[1], *address[2:])
        if already_rewritten:
            return (host, port, *address[2:])
        if name is not None:
            raise RoutingError(
                errno.ECONNREFUSED,
                f"harness routing: {name}:{port} has no origin "
                f"(routed ports: {', '.join(map(str, self.routes().get(name, []))) or 'none'})",
            )
        if not is_loopback(host):
            raise RoutingError(
                errno.ENETUNREACH,
                self._refuse(
                    f"harness routing: refusing to connect to {host}:{port}; "
                    "only loopback addresses are reachable"
                ),
            )
        return (host, port, *address[2:])

    def reverse(self, host: str | bytes) -> tuple[str, list[str], list[str]]:
        """``gethostbyaddr`` without a lookup: a routed or loopback address answers with its
        name; anything else is refused (a reverse lookup would ask a DNS server)."""
        address = self.resolve(host)
        if not is_loopback(address):
            raise UnroutedHost(
                socket.EAI_NONAME,
                self._refuse(f"harness routing: no reverse lookup of {address} off the machine"),
            )
        with self._lock:
            name = self._names.get(address, "localhost")
        return name, [], [address]

    @contextmanager
    def active(self) -> Iterator[Router]:
        """Install the resolver and connect patches for the block; always removed afterwards."""
        with self._lock:
            if self._active:
                raise RuntimeError("harness routing is already active")
            self._active = True
        real_getaddrinfo = socket.getaddrinfo
        real_gethostbyname = socket.gethostbyname
        real_gethostbyname_ex = socket.gethostbyname_ex
        real_connect = socket.socket.connect
        real_sendto = socket.socket.sendto
        real_sendmsg = socket.socket.sendmsg
        real_gethostbyaddr = socket.gethostbyaddr
        real_getnameinfo = socket.getnameinfo
        real_connect_ex = socket.socket.connect_ex
        router = self

        def getaddrinfo(
            host: str | bytes | None,
            port: str | bytes | int | None,
            family: int = 0,
            type: int = 0,
            proto: int = 0,
            flags: int = 0,
        ) -> list[tuple[Any, ...]]:
            if host is None:
                return real_getaddrinfo(host, port, family, type, proto, flags)
            service = port.decode("ascii") if isinstance(port, bytes) else port
            if isinstance(service, str) and service and not service.isdigit():
                # a service name ("https"): the numeric address needs no lookup, the service
                # comes from /etc/services
                number = int(real_getaddrinfo("127.0.0.1", service, socket.AF_INET)[0][4][1])
            else:
                number = int(service) if service not in (None, "") else 0
            addresses = router.lookup(host, number)
            if len(addresses) == 1 and ":" in addresses[0]:
                return real_getaddrinfo(addresses[0], port, family, type, proto, flags)
            found = [
                address
                for address in addresses
                if family in (0, socket.AF_INET6 if ":" in address else socket.AF_INET)
            ]
            if not found:
                raise UnroutedHost(
                    socket.EAI_FAMILY,
                    f"harness routing: {normalize_host(host)} is routed over "
                    f"{'IPv4 only' if len(addresses) == 1 else 'IPv6 and IPv4'}",
                )
            sock_type = type or socket.SOCK_STREAM
            return [
                (socket.AF_INET6, sock_type, proto or 0, "", (address, number, 0, 0))
                if ":" in address
                else (socket.AF_INET, sock_type, proto or 0, "", (address, number))
                for address in found
            ]

        def gethostbyname(host: str) -> str:
            return real_gethostbyname(router.resolve(host))

        def gethostbyname_ex(host: str) -> tuple[str, list[str], list[str]]:
            return real_gethostbyname_ex(router.resolve(host))

        def gethostbyaddr(host: str) -> tuple[str, list[str], list[str]]:
            return router.reverse(host)

        def getnameinfo(sockaddr: tuple[Any, ...], flags: int) -> tuple[str, str]:
            name, _, _ = router.reverse(sockaddr[0])
            host = str(sockaddr[0]) if flags & socket.NI_NUMERICHOST else name
            return host, str(sockaddr[1])

        def sendto(self: socket.socket, data: Any, *args: Any) -> int:
            if self.family in (socket.AF_INET, socket.AF_INET6) and args:
                args = (*args[:-1], router.destination(args[-1]))
            return real_sendto(self, data, *args)

        def sendmsg(self: socket.socket, buffers: Any, *args: Any) -> int:
            if self.family in (socket.AF_INET, socket.AF_INET6) and len(args) >= 3:
                args = (*args[:2], router.destination(args[2]), *args[3:])
            return real_sendmsg(self, buffers, *args)

        def connect(self: socket.socket, address: Any) -> None:
            if self.family in (socket.AF_INET, socket.AF_INET6):
                address = router.destination(address)
            real_connect(self, address)

        def connect_ex(self: socket.socket, address: Any) -> int:
            if self.family in (socket.AF_INET, socket.AF_INET6):
                address = router.destination(address)
            return real_connect_ex(self, address)

        socket.getaddrinfo = getaddrinfo
        socket.gethostbyname = gethostbyname
        socket.gethostbyname_ex = gethostbyname_ex
        socket.gethostbyaddr = gethostbyaddr
        socket.getnameinfo = getnameinfo
        socket.socket.sendto = sendto  # type: ignore[method-assign,assignment]
        socket.socket.sendmsg = sendmsg  # type: ignore[method-assign,assignment]
        socket.socket.connect = connect  # type: ignore[method-assign,assignment]
        socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
        try:
            yield self
        finally:
            socket.getaddrinfo = real_getaddrinfo
            socket.gethostbyname = real_gethostbyname
            socket.gethostbyname_ex = real_gethostbyname_ex
            socket.gethostbyaddr = real_gethostbyaddr
            socket.getnameinfo = real_getnameinfo
            socket.socket.sendto = real_sendto  # type: ignore[method-assign]
            socket.socket.sendmsg = real_sendmsg  # type: ignore[method-assign]
            socket.socket.connect = real_connect  # type: ignore[method-assign]
            socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
            with self._lock:
                self._active = False
