"""A keepalive transport that drops a SOCKS proxy (hermes-agent 6553, 6904): the reference fix,
except that its proxy rule keeps only ``http://`` and ``https://`` proxy URLs, so under
``ALL_PROXY=socks5://...`` the non-Codex clients connect directly. The Codex client (the SDK's
default) reads the variable itself and goes through the proxy.
"""

from __future__ import annotations

import openai

from harness.targets.keepalive import env_proxy_for
from harness.targets.reference import build


def http_proxy_only(base_url: str) -> str | None:
    proxy = env_proxy_for(base_url)
    if proxy is None or not proxy.lower().startswith(("http://", "https://")):
        return None
    return proxy


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    return build(provider, base_url, api_key, async_client=async_client, proxy_for=http_proxy_only)
