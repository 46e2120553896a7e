"""The transport variants a report compares, as plain httpx clients.

``default`` is httpx as the SDK builds it (env proxies and trust honoured); ``keepalive`` (the
report called it ``custom``) is a transport with SO_KEEPALIVE, which also means env proxies are
ignored; ``proxy`` sends everything through an explicit proxy. Record and repro build the same
clients, so a recorded fixture replays like for like.
"""

from __future__ import annotations

import socket

import httpx

from harness.errors import HarnessError

VARIANTS = ("default", "keepalive", "custom", "proxy")
#: What each variant's client is, in the words reports print (a fixture keeps the short names).
LABELS = {
    "default": "default transport",
    "keepalive": "keepalive transport",
    "custom": "keepalive transport",
    "proxy": "explicit proxy",
    # replayed by harness.repro alone: the report's request through openai's responses.stream()
    "sdk-stream-helper": "SDK stream helper",
}
TIMEOUT = 20.0


class VariantError(HarnessError, ValueError):
    """A variant that cannot be built as asked."""


def label(variant: str) -> str:
    """``keepalive transport`` for ``custom``: what the client is, not what the report named it."""
    return LABELS.get(variant, variant)


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
    raise VariantError(f"unknown variant {variant!r} (known: {', '.join(VARIANTS)})")
