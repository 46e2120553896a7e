"""A proxy rule blind to the URL's scheme: ``HTTPS_PROXY`` for every URL, ``http://`` included.

What every Hermes release from 0.13 to 0.20.1 does: a plain-HTTP local server
(``http://localhost:11434``) is sent to the https proxy, and ``HTTP_PROXY`` is never read. The
Codex split and NO_PROXY are right, so only the plain-HTTP proxy cases can catch it.
"""

from __future__ import annotations

import urllib.request
from urllib.parse import urlsplit

import openai

from harness.targets.reference import build


def https_proxy_for_any_scheme(base_url: str) -> str | None:
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get("https") or proxies.get("all")
    host = urlsplit(base_url).hostname or ""
    if not proxy or urllib.request.proxy_bypass_environment(host, proxies):  # type: ignore[attr-defined]
        return None
    return proxy


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    return build(
        provider, base_url, api_key, async_client=async_client, proxy_for=https_proxy_for_any_scheme
    )
