"""A proxy rule that ignores ``NO_PROXY``: the scheme's proxy for every host.

The Codex split is right and the SDK's default client (Codex) honours NO_PROXY by itself, so only
the non-Codex NO_PROXY cases can catch it.
"""

from __future__ import annotations

import urllib.request
from urllib.parse import urlsplit

import openai

from harness.targets.reference import build


def proxy_ignoring_no_proxy(base_url: str) -> str | None:
    proxies = urllib.request.getproxies_environment()
    return proxies.get(urlsplit(base_url).scheme.lower()) or proxies.get("all")


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    return build(
        provider, base_url, api_key, async_client=async_client, proxy_for=proxy_ignoring_no_proxy
    )
