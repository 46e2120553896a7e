"""Which route a URL should take under the proxy variables: the oracle the verdicts judge by.

Written from the documented convention (curl's and Python's documentation of ``*_proxy`` and
``no_proxy``), not from the code any factory uses, so the reference fix cannot agree with the
checker by construction. ``tests/test_proxy_rules.py`` checks it against ``urllib.request`` over
every scenario of the matrix and pins where the libraries disagree with it.

The rules:

1. Variable names are case-insensitive; where both spellings of one variable are set, the
   lowercase one wins.
2. An ``http`` URL uses ``http_proxy``, an ``https`` URL ``https_proxy``; either falls back to
   ``all_proxy``. A scheme's variable never applies to another scheme.
3. ``no_proxy`` is a comma-separated list, entries trimmed and compared case-insensitively. An
   entry ``*`` on its own exempts every host. Otherwise an entry exempts a host equal to it or
   ending in ``.`` + the entry (a leading dot on the entry is ignored). Entries name hosts only:
   ``host:port`` exempts nothing (neither urllib.request nor httpx reads a port there;
   tests/test_findings.py pins it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Route:
    """``proxy`` is the proxy URL the request must go through, or None for a direct connection;
    ``because`` says which variable decided it, for messages."""

    proxy: str | None
    because: str

    @property
    def via_proxy(self) -> bool:
        return self.proxy is not None


def _variable(environ: Mapping[str, str], name: str) -> str | None:
    """Rule 1: lowercase first, then uppercase; an empty value counts as unset."""
    for spelling in (name.lower(), name.upper()):
        value = environ.get(spelling)
        if value:
            return value
    return None


def _exempt(no_proxy: str, host: str) -> str | None:
    """Rule 3: the entry that exempts ``host``, if any."""
    entries = [entry.strip().lower() for entry in no_proxy.split(",") if entry.strip()]
    if entries == ["*"]:
        return "*"
    for entry in entries:
        name = entry.lstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return entry
    return None


def expected_route(url: str, environ: Mapping[str, str]) -> Route:
    """Where a request to ``url`` must go, given the client's environment."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    proxy = _variable(environ, f"{scheme}_proxy")
    because = f"{scheme}_proxy"
    if proxy is None:
        proxy, because = _variable(environ, "all_proxy"), "all_proxy"
    if proxy is None:
        return Route(None, f"no {scheme}_proxy or all_proxy")
    exemption = _exempt(_variable(environ, "no_proxy") or "", host)
    if exemption is not None:
        return Route(None, f"no_proxy entry {exemption!r} exempts {host}")
    return Route(proxy, because)
