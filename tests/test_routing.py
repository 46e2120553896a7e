"""Routing reaches origins by their real names and refuses everything else, naming the host."""

from __future__ import annotations

import asyncio
import errno
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from harness.network.address import Address
from harness.network.routing import Router, RoutingError, UnroutedHost

#: Every accept, recv and connect in these tests gives up after this long.
WAIT_SECONDS = 5.0

#: What harness/network/routing.py replaces while routing is active and puts back afterwards.
PATCHED = (
    (socket, "getaddrinfo"),
    (socket, "gethostbyname"),
    (socket, "gethostbyname_ex"),
    (socket, "gethostbyaddr"),
    (socket, "getnameinfo"),
    (socket.socket, "connect"),
    (socket.socket, "connect_ex"),
    (socket.socket, "sendto"),
    (socket.socket, "sendmsg"),
)


def current() -> dict[str, object]:
    """The nine attributes as they are now, by their dotted names."""
    return {
        f"socket.{'socket.' if owner is socket.socket else ''}{name}": getattr(owner, name)
        for owner, name in PATCHED
    }


def replaceable() -> dict[str, object]:
    """Every attribute of the socket module and of socket.socket (inherited ones too), for
    finding whatever the router replaced."""
    found = {f"socket.{name}": getattr(socket, name) for name in dir(socket)}
    found.update(
        {f"socket.socket.{name}": getattr(socket.socket, name) for name in dir(socket.socket)}
    )
    return found


def same(a: object, b: object) -> bool:
    """Identity, or equality for attributes made afresh on each access (bound class methods)."""
    return a is b or bool(a == b)


def make_server(kind: socket.SocketKind = socket.SOCK_STREAM) -> socket.socket:
    server = socket.socket(socket.AF_INET, kind)
    server.settimeout(WAIT_SECONDS)
    server.bind(("127.0.0.1", 0))
    if kind == socket.SOCK_STREAM:
        server.listen()
    return server


@pytest.fixture
def echo_server() -> Iterator[socket.socket]:
    with make_server() as server:
        yield server


def arrival(server: socket.socket) -> tuple[Address, bytes]:
    """The next connection the origin accepts: who it came from and everything it sent until it
    closed; fails, never hangs, when nothing arrives."""
    try:
        accepted, peer = server.accept()
    except TimeoutError:
        pytest.fail(f"nothing reached the origin at {server.getsockname()} in {WAIT_SECONDS}s")
    with accepted:
        accepted.settimeout(WAIT_SECONDS)
        data = b""
        while chunk := accepted.recv(4096):
            data += chunk
            assert len(data) < 65536, "the origin got more than the client sent"
    return (peer[0], peer[1]), data


def test_routed_name_reaches_origin_sync(echo_server: socket.socket) -> None:
    router = Router()
    router.add("api.example.test", 443, echo_server.getsockname())
    with router.active():
        infos = socket.getaddrinfo("API.Example.Test.", 443)
        assert {info[4][0] for info in infos} == {router.address_for("api.example.test")}
        with socket.create_connection(("api.example.test", 443), timeout=WAIT_SECONDS) as client:
            client.sendall(b"sync hello")
            here = client.getsockname()
    assert arrival(echo_server) == (here, b"sync hello")


def test_routed_name_reaches_origin_async(echo_server: socket.socket) -> None:
    """Two routed names, two origins: each connection reaches its own name's origin, carrying
    what its client sent, from the client's own socket."""

    async def send(host: str, payload: bytes) -> tuple[Address, Address]:
        connecting = asyncio.open_connection(host, 443)
        _reader, writer = await asyncio.wait_for(connecting, WAIT_SECONDS)
        try:
            writer.write(payload)
            await asyncio.wait_for(writer.drain(), WAIT_SECONDS)
            here, there = writer.get_extra_info("sockname"), writer.get_extra_info("peername")
            return (here[0], here[1]), (there[0], there[1])
        finally:
            writer.close()
            await asyncio.wait_for(writer.wait_closed(), WAIT_SECONDS)

    async def both() -> list[tuple[Address, Address]]:
        return [
            await send("api.example.test", b"for api"),
            await send("other.example.test", b"for other"),
        ]

    with make_server() as other:
        router = Router()
        router.add("other.example.test", 443, other.getsockname())
        router.add("api.example.test", 443, echo_server.getsockname())
        with router.active():
            (api_client, api_peer), (other_client, other_peer) = asyncio.run(both())
        assert arrival(echo_server) == (api_client, b"for api")
        assert arrival(other) == (other_client, b"for other")
        assert (api_peer, other_peer) == (echo_server.getsockname(), other.getsockname())


