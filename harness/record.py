"""Record a live endpoint's behaviour per transport variant into a fixture.

Each variant (``default``, ``keepalive``, ``proxy``) sends the same request once. Credentials come
from the environment only (``HARNESS_RECORD_BEARER``, else ``OPENAI_API_KEY``), never from the
command line, and everything written is redacted. Recording without them must be asked for
(``anonymous``): an unauthenticated probe of an API records a 401, not the endpoint's behaviour.
A URL that is not http(s) with a host is refused before anything is sent. A failure is recorded
with its cause and the client's own message; a resolver failure by its ``EAI_*`` name, because an
errno-only classification would call it ``PROTOCOL``. The fault rule is inferred from which
variants got through: keepalive reset while default served → ``reset when keepalive``; only the
proxy served → ``reset when direct``.
"""

from __future__ import annotations

import datetime
import importlib
import os
import platform
import re
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

import httpx

from harness import __version__
from harness.errors import UsageInputError
from harness.fixtures import NAME_PATTERN, hostname_problem
from harness.redact import REDACTED, redact_headers, redact_json, redact_text
from harness.sandbox.outcomes import failure_cause
from harness.variants import variant_client

CREDENTIAL_VARIABLES = ("HARNESS_RECORD_BEARER", "OPENAI_API_KEY")
KEPT_RESPONSE_HEADERS = ("content-type", "retry-after")
BODY_LIMIT = 4096


@dataclass(frozen=True)
class Probe:
    variant: str
    status: int | None
    headers: dict[str, str]
    body: Any
    is_json: bool
    cause: str | None
    error: str | None


def credentials(*, anonymous: bool) -> dict[str, str]:
    """The Authorization header from the environment; refuse to go on without one unless
    ``anonymous`` (then none is sent, even if set)."""
    if anonymous:
        return {}
    for name in CREDENTIAL_VARIABLES:
        if os.environ.get(name):
            return {"Authorization": f"Bearer {os.environ[name]}"}
    raise UsageInputError(
        f"record: no credentials: set {' or '.join(CREDENTIAL_VARIABLES)}, "
        "or pass --anonymous to record without any"
    )


#: An HTTP method is a token (RFC 9110, section 5.6.2): no spaces, no separators.
METHOD_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def _split(url: str, shown: str, schemes: tuple[str, ...]) -> SplitResult:
    """``url`` split, if it is one of ``schemes`` with a usable host name and no whitespace."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in schemes:
        *others, last = (f"{scheme}://" for scheme in schemes)
        names = f"{', '.join(others)} or {last}" if others else last
        raise UsageInputError(f"record: {shown} is not an {names} URL")
    if any(char.isspace() or not char.isprintable() for char in url):
        raise UsageInputError(f"record: {shown} holds whitespace or a control character")
    try:
        host, _ = parts.hostname, parts.port
    except ValueError as exc:  # a port out of range or not a number
        raise UsageInputError(f"record: {shown}: {exc}") from None
    if not host:
        raise UsageInputError(f"record: {shown} has no host")
    problem = hostname_problem(host)
    if problem is not None:
        raise UsageInputError(f"record: {shown}: {host!r} is not a host name: {problem}")
    return parts


def checked_url(url: str) -> SplitResult:
    """``url`` split, if it is http(s) with a host name, no whitespace and no credentials; else
    a usage error."""
    parts = _split(url, repr(redact_text(url)), ("http", "https"))
    if parts.username is not None or parts.password is not None:
        raise UsageInputError(
            f"record: {parts.scheme}://...@{parts.hostname}: credentials come from "
            f"{' or '.join(CREDENTIAL_VARIABLES)}, never from the URL"
        )
    return parts


def checked_proxy(proxy: str, url: SplitResult) -> str:
    """The proxy variant's proxy URL, if there is one and it is a proxy URL httpx takes (its
    credentials, if any, are the proxy's own); the hint names what applies to ``url``."""
    if not proxy:
        raise UsageInputError(
            f"record: variant 'proxy' needs a proxy URL: --proxy, {url.scheme.upper()}_PROXY or "
            f"ALL_PROXY (the variables for {url.scheme}:// URLs), unless NO_PROXY exempts the host"
        )
    parts = _split(proxy, f"proxy {redact_text(proxy)!r}", PROXY_SCHEMES)
    if parts.scheme.lower().startswith("socks") and not _socksio_importable():
        raise UsageInputError(
            f"record: proxy {redact_text(proxy)!r}: httpx needs the socksio package for SOCKS "
            "proxies: pip install 'httpx[socks]'"
        )
    return proxy


