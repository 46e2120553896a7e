"""Scoped changes to ``os.environ`` that are always undone.

Clients read trust and proxy settings from the environment when they are built, so the harness
sets them around client construction and puts every variable back exactly as it found it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

#: Variables that point TLS clients at a CA other than the one the harness issues.
CA_VARIABLES = (
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "HTTPX_SSL_CERT_FILE",
)

#: Proxy variables in every spelling urllib.request and httpx honour.
PROXY_VARIABLES = tuple(
    spelling
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    for spelling in (name, name.upper())
)


#: Variables a CGI server sets; urllib.request ignores HTTP_PROXY while REQUEST_METHOD is set
#: (httpoxy), so one left in a shell or set by a factory changes which proxy a client picks.
CGI_VARIABLES = (
    "REQUEST_METHOD",
    "GATEWAY_INTERFACE",
    "SERVER_SOFTWARE",
    "SERVER_PROTOCOL",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "REMOTE_ADDR",
)
_CA_NAMES = frozenset(name.upper() for name in CA_VARIABLES)
_CGI_NAMES = frozenset(CGI_VARIABLES)


def is_network_setting(name: str) -> bool:
    """A proxy, CA or CGI variable, in any letter case (``Https_Proxy`` included: urllib and
    httpx read every ``*_proxy`` spelling)."""
    upper = name.upper()
    return upper.endswith("_PROXY") or upper in _CA_NAMES or upper in _CGI_NAMES


def clean_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without any proxy, CA or CGI variable: what a scenario starts from."""
    return {name: value for name, value in environ.items() if not is_network_setting(name)}


@contextmanager
def scoped_environ(
    set_vars: Mapping[str, str] | None = None, unset: Iterable[str] = ()
) -> Iterator[None]:
    """Set and delete environment variables for the duration of the block, then restore them."""
    set_vars = dict(set_vars or {})
    names = set(set_vars) | set(unset)
    saved = {name: os.environ.get(name) for name in names}
    try:
        for name in unset:
            os.environ.pop(name, None)
        os.environ.update(set_vars)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