def test_every_entry_point_is_routed_while_active_and_restored_after() -> None:
    """All nine patches are in while routing is on (and nothing else is replaced), each answers
    or delivers for a routed name, and afterwards the originals are back."""
    before, everything = current(), replaceable()
    with make_server() as origin, make_server(socket.SOCK_DGRAM) as datagrams:
        router = Router()
        router.add("api.example.test", 443, origin.getsockname())
        router.add("dns.example.test", 53, datagrams.getsockname())
        routed, dns = router.address_for("api.example.test"), router.address_for("dns.example.test")
        with router.active():
            now = replaceable()
            replaced = {
                name for name, value in now.items() if not same(everything.get(name), value)
            }
            # checked before any lookup: an entry point left unpatched would ask a real resolver
            assert replaced == set(before)

            assert {info[4][0] for info in socket.getaddrinfo("api.example.test", 443)} == {routed}
            assert socket.gethostbyname("api.example.test") == routed
            assert socket.gethostbyname_ex("api.example.test")[2] == [routed]
            assert socket.gethostbyaddr(routed) == ("api.example.test", [], [routed])
            assert socket.getnameinfo((routed, 443), 0) == ("api.example.test", "443")
            for lookup in (socket.gethostbyname, socket.gethostbyname_ex, socket.gethostbyaddr):
                with pytest.raises(UnroutedHost, match=r"'elsewhere\.example'"):
                    lookup("elsewhere.example")
            with pytest.raises(UnroutedHost, match=r"'elsewhere\.example'"):
                socket.getnameinfo(("elsewhere.example", 443), 0)

            with socket.socket() as client:
                client.settimeout(WAIT_SECONDS)
                client.connect((routed, 443))
                client.sendall(b"by connect")
                here = client.getsockname()
            assert arrival(origin) == (here, b"by connect")
            with socket.socket() as client:
                client.settimeout(WAIT_SECONDS)
                assert client.connect_ex((routed, 443)) == 0
                client.sendall(b"by connect_ex")
                here = client.getsockname()
            assert arrival(origin) == (here, b"by connect_ex")

            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
                client.bind(("127.0.0.1", 0))
                client.sendto(b"by sendto", (dns, 53))
                assert datagrams.recvfrom(4096) == (b"by sendto", client.getsockname())
                client.sendmsg([b"by ", b"sendmsg"], [], 0, (dns, 53))
                assert datagrams.recvfrom(4096) == (b"by sendmsg", client.getsockname())

        after = current()
        assert {name for name in before if after[name] is not before[name]} == set()
        # by behaviour, where it is safe: connects to the routed address are no longer rewritten
        # (nothing listens there, so the kernel refuses them; a RoutingError would mean a patch)
        with socket.socket() as client:
            client.settimeout(WAIT_SECONDS)
            with pytest.raises(ConnectionRefusedError) as refused:
                client.connect((routed, 443))
            assert type(refused.value) is ConnectionRefusedError
        with socket.socket() as client:
            client.settimeout(WAIT_SECONDS)
            assert client.connect_ex((routed, 443)) == errno.ECONNREFUSED
        assert socket.getnameinfo((routed, 443), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV) == (
            routed,
            "443",
        )


def test_unrouted_name_fails_naming_the_host() -> None:
    router = Router()
    router.add("api.example.test", 443, ("127.0.0.1", 9))
    with (
        router.active(),
        pytest.raises(UnroutedHost, match=r"'elsewhere\.example'.*api\.example\.test"),
    ):
        socket.getaddrinfo("elsewhere.example", 443)


# Connects off loopback are tested where a broken guard cannot send a packet: inside a network
# namespace of their own, in tests/test_hostile_factories.py.


def test_routed_name_on_wrong_port_fails_naming_the_host() -> None:
    router = Router()
    router.add("api.example.test", 443, ("127.0.0.1", 9))
    with (
        router.active(),
        socket.socket() as sock,
        pytest.raises(RoutingError, match=r"api\.example\.test:8443"),
    ):
        sock.connect((router.address_for("api.example.test"), 8443))


def test_patches_are_removed_after_an_error() -> None:
    before = current()
    router = Router()
    with pytest.raises(ZeroDivisionError), router.active():
        assert all(now is not before[name] for name, now in current().items())
        1 / 0  # noqa: B018
    after = current()
    assert {name for name in before if after[name] is not before[name]} == set()


def test_routing_is_not_reentrant() -> None:
    router = Router()
    with router.active(), pytest.raises(RuntimeError, match="already active"), router.active():
        pass


def test_each_name_gets_its_own_loopback_address() -> None:
    router = Router()
    addresses = {router.address_for(f"host{i}.example.test") for i in range(300)}
    assert len(addresses) == 300
    assert all(address.startswith("127.") for address in addresses)


def make_server6() -> socket.socket:
    server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    server.settimeout(WAIT_SECONDS)
    server.bind(("::1", 0))
    server.listen()
    return server


