"""Routing reaches origins by their real names and refuses everything else, naming the host."""

from __future__ import annotations

import asyncio
import socket

import pytest

from harness.network.routing import Router, RoutingError, UnroutedHost


@pytest.fixture
def echo_server() -> socket.socket:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server


def test_routed_name_reaches_origin_sync(echo_server: socket.socket) -> None:
    router = Router()
    router.add("api.example.test", 443, echo_server.getsockname())
    with echo_server, router.active():
        infos = socket.getaddrinfo("API.Example.Test.", 443)
        assert {info[4][0] for info in infos} == {router.address_for("api.example.test")}
        with socket.create_connection(("api.example.test", 443), timeout=2):
            accepted, _ = echo_server.accept()
            accepted.close()


def test_routed_name_reaches_origin_async(echo_server: socket.socket) -> None:
    router = Router()
    router.add("api.example.test", 443, echo_server.getsockname())

    async def connect() -> None:
        _reader, writer = await asyncio.open_connection("api.example.test", 443)
        writer.close()
        await writer.wait_closed()

    with echo_server, router.active():
        asyncio.run(connect())
        accepted, _ = echo_server.accept()
        accepted.close()


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


def test_patches_are_removed_afterwards() -> None:
    before = (socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex)
    router = Router()
    with pytest.raises(ZeroDivisionError), router.active():
        1 / 0  # noqa: B018
    assert (socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex) == before


def test_routing_is_not_reentrant() -> None:
    router = Router()
    with router.active(), pytest.raises(RuntimeError, match="already active"), router.active():
        pass


def test_each_name_gets_its_own_loopback_address() -> None:
    router = Router()
    addresses = {router.address_for(f"host{i}.example.test") for i in range(300)}
    assert len(addresses) == 300
    assert all(address.startswith("127.") for address in addresses)
