"""The keepalive client both shipped factories build: TCP keepalive plus the env proxy.

``httpx.Client(transport=...)`` ignores proxy variables (httpx reads them only when no transport is
given), so the proxy that urllib.request's environment rules pick, NO_PROXY included, is passed in
explicitly.
"""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

KEEPALIVE_IDLE_SECONDS = 30
KEEPALIVE_INTERVAL_SECONDS = 10
KEEPALIVE_PROBES = 3

SocketOption = tuple[int, int, int]


def keepalive_socket_options() -> list[SocketOption]:
    """SO_KEEPALIVE plus idle/interval/count where the platform names them."""
    options: list[SocketOption] = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    idle = getattr(socket, "TCP_KEEPIDLE", None) or getattr(socket, "TCP_KEEPALIVE", None)
    for name, value in (
        (idle, KEEPALIVE_IDLE_SECONDS),
        (getattr(socket, "TCP_KEEPINTVL", None), KEEPALIVE_INTERVAL_SECONDS),
        (getattr(socket, "TCP_KEEPCNT", None), KEEPALIVE_PROBES),
    ):
        if name is not None:
            options.append((socket.IPPROTO_TCP, name, value))
    return options


def env_proxy_for(base_url: str) -> str | None:
    """The proxy the environment names for ``base_url``, or None if NO_PROXY exempts its host."""
    parts = urlsplit(base_url)
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(parts.scheme.lower()) or proxies.get("all")
    if not proxy:
        return None
    if urllib.request.proxy_bypass_environment(parts.hostname or "", proxies):  # type: ignore[attr-defined]
        return None
    return proxy


#: Which proxy a URL gets; the known-bad factories swap in a wrong rule.
ProxyRule = Callable[[str], "str | None"]


def keepalive_client(
    base_url: str, *, async_client: bool, proxy_for: ProxyRule = env_proxy_for
) -> httpx.Client | httpx.AsyncClient:
    options = keepalive_socket_options()
    proxy = proxy_for(base_url)
    if async_client:
        return httpx.AsyncClient(
            transport=httpx.AsyncHTTPTransport(socket_options=options, proxy=proxy)
        )
    return httpx.Client(transport=httpx.HTTPTransport(socket_options=options, proxy=proxy))
