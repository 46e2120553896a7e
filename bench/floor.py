"""The floor for the overhead figures: a bare TLS server on loopback, nothing of the harness.

No gate, no routing, no proxy, no pytest-httpserver: one thread that accepts a connection and
either resets it once the ClientHello has arrived (what the Codex backend does to a keepalive
socket) or completes the handshake and answers one request with h11. The same factory and call
are timed against it and through the harness; the difference is what the harness itself costs.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import ssl
import struct
import threading
from types import TracebackType

import h11

#: Every socket operation of the floor server waits at most this long.
TIMEOUT = 5.0
MAX_READ = 65536


class FloorServer:
    """One listening socket on 127.0.0.1 and one thread handling a connection at a time.

    ``context`` None: reset every connection as soon as its first bytes (the ClientHello) are in.
    Otherwise: serve every request with ``body`` (JSON, 200) over TLS.
    """

    def __init__(self, context: ssl.SSLContext | None, body: bytes = b"{}") -> None:
        self._context = context
        self._body = body
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.setblocking(False)
        self.address: tuple[str, int] = self._listener.getsockname()[:2]
        self._wake_read, self._wake_write = socket.socketpair()
        self._thread = threading.Thread(target=self._loop, name="bench-floor", daemon=True)
        self.served = 0

    def __enter__(self) -> FloorServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._wake_write.send(b"x")
        self._thread.join(TIMEOUT)
        self._listener.close()
        self._wake_read.close()
        self._wake_write.close()
        if self._thread.is_alive():
            raise RuntimeError("bench floor server did not stop")

    def _loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fileobj is self._wake_read:
                        return
                    try:
                        client, _peer = self._listener.accept()
                    except BlockingIOError:
                        continue
                    client.setblocking(True)
                    client.settimeout(TIMEOUT)
                    with contextlib.suppress(OSError, h11.ProtocolError):
                        self._handle(client)

    def _handle(self, client: socket.socket) -> None:
        if self._context is None:
            try:
                client.recv(1, socket.MSG_PEEK)
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            finally:
                client.close()
            self.served += 1
            return
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._context.wrap_socket(client, server_side=True) as tls:
            self._serve(tls)

    def _serve(self, tls: ssl.SSLSocket) -> None:
        connection = h11.Connection(h11.SERVER)
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                connection.receive_data(tls.recv(MAX_READ))
            elif isinstance(event, h11.Request):
                headers = [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(self._body)).encode()),
                ]
                response = h11.Response(status_code=200, headers=headers)
                tls.sendall(
                    (connection.send(response) or b"")
                    + (connection.send(h11.Data(data=self._body)) or b"")
                    + (connection.send(h11.EndOfMessage()) or b"")
                )
                self.served += 1
            elif isinstance(event, h11.Data):
                continue  # a request body: not needed to answer
            elif isinstance(event, h11.EndOfMessage) and connection.our_state is h11.DONE:
                connection.start_next_cycle()
            else:  # the client closed (ConnectionClosed) or broke the exchange
                return
