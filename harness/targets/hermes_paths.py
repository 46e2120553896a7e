"""Which Hermes client a harness endpoint gets, per construction path (no Hermes import needed).

The factories in :mod:`harness.targets.hermes` and the verdicts in
:mod:`harness.targets.hermes_verdict` both route an endpoint through this one mapping, so the
prediction speaks about the same client the factory builds.

- ``agent``: ``AIAgent(base_url=..., api_key=..., provider=...)``, the main conversation client.
  Built for OpenRouter (provider ``openrouter`` or a base URL on openrouter.ai), it also starts a
  background fetch of openrouter.ai's model list, so those endpoints are a kind of their own.
- ``auxiliary``: ``agent.auxiliary_client.resolve_provider_client``. An auxiliary task configured
  with a base URL and a key resolves to the custom-endpoint client whatever provider it names;
  Codex users sign in with OAuth instead, and provider ``openai-codex`` gets the Codex OAuth
  client, aimed at Hermes's own Codex base URL.
"""

from __future__ import annotations

from enum import Enum
from urllib.parse import urlsplit


class Construction(str, Enum):
    AGENT = "agent"
    AUXILIARY = "auxiliary"


class Kind(str, Enum):
    """The Hermes client an endpoint maps to on a path."""

    EXPLICIT = "explicit"  # agent: explicit base URL and key, built directly
    OPENROUTER = "openrouter"  # agent: as EXPLICIT, plus the openrouter.ai model-list fetch
    CUSTOM = "custom"  # auxiliary: the custom-endpoint client for a configured base URL
    CODEX_OAUTH = "codex-oauth"  # auxiliary: the Codex OAuth client


CODEX_PROVIDER = "openai-codex"
#: Where the Codex OAuth client sends requests, whatever base URL the endpoint names
#: (``agent/auxiliary_client.py``: ``_CODEX_AUX_BASE_URL``, 0.13.0-0.20.1).
CODEX_OAUTH_BASE_URL = "https://chatgpt.com/backend-api/codex"
OPENROUTER_PROVIDER = "openrouter"
OPENROUTER_HOST = "openrouter.ai"


def _provider(provider: str) -> str:
    return provider.strip().lower()


def _on_host(base_url: str, domain: str) -> bool:
    host = (urlsplit(base_url.strip()).hostname or "").rstrip(".").lower()
    return host == domain or host.endswith("." + domain)


def client_base_url(kind: Kind, base_url: str) -> str:
    """The base URL the Hermes client of ``kind`` really sends to for an endpoint's."""
    return CODEX_OAUTH_BASE_URL if kind is Kind.CODEX_OAUTH else base_url


def client_kind(path: Construction, provider: str, base_url: str) -> Kind:
    """The Hermes client ``path`` builds for this endpoint."""
    if path is Construction.AGENT:
        if _provider(provider) == OPENROUTER_PROVIDER or _on_host(base_url, OPENROUTER_HOST):
            return Kind.OPENROUTER
        return Kind.EXPLICIT
    if _provider(provider) == CODEX_PROVIDER:
        return Kind.CODEX_OAUTH
    return Kind.CUSTOM
