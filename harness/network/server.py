"""A bounded accept loop with one named, tracked, joined thread per connection.

Both the gate and the CONNECT proxy are built on it, so both stop the same way: closing the
listener wakes the loop, live sockets are shut down, every thread is joined within a bound.
"""

from __future__ import annotations

import contextlib
import itertools
import selectors
import socket
import struct
import threading
import time
from collections.abc import Iterator

from harness.network.address import Address

RELAY_CHUNK = 65536


def reset(sock: socket.socket) -> None:
    """Abort the connection: SO_LINGER 0 turns close() into an RST."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def relay(
    left: socket.socket,
    right: socket.socket,
    idle_timeout: float,
    *,
    reset_left_after: int | None = None,
) -> None:
    """Copy bytes both ways until both directions end, either side fails, or it idles out.

    With ``reset_left_after``, ``left`` is reset once that many bytes have been delivered to it.
    """
    delivered = 0
    left.settimeout(idle_timeout)
    right.settimeout(idle_timeout)
    peers = {left: right, right: left}
    with selectors.DefaultSelector() as selector:
        for sock in peers:
            selector.register(sock, selectors.EVENT_READ)
        open_directions = 2
        while open_directions:
            events = selector.select(idle_timeout)
            if not events:
                return
            for key, _ in events:
                source = key.fileobj
                assert isinstance(source, socket.socket)
                target = peers[source]
                try:
                    chunk = source.recv(RELAY_CHUNK)
                    if chunk and target is left and reset_left_after is not None:
                        allowed = reset_left_after - delivered
                        if len(chunk) >= allowed:
                            left.sendall(chunk[:allowed])
                            reset(left)
                            return
                        delivered += len(chunk)
                    if chunk:
                        target.sendall(chunk)
                        continue
                except OSError:
                    return
                selector.unregister(source)
                open_directions -= 1
                with contextlib.suppress(OSError):
                    target.shutdown(socket.SHUT_WR)


class ConnectionServer:
    """Accepts on ``host:0`` and hands each connection to :meth:`handle` in its own thread."""

    def __init__(self, name: str, host: str, *, join_timeout: float = 5.0) -> None:
        self.name = name
        self._join_timeout = join_timeout
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self._listener.listen(128)
        self._listener.setblocking(False)
        self.address: Address = self._listener.getsockname()[:2]
        self._wake_read, self._wake_write = socket.socketpair()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._live: set[socket.socket] = set()
        self._workers: set[threading.Thread] = set()
        self._counter = itertools.count(1)
        self._acceptor = threading.Thread(
            target=self._accept_loop, name=f"{name}-accept", daemon=True
        )

    def handle(self, client: socket.socket, peer: Address) -> None:
        raise NotImplementedError

    def start(self) -> ConnectionServer:
        self._acceptor.start()
        return self

    def track(self, sock: socket.socket) -> None:
        """Have :meth:`close` shut ``sock`` down (so a blocked worker wakes up)."""
        with self._lock:
            self._live.add(sock)

    @contextlib.contextmanager
    def tracked(self, sock: socket.socket) -> Iterator[bool]:
        """Track ``sock`` for the block; yields False if the server is already stopping."""
        self.track(sock)
        try:
            yield not self.stopping.is_set()
        finally:
            self.forget(sock)

    def close(self) -> None:
        """Stop accepting, cut every live connection, join every thread (bounded)."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        with contextlib.suppress(OSError):
            self._wake_write.send(b"x")
        if self._acceptor.is_alive():
            self._acceptor.join(self._join_timeout)
        with self._lock:
            live, workers = list(self._live), list(self._workers)
        for sock in live:
            with contextlib.suppress(OSError):
                # The plain socket's shutdown, also for a TLS socket: ssl.SSLSocket.shutdown
                # drops its SSL object under a worker that may be reading through it.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
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
            raise RuntimeError(f"{self.name}: threads did not stop: {', '.join(stuck)}")

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            try:
                selector.register(self._listener, selectors.EVENT_READ)
                selector.register(self._wake_read, selectors.EVENT_READ)
            except (OSError, ValueError):
                # closed before this thread got going (a signal interrupted start(), so close()
                # could not wait for it): there is nothing to accept
                return
            while not self.stopping.is_set():
                try:
                    events = selector.select()
                except (OSError, ValueError):
                    return  # the sockets were closed under it, as above
                for key, _ in events:
                    if key.fileobj is self._wake_read:
                        return
                    try:
                        client, peer = self._listener.accept()
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        return
                    client.setblocking(True)
                    self._spawn(client, peer[:2])

    def _spawn(self, client: socket.socket, peer: Address) -> None:
        worker = threading.Thread(
            target=self._run,
            args=(client, peer),
            name=f"{self.name}-conn-{next(self._counter)}",
            daemon=True,
        )
        with self._lock:
            self._live.add(client)
            self._workers.add(worker)
        worker.start()

    def _run(self, client: socket.socket, peer: Address) -> None:
        try:
            self.handle(client, peer)
        finally:
            with self._lock:
                self._live.discard(client)
                self._workers.discard(threading.current_thread())
            client.close()

    def forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._live.discard(sock)
