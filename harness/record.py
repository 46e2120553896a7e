"""Record a live endpoint's behaviour per transport variant into a fixture.

Each variant (``default``, ``keepalive``, ``proxy``) sends the same request once. Credentials come
from the environment only (``HARNESS_RECORD_BEARER``, else ``OPENAI_API_KEY``), never from the
command line, and everything written is redacted. The fault rule is inferred from which variants
got through: keepalive reset while default served → ``reset when keepalive``; only the proxy
served → ``reset when direct``.
"""

from __future__ import annotations

import datetime
import os
import platform
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from harness import __version__
from harness.redact import REDACTED, redact_headers, redact_json, redact_text
from harness.scenario import failure_cause
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


def _credentials() -> dict[str, str]:
    for name in CREDENTIAL_VARIABLES:
        if os.environ.get(name):
            return {"Authorization": f"Bearer {os.environ[name]}"}
    return {}


def probe(url: str, variant: str, *, method: str, payload: Any, proxy: str | None) -> Probe:
    headers = {"User-Agent": f"transport-harness/{__version__} (record)", **_credentials()}
    with variant_client(variant, proxy=proxy) as client:
        try:
            response = client.request(method, url, headers=headers, json=payload)
        except httpx.HTTPError as exc:
            return Probe(variant, None, {}, None, False, failure_cause(exc), redact_text(repr(exc)))
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
) -> dict[str, Any]:
    """Probe ``url`` once per variant and return the fixture (a JSON-ready dict)."""
    parts = urlsplit(url)
    probes = {
        variant: probe(url, variant, method=method, payload=payload, proxy=proxy)
        for variant in variants
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
            outcomes[variant] = {"errno": result.cause}
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
                "headers": redact_headers({"Authorization": REDACTED} if _credentials() else {}),
                "json": redact_json(payload) if payload is not None else {},
            },
            "outcomes": outcomes,
        },
    }
