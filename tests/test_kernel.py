"""The kernel view classifies keepalive from the peer's socket, by netlink and by /proc alike."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import wait_for
from harness.network.kernel import KernelView, timer_from_proc

pytestmark = pytest.mark.kernel_view

KEEPIDLE = getattr(socket, "TCP_KEEPIDLE", None)
#: Where Linux keeps the idle time of a socket that sets SO_KEEPALIVE but no TCP_KEEPIDLE (per
#: network namespace, and tunable: 7200 s only by default).
KERNEL_IDLE_FILE = Path("/proc/sys/net/ipv4/tcp_keepalive_time")
#: The expected idle time of a case that leaves it to the kernel, read when the case runs.
KERNEL_DEFAULT = "kernel default"


def kernel_default_idle() -> int:
    """The kernel's own default, read here rather than through harness code under test."""
    return int(KERNEL_IDLE_FILE.read_text().split()[0])


@pytest.fixture(params=["127.0.0.1", "::1"], ids=["ipv4", "ipv6"])
def listener(request: pytest.FixtureRequest) -> Iterator[socket.socket]:
    family = socket.AF_INET6 if ":" in request.param else socket.AF_INET
    try:
        server = socket.socket(family, socket.SOCK_STREAM)
        server.bind((request.param, 0))
    except OSError as exc:
        pytest.skip(f"{request.param} unavailable: {exc}")
    server.listen()
    with server:
        yield server


def connect(
    listener: socket.socket, options: list[tuple[int, int, int]]
) -> tuple[socket.socket, socket.socket]:
    client = socket.create_connection(listener.getsockname()[:2], timeout=5)
    for option in options:
        client.setsockopt(*option)
    client.sendall(b"hello")
    listener.settimeout(5)
    accepted, _ = listener.accept()
    accepted.settimeout(5)
    assert accepted.recv(5) == b"hello"
    return client, accepted


CASES = {
    "off": ([], False, None),
    "so_keepalive_default_idle": (
        [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)],
        True,
        KERNEL_DEFAULT,
    ),
    "idle_30": (
        [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, KEEPIDLE or 0, 30)],
        True,
        30,
    ),
    "idle_before_enable_60": (
        [(socket.IPPROTO_TCP, KEEPIDLE or 0, 60), (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)],
        True,
        60,
    ),
    "idle_without_enable": ([(socket.IPPROTO_TCP, KEEPIDLE or 0, 30)], False, None),
}


@pytest.mark.parametrize("method", ["sock_diag", "proc"])
@pytest.mark.parametrize("options, armed, idle", CASES.values(), ids=list(CASES))
def test_keepalive_state(
    listener: socket.socket,
    method: str,
    options: list[tuple[int, int, int]],
    armed: bool,
    idle: int | str | None,
) -> None:
    if idle == KERNEL_DEFAULT:
        idle = kernel_default_idle()
    client, accepted = connect(listener, options)
    with client, accepted, KernelView(prefer_netlink=method == "sock_diag") as view:
        assert view.method == method
        state = view.keepalive(client.getsockname()[:2], accepted.getsockname()[:2])
    assert (state.armed, state.idle_seconds) == (armed, idle)


def test_a_late_lookup_still_reads_the_idle_the_client_set(listener: socket.socket) -> None:
    """The kernel reports the time left until the first probe, which runs down from the moment
    keepalive was armed: a lookup made over a second after the connection was accepted (a
    loaded machine) must still read 30 s, given when the connection was accepted."""
    client, accepted = connect(listener, CASES["idle_30"][0])
    accepted_at = time.monotonic()
    with client, accepted, KernelView() as view:
        local, remote = client.getsockname()[:2], accepted.getsockname()[:2]
        wait_for(
            lambda: (found := view.timer(local, remote)) is not None and found[1] <= 28_600,
            timeout=5,
            what="the keepalive timer to run down past 1.4 s",
        )
        late = view.keepalive(local, remote, accepted_at=accepted_at)
        unaided = view.keepalive(local, remote)
    assert (late.armed, late.idle_seconds) == (True, 30)
    assert unaided.idle_seconds == 29  # the time left alone reads one second short


def test_unknown_socket_is_a_lookup_error(listener: socket.socket) -> None:
    client, accepted = connect(listener, [])
    here = client.getsockname()[:2]
    there = accepted.getsockname()[:2]
    client.close()
    accepted.close()
    with KernelView() as view, pytest.raises(LookupError, match="no TCP socket"):
        view.keepalive((here[0], 1), there)


def test_proc_and_netlink_agree(listener: socket.socket) -> None:
    client, accepted = connect(listener, [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)])
    with client, accepted, KernelView() as view:
        local, remote = client.getsockname()[:2], accepted.getsockname()[:2]
        netlink = view.timer(local, remote)
        proc = timer_from_proc(local, remote)
    assert netlink is not None and proc is not None
    assert netlink[0] == proc[0] == 2
    assert abs(netlink[1] - proc[1]) < 1000