def _socksio_importable() -> bool:
    """Whether httpx's SOCKS support loads: the import itself, as httpx tries it (a package that
    is present but cannot be imported counts as missing)."""
    try:
        importlib.import_module("socksio")
    except ImportError:
        return False
    return True


def failure(exc: BaseException) -> tuple[str, str]:
    """The cause of a failed request (as the scenarios classify it: a resolver failure by its
    EAI_* name) and the client's message, redacted."""
    return failure_cause(exc), redact_text(repr(exc))


def probe(
    client: httpx.Client,
    variant: str,
    url: str,
    *,
    method: str,
    payload: Any,
    headers: dict[str, str],
) -> Probe:
    try:
        response = client.request(method, url, headers=headers, json=payload)
    except httpx.HTTPError as exc:
        cause, error = failure(exc)
        return Probe(variant, None, {}, None, False, cause, error)
    kept = {k: v for k, v in response.headers.items() if k.lower() in KEPT_RESPONSE_HEADERS}
    try:
        body: Any = redact_json(response.json())
        is_json = True
    except ValueError:
        body, is_json = redact_text(response.text[:BODY_LIMIT]), False
    return Probe(variant, response.status_code, kept, body, is_json, None, None)


def infer_faults(probes: dict[str, Probe]) -> list[dict[str, Any]]:
    served = {name for name, p in probes.items() if p.status is not None}
    reset = {name for name, p in probes.items() if p.cause == "ECONNRESET"}
    if "keepalive" in reset and "default" in served:
        return [{"when": "keepalive", "action": "reset"}]
    if "proxy" in served and reset & {"default", "keepalive"}:
        return [{"when": {"all": ["direct", "tls"]}, "action": "reset"}]
    if reset and not served:
        return [{"when": "always", "action": "reset"}]
    return []


def fixture_name(url: str) -> str:
    host = (urlsplit(url).hostname or "origin").lower()
    return "recorded-" + re.sub(r"[^a-z0-9]+", "-", host).strip("-")


def record(
    url: str,
    variants: list[str],
    *,
    method: str = "GET",
    payload: Any = None,
    proxy: str | None = None,
    name: str | None = None,
    anonymous: bool = False,
) -> dict[str, Any]:
    """Probe ``url`` once per variant and return the fixture (a JSON-ready dict).

    Everything that can be refused is refused before the first request: the URL, the name, the
    credentials and every variant's client.
    """
    parts = checked_url(url)
    if not METHOD_TOKEN.fullmatch(method):
        raise UsageInputError(f"record: method {method!r} is not an HTTP method token")
    if "proxy" in variants:
        proxy = checked_proxy(proxy or "", parts)
    if name is not None and not NAME_PATTERN.fullmatch(name):
        raise UsageInputError(
            f"record: fixture name {name!r}: use lowercase letters, digits and dashes"
        )
    auth = credentials(anonymous=anonymous)
    headers = {"User-Agent": f"transport-harness/{__version__} (record)", **auth}
    with ExitStack() as stack:
        clients = {v: stack.enter_context(variant_client(v, proxy=proxy)) for v in variants}
        probes = {
            variant: probe(client, variant, url, method=method, payload=payload, headers=headers)
            for variant, client in clients.items()
        }
    replies = []
    first_served = next((p for p in probes.values() if p.status is not None), None)
    if first_served is not None:
        reply: dict[str, Any] = {
            "method": method.upper(),
            "path": parts.path or "/",
            "status": first_served.status,
            "headers": first_served.headers,
        }
        reply["json" if first_served.is_json else "text"] = first_served.body
        replies.append(reply)
    outcomes: dict[str, Any] = {}
    for variant, result in probes.items():
        if result.status is not None:
            outcomes[variant] = {"status": result.status, "body": result.body}
        else:
            outcomes[variant] = {"errno": result.cause, "error": result.error}
    scheme = parts.scheme.lower()
    return {
        "schema": 1,
        "name": name or fixture_name(url),
        "description": f"Recorded from {redact_text(url)} with variants {', '.join(variants)}.",
        "provenance": {
            "source": redact_text(url),
            "date": datetime.date.today().isoformat(),
            "recorded_by": "python -m harness record",
            "versions": {
                "python": platform.python_version(),
                "httpx": httpx.__version__,
                "transport-harness": __version__,
            },
        },
        "origin": {
            "scheme": scheme,
            "hosts": [(parts.hostname or "").lower()],
            "port": parts.port or (443 if scheme == "https" else 80),
        },
        "faults": infer_faults(probes),
        "replies": replies,
        "report": {
            "request": {
                "url": redact_text(url),
                "method": method.upper(),
                "headers": redact_headers({"Authorization": REDACTED} if auth else {}),
                "json": redact_json(payload) if payload is not None else {},
            },
            "outcomes": outcomes,
        },
    }
