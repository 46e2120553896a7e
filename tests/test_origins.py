"""An origin serves what its gate lets through on the client's own connection, and no client
can hold a served connection, or the origin's threads, open: idle ones are closed, and closing
the network cuts them at once."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import wait_for
from harness.fixtures import FIXTURE_DIR, load_fixture
from harness.network.kernel import kernel_view_available
from harness.network.origins import Backend, Network
from harness.network.pki import Authority

pytestmark = pytest.mark.skipif(not kernel_view_available(), reason="Linux kernel view only")

URL = "https://api.openai.com/v1/models"


@pytest.fixture
def network(tmp_path: Path) -> Iterator[Network]:
    with Network([load_fixture(FIXTURE_DIR / "api-openai.json")], Authority(tmp_path)) as network:
        yield network  # closing twice is harmless


def test_the_backend_serves_the_connection_the_gate_observed(network: Network) -> None:
    with network.reachable(), httpx.Client() as client:
        assert client.get(URL).status_code == 200
    (observed,) = network.log.since()
    request, _response = network.origin("api-openai").backend.log[-1]
    assert observed.action == "serve"
    # Handed over, not relayed: the backend's peer is the client itself, not a gate socket.
    assert (request.environ["REMOTE_ADDR"], int(request.environ["REMOTE_PORT"])) == observed.peer


def _idle_tls_client(network: Network) -> ssl.SSLSocket:
    """A client that completes the handshake through the gate, then sends nothing."""
    raw = socket.create_connection(network.origin("api-openai").gate.address, timeout=5)
    return network.authority.client_context().wrap_socket(raw, server_hostname="api.openai.com")


def test_close_cuts_a_served_connection_the_client_holds_open(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    before = set(threading.enumerate())  # other networks of this process keep their threads
    api_openai = load_fixture(FIXTURE_DIR / "api-openai.json")
    with Network([api_openai], Authority(tmp_path)) as network, _idle_tls_client(network) as client:
        # the gate has observed it and handed it over
        wait_for(lambda: network.log.since(), 10, "the gate's observation")
        started = time.monotonic()
        network.close()  # raises if a gate or backend thread does not stop; twice is harmless
        assert time.monotonic() - started < 10  # well before the 30 s idle timeout would
        assert not [t for t in set(threading.enumerate()) - before if t.name.startswith("gate-")]
        assert client.recv(1) == b""
    assert "Traceback" not in capfd.readouterr().err


def test_a_served_connection_left_idle_is_closed(tmp_path: Path) -> None:
    authority = Authority(tmp_path)
    backend = Backend(authority.server_context(["localhost"]), idle_timeout=0.2)
    backend.start()
    server_side, client_side = socket.socketpair()
    worker = threading.Thread(
        target=backend.serve_connection,
        args=(server_side, ("127.0.0.1", 1), lambda sock: contextlib.nullcontext(True)),
        name="idle-served",
    )
    try:
        worker.start()
        context = authority.client_context()
        with context.wrap_socket(client_side, server_hostname="localhost") as client:
            client.settimeout(5)
            started = time.monotonic()
            assert client.recv(1) == b""  # closed by the backend, not by this timeout
            assert time.monotonic() - started < 2
    finally:
        worker.join(5)
        backend.stop()
    assert not worker.is_alive()