def test_a_dual_stack_name_resolves_ipv6_first_and_each_family_reaches_its_listener(
    echo_server: socket.socket,
) -> None:
    """With an IPv6 listener, a lookup answers ::1 then the name's IPv4 address, a family asked
    for gets only its own, and a connect over either family lands on that family's listener."""
    with make_server6() as server6:
        router = Router()
        router.add("api.example.test", 443, echo_server.getsockname(), server6.getsockname()[:2])
        v4 = router.address_for("api.example.test")
        with router.active():
            both = socket.getaddrinfo("api.example.test", 443, type=socket.SOCK_STREAM)
            assert [(info[0], info[4][0]) for info in both] == [
                (socket.AF_INET6, "::1"),
                (socket.AF_INET, v4),
            ]
            only6 = socket.getaddrinfo("api.example.test", "https", socket.AF_INET6)
            assert [info[4][:2] for info in only6] == [("::1", 443)]
            for family, address in ((socket.AF_INET6, "::1"), (socket.AF_INET, v4)):
                with socket.socket(family, socket.SOCK_STREAM) as client:
                    client.settimeout(WAIT_SECONDS)
                    client.connect((address, 443))
                    client.sendall(family.name.encode())
                    here = client.getsockname()[:2]
                server = server6 if family == socket.AF_INET6 else echo_server
                assert arrival(server) == (here, family.name.encode())


def test_a_name_without_an_ipv6_listener_resolves_over_ipv4_only(
    echo_server: socket.socket,
) -> None:
    router = Router()
    router.add("api.example.test", 443, echo_server.getsockname())
    with router.active(), pytest.raises(UnroutedHost, match="routed over IPv4 only"):
        socket.getaddrinfo("api.example.test", 443, socket.AF_INET6)


def test_a_blackholed_name_never_completes_its_ipv6_connect(echo_server: socket.socket) -> None:
    """Under blackholing the table a scenario's process gets sends the name's IPv6 connects to a
    listener whose accept queue is full: the kernel drops the SYN and the connect times out,
    while the IPv4 address still serves."""
    from harness.network.blackhole import Blackhole

    hole = Blackhole()
    try:
        with make_server6() as server6:
            router = Router()
            router.add("api.example.test", 443, echo_server.getsockname(), server6.getsockname())
            with router.blackholing(["API.example.test"], hole.address):
                table = router.table()
            assert Router().table()["rewrites6"] == []
            child = Router.from_table(table)
            with child.active():
                socket.getaddrinfo("api.example.test", 443)
                with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as client:
                    client.settimeout(0.5)
                    with pytest.raises(TimeoutError):
                        client.connect(("::1", 443))
                with socket.create_connection(("127.0.43.1", 443), timeout=WAIT_SECONDS) as ok:
                    ok.sendall(b"over IPv4")
                    here = ok.getsockname()
            assert arrival(echo_server) == (here, b"over IPv4")
            assert router.table()["rewrites6"][0][2:] == list(server6.getsockname()[:2])
    finally:
        hole.close()


#: Run in a network namespace whose loopback has no IPv6: the packaged origins come up on IPv4
#: alone, a routed name resolves to its IPv4 address only, and ipv6-blackhole is left out.
NO_IPV6_CHECK = """
import socket, tempfile
from pathlib import Path
from harness.fixtures import load_fixtures
from harness.judging.matrix import left_out
from harness.network.blackhole import ipv6_loopback_available
from harness.network.conditions import load_conditions
from harness.network.origins import Network
from harness.network.pki import Authority

assert not ipv6_loopback_available()
print(left_out(load_conditions()))
with tempfile.TemporaryDirectory() as scratch:
  with Network(load_fixtures(), Authority(Path(scratch))) as net:
    assert net.blackhole is None and net.router.table()["rewrites6"] == []
    with net.router.active():
      found = socket.getaddrinfo("chatgpt.com", 443, type=socket.SOCK_STREAM)
      assert [info[0] for info in found] == [socket.AF_INET], found
      socket.create_connection(("chatgpt.com", 443), timeout=5).close()
print("ok")
"""


def test_without_ipv6_loopback_the_origins_serve_over_ipv4_and_the_blackhole_is_left_out() -> None:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("unshare and ip are needed for a namespace without IPv6")
    setup = "ip link set lo up && sysctl -qw net.ipv6.conf.lo.disable_ipv6=1"
    probe = subprocess.run(
        ["unshare", "--map-root-user", "--net", "sh", "-c", setup],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"no network namespace without IPv6 here: {probe.stderr.strip()}")
    done = subprocess.run(
        [
            *("unshare", "--map-root-user", "--net", "sh", "-c"),
            f'{setup} && exec "$0" -c "$1"',
            sys.executable,
            NO_IPV6_CHECK,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[-1] == "ok"
    assert "'ipv6-blackhole': 'this machine has no IPv6 loopback address (::1)'" in lines[0]
