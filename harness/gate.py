"""The gate in front of each origin: accept, peek the first bytes, ask the kernel, apply the rule.

It never terminates TLS. A connection the rule lets through is spliced, byte for byte, to the
origin's backend; one it rejects is reset before the handshake completes, as the real backend does.
Every thread is named and joined, every wait is bounded, every socket is closed on :meth:`close`.
"""

from __future__ import annotations

import contextlib
import itertools
import selectors
import socket
import struct
import threading
import time

from harness.faults import Action, ConnectionFacts, FaultRules
from harness.kernel import KernelView
from harness.observations import Address, Observation, ObservationLog
from harness.tls import MalformedHello, looks_like_tls, parse_client_hello, record_length

RELAY_CHUNK = 65536
MAX_HELLO = 16384 + 5


def reset(sock: socket.socket) -> None:
    """Abort the connection: SO_LINGER 0 turns close() into an RST."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class Gate:
    """A listening socket on the origin's loopback address and one named thread per connection."""

    def __init__(
        self,
        name: str,
        host: str,
        backend: Address,
        rules: FaultRules,
        kernel: KernelView,
        log: ObservationLog,
        *,
        hello_timeout: float = 5.0,
        idle_timeout: float = 30.0,
        join_timeout: float = 5.0,
    ) -> None:
        self.name = name
        self.backend = backend
        self.rules = rules
        self._kernel = kernel
        self._log = log
        self._hello_timeout = hello_timeout
        self._idle_timeout = idle_timeout
        self._join_timeout = join_timeout
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self._listener.listen(128)
        self._listener.setblocking(False)
        self.address: Address = self._listener.getsockname()[:2]
        self._wake_read, self._wake_write = socket.socketpair()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._live: set[socket.socket] = set()
        self._workers: set[threading.Thread] = set()
        self._counter = itertools.count(1)
        self._acceptor = threading.Thread(
            target=self._accept_loop, name=f"gate-{name}-accept", daemon=True
        )

    def start(self) -> Gate:
        self._acceptor.start()
        return self

    def close(self) -> None:
        """Stop accepting, cut every live connection, join every thread (bounded)."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._wake_write.send(b"x")
        if self._acceptor.is_alive():
            self._acceptor.join(self._join_timeout)
        with self._lock:
            live, workers = list(self._live), list(self._workers)
        for sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + self._join_timeout
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        self._listener.close()
        self._wake_read.close()
        self._wake_write.close()
        stuck = [worker.name for worker in workers if worker.is_alive()]
        if self._acceptor.is_alive():
            stuck.append(self._acceptor.name)
        if stuck:
            raise RuntimeError(f"gate {self.name}: threads did not stop: {', '.join(stuck)}")

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self._wake_read:
                        return
                    try:
                        client, peer = self._listener.accept()
                    except (BlockingIOError, InterruptedError):
                        continue
                    client.setblocking(True)
                    self._spawn(client, peer[:2])

    def _spawn(self, client: socket.socket, peer: Address) -> None:
        worker = threading.Thread(
            target=self._handle,
            args=(client, peer),
            name=f"gate-{self.name}-conn-{next(self._counter)}",
            daemon=True,
        )
        with self._lock:
            self._live.add(client)
            self._workers.add(worker)
        worker.start()

    def _forget(self, *socks: socket.socket) -> None:
        with self._lock:
            for sock in socks:
                self._live.discard(sock)
            self._workers.discard(threading.current_thread())

    def _peek_first_record(self, client: socket.socket) -> bytes:
        """Wait (bounded) for the first bytes; for TLS, for the whole first record."""
        deadline = time.monotonic() + self._hello_timeout
        client.settimeout(self._hello_timeout)
        data = client.recv(MAX_HELLO, socket.MSG_PEEK)
        if looks_like_tls(data):
            while (needed := record_length(data)) is None or len(data) < min(needed, MAX_HELLO):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                client.settimeout(remaining)
                wanted = needed if needed is not None else 5
                more = client.recv(min(wanted, MAX_HELLO), socket.MSG_PEEK | socket.MSG_WAITALL)
                if len(more) <= len(data):
                    break
                data = more
        client.settimeout(None)
        return data

    def _handle(self, client: socket.socket, peer: Address) -> None:
        backend: socket.socket | None = None
        started = time.perf_counter()
        try:
            try:
                first = self._peek_first_record(client)
            except OSError:
                first = b""
            if not first:
                return
            tls = looks_like_tls(first)
            sni: str | None = None
            alpn: tuple[str, ...] = ()
            if tls:
                with contextlib.suppress(MalformedHello):
                    hello = parse_client_hello(first)
                    sni, alpn = hello.sni, hello.alpn
            try:
                keepalive = self._kernel.keepalive(peer, self.address)
            except LookupError:
                return  # the client went away before it could be observed
            facts = ConnectionFacts(tls=tls, sni=sni, alpn=alpn, keepalive=keepalive)
            action, rule = self.rules.decide(facts)
            self._log.append(
                Observation(
                    origin=self.name,
                    peer=peer,
                    listen=self.address,
                    tls=tls,
                    sni=sni,
                    alpn=alpn,
                    keepalive=keepalive,
                    action=action.value,
                    rule=rule,
                    decide_ms=(time.perf_counter() - started) * 1000,
                )
            )
            if action is Action.RESET:
                self._forget(client)
                reset(client)
                return
            backend = socket.create_connection(self.backend, timeout=self._hello_timeout)
            backend.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._live.add(backend)
            if self._stopping.is_set():
                return
            self._relay(client, backend)
        finally:
            self._forget(client, *([backend] if backend else []))
            client.close()
            if backend is not None:
                backend.close()

    def _relay(self, client: socket.socket, backend: socket.socket) -> None:
        """Copy bytes both ways until both directions end, either side fails, or it idles out."""
        client.settimeout(self._idle_timeout)
        backend.settimeout(self._idle_timeout)
        peers = {client: backend, backend: client}
        with selectors.DefaultSelector() as selector:
            for sock in peers:
                selector.register(sock, selectors.EVENT_READ)
            open_directions = 2
            while open_directions:
                events = selector.select(self._idle_timeout)
                if not events:
                    return
                for key, _ in events:
                    source = key.fileobj
                    assert isinstance(source, socket.socket)
                    target = peers[source]
                    try:
                        chunk = source.recv(RELAY_CHUNK)
                        if chunk:
                            target.sendall(chunk)
                            continue
                    except OSError:
                        return
                    selector.unregister(source)
                    open_directions -= 1
                    with contextlib.suppress(OSError):
                        target.shutdown(socket.SHUT_WR)
