"""The proposed fix for hermes-agent 12952: the Codex backend gets the SDK's default client.

Every other endpoint keeps the keepalive client (dead connections noticed in about a minute) with
the environment's proxy. The Codex backend is recognised by provider ``openai-codex`` or by a base
URL on chatgpt.com (https, default port) whose path starts with the segments ``backend-api/codex``.
Its client sends the identity headers the Codex edge admits (hermes-agent 12664): a first-party
``originator``, a User-Agent shaped like that client's, and for a ChatGPT OAuth bearer the
``ChatGPT-Account-ID`` its token names.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import openai

from harness.network.edge import bearer_account
from harness.targets.keepalive import ProxyRule, env_proxy_for, keepalive_client

CODEX_PROVIDER = "openai-codex"
CODEX_HOST = "chatgpt.com"
CODEX_PATH = ("backend-api", "codex")
CODEX_ORIGINATOR = "codex_cli_rs"


def codex_identity_headers(api_key: str) -> dict[str, str]:
    """What a fixed Codex client sends: the edge challenges requests without them."""
    headers = {
        "originator": CODEX_ORIGINATOR,
        "User-Agent": f"{CODEX_ORIGINATOR}/0.0.0 (transport-harness reference)",
    }
    account = bearer_account(f"Bearer {api_key}")
    if account is not None:
        headers["ChatGPT-Account-ID"] = account
    return headers


def is_codex_backend(provider: str, base_url: str) -> bool:
    if provider.strip().lower() == CODEX_PROVIDER:
        return True
    parts = urlsplit(base_url.strip())
    if parts.scheme.lower() != "https":
        return False
    if (parts.hostname or "").rstrip(".").lower() != CODEX_HOST:
        return False
    try:
        port = parts.port
    except ValueError:
        return False
    if port not in (None, 443):
        return False
    segments = tuple(segment for segment in parts.path.split("/") if segment)
    return segments[: len(CODEX_PATH)] == CODEX_PATH


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    return build(provider, base_url, api_key, async_client=async_client)


def build(
    provider: str,
    base_url: str,
    api_key: str,
    *,
    async_client: bool = False,
    proxy_for: ProxyRule = env_proxy_for,
) -> openai.OpenAI | openai.AsyncOpenAI:
    """The fix, with the proxy rule of the keepalive path as a parameter (the known-bad proxy
    factories differ from it only there)."""
    if is_codex_backend(provider, base_url):
        return codex_client(base_url, api_key, async_client=async_client)
    http_client = keepalive_client(base_url, async_client=async_client, proxy_for=proxy_for)
    if async_client:
        return openai.AsyncOpenAI(api_key=api_key, base_url=base_url, http_client=http_client)  # type: ignore[arg-type]
    return openai.OpenAI(api_key=api_key, base_url=base_url, http_client=http_client)  # type: ignore[arg-type]


def codex_client(
    base_url: str, api_key: str, *, async_client: bool, identity: bool = True
) -> openai.OpenAI | openai.AsyncOpenAI:
    """The SDK's default client for the Codex backend, with the identity headers unless
    ``identity`` is False (the known-bad factories that forget them)."""
    headers = codex_identity_headers(api_key) if identity else None
    if async_client:
        return openai.AsyncOpenAI(api_key=api_key, base_url=base_url, default_headers=headers)
    return openai.OpenAI(api_key=api_key, base_url=base_url, default_headers=headers)
