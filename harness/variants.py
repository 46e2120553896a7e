"""The transport variants a report compares, as plain httpx clients.

``default`` is httpx as the SDK builds it (env proxies and trust honoured); ``keepalive`` (the
report called it ``custom``) is a transport with SO_KEEPALIVE, which also means env proxies are
ignored; ``proxy`` sends everything through an explicit proxy; ``own-ssl`` has an SSL context of
its own (TLS 1.2 at most, ECDHE+AESGCM), so its ClientHello is not the SDK default client's.
Record and repro build the same clients, so a recorded fixture replays like for like.
"""

from __future__ import annotations

import os
import socket
import ssl

import httpx

from harness.errors import HarnessError

VARIANTS = ("default", "keepalive", "custom", "proxy", "own-ssl")
#: What each variant's client is, in the words reports print (a fixture keeps the short names).
LABELS = {
    "default": "default transport",
    "keepalive": "keepalive transport",
    "custom": "keepalive transport",
    "proxy": "explicit proxy",
    "own-ssl": "own SSL context (TLS 1.2 at most)",
    # replayed by harness.repro alone: the report's request through openai's responses.stream()
    "sdk-stream-helper": "SDK stream helper",
}
TIMEOUT = 20.0


class VariantError(HarnessError, ValueError):
    """A variant that cannot be built as asked."""


def label(variant: str) -> str:
    """``keepalive transport`` for ``custom``: what the client is, not what the report named it."""
    return LABELS.get(variant, variant)


def own_ssl_context() -> ssl.SSLContext:
    """An SSL context a client built for itself: the same CA bundle the SDK's client trusts
    (``SSL_CERT_FILE``), but TLS 1.2 at most and a narrower cipher list, so its ClientHello, and
    the JA4 an edge fingerprints, differ from the SDK default client's."""
    context = ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE"))
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("ECDHE+AESGCM")
    return context


def variant_client(
    variant: str, *, proxy: str | None = None, timeout: float = TIMEOUT
) -> httpx.Client:
    if variant == "default":
        return httpx.Client(timeout=timeout)
    if variant in ("keepalive", "custom"):
        options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
        return httpx.Client(timeout=timeout, transport=httpx.HTTPTransport(socket_options=options))
    if variant == "proxy":
        if not proxy:
            raise VariantError("variant 'proxy' needs a proxy URL")
        return httpx.Client(timeout=timeout, proxy=proxy)  # an explicit proxy overrides env ones
    if variant == "own-ssl":
        return httpx.Client(timeout=timeout, verify=own_ssl_context())
    raise VariantError(f"unknown variant {variant!r} (known: {', '.join(VARIANTS)})")
