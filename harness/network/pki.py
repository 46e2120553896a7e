"""The session's certificate authority: leaf certificates for routed names and a trust bundle.

Unmodified clients are made to trust it through ``SSL_CERT_FILE`` (measured to work for the
default clients and custom transports of httpx 0.27, 0.28 and httpx2); patching certifi does not.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import trustme

from harness.environ import CA_VARIABLES, scoped_environ


class Authority:
    """A trustme CA whose bundle lives in ``directory`` for as long as the authority is used."""

    def __init__(self, directory: Path) -> None:
        self._ca = trustme.CA(organization_name="transport-harness")
        self.bundle = directory / "harness-ca.pem"
        self._ca.cert_pem.write_to_path(str(self.bundle))

    def server_context(self, hostnames: list[str]) -> ssl.SSLContext:
        """A server context presenting one leaf that names every host in ``hostnames``.

        Only HTTP/1.1 is offered in ALPN: advertising h2 without serving it breaks
        ``http2=True`` clients in a way the real backends do not.
        """
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert(*hostnames).configure_cert(context)
        context.set_alpn_protocols(["http/1.1"])
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts only this authority."""
        context = ssl.create_default_context()
        self._ca.configure_trust(context)
        return context

    def environ(self) -> dict[str, str]:
        """What a scenario's process gets to trust this authority (its CA variables are
        otherwise all cleared)."""
        return {"SSL_CERT_FILE": str(self.bundle)}

    @contextmanager
    def trusted(self) -> Iterator[None]:
        """Make clients built inside the block trust this authority, and only it."""
        with scoped_environ({"SSL_CERT_FILE": str(self.bundle)}, unset=CA_VARIABLES):
            yield
