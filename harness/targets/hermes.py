"""The installed hermes-agent, judged through its own client construction code, unmodified.

Sync clients come from ``AIAgent._create_openai_client``, the one path every primary Hermes client
goes through; only ``provider`` is set on a bare agent, which is all that path reads. Hermes's main
agent has no async client; its auxiliary tasks turn a sync client into an ``AsyncOpenAI`` with
``agent.auxiliary_client._to_async_client``, so async clients come from there.

The Codex backend is the exception: Hermes reaches it only through ``CodexAuxiliaryClient``, and
``_to_async_client`` turns that into ``AsyncCodexAuxiliaryClient``, which runs the *sync* client in
a worker thread. Hermes builds no ``AsyncOpenAI`` for Codex, so asking for one raises
:class:`NotBuiltByHermes` (a ``unittest.SkipTest``: pytest records the case as skipped, with the
reason) rather than judging a client Hermes never uses. The sync Codex cases judge that wire path.

Importing ``run_agent`` writes into ``HERMES_HOME``, so it points at a temporary directory made
once per process and removed at exit.
"""

from __future__ import annotations

import atexit
import importlib
import importlib.metadata
import os
import shutil
import tempfile
import unittest
from dataclasses import dataclass
from functools import cache
from typing import Any

import openai

from harness.environ import scoped_environ
from harness.errors import HarnessError
from harness.targets.reference import is_codex_backend

DISTRIBUTION = "hermes-agent"
REASON = "transport-harness"
#: Hermes ranks its own CA variable above SSL_CERT_FILE, which is where the harness's trust lives.
HERMES_CA_VARIABLES = ("HERMES_CA_BUNDLE",)

try:
    VERSION = importlib.metadata.version(DISTRIBUTION)
except importlib.metadata.PackageNotFoundError:
    raise ImportError(
        f"harness.targets.hermes judges the installed {DISTRIBUTION} package, which is not "
        f"installed: pip install {DISTRIBUTION}"
    ) from None


class HermesUnavailable(HarnessError, RuntimeError):
    """The installed release has no construction path for what was asked."""


class NotBuiltByHermes(unittest.SkipTest):
    """Hermes never builds this kind of client, so there is nothing of Hermes's to judge."""


@dataclass(frozen=True)
class _Hermes:
    agent_class: Any
    to_async: Any  # agent.auxiliary_client._to_async_client, or None where the release lacks it


@cache
def _hermes() -> _Hermes:
    """Import Hermes once, with ``HERMES_HOME`` in a directory of our own."""
    home = tempfile.mkdtemp(prefix="harness-hermes-home-")
    # Registered before Hermes registers its own exit handlers, so it runs after them.
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    os.environ["HERMES_HOME"] = home
    run_agent = importlib.import_module("run_agent")
    auxiliary = importlib.import_module("agent.auxiliary_client")
    return _Hermes(run_agent.AIAgent, getattr(auxiliary, "_to_async_client", None))


def async_unavailable_reason() -> str | None:
    """Why this release cannot build async clients at all, or None when it can."""
    if _hermes().to_async is None:
        return (
            f"{DISTRIBUTION} {VERSION} has no async construction path "
            "(agent.auxiliary_client._to_async_client is missing)"
        )
    return None


def _sync_client(provider: str, base_url: str, api_key: str) -> openai.OpenAI:
    hermes = _hermes()
    agent = hermes.agent_class.__new__(hermes.agent_class)
    agent.provider = provider
    with scoped_environ(unset=HERMES_CA_VARIABLES):
        client = agent._create_openai_client(
            {"api_key": api_key, "base_url": base_url}, reason=REASON, shared=False
        )
    if not isinstance(client, openai.OpenAI):
        client.close()
        raise HermesUnavailable(
            f"{DISTRIBUTION} {VERSION} built {type(client).__name__}, not openai.OpenAI, "
            f"for provider {provider!r} at {base_url}"
        )
    return client


def _async_client(provider: str, base_url: str, api_key: str) -> openai.AsyncOpenAI:
    if is_codex_backend(provider, base_url):
        raise NotBuiltByHermes(
            f"{DISTRIBUTION} {VERSION} builds no AsyncOpenAI for the Codex backend: its async "
            "Codex calls go through AsyncCodexAuxiliaryClient, which runs the sync client in a "
            "worker thread (judged by the sync cases)"
        )
    reason = async_unavailable_reason()
    if reason is not None:
        raise HermesUnavailable(reason)
    sync_client = _sync_client(provider, base_url, api_key)
    try:
        # It reads only api_key and base_url from the sync client and builds its own transport.
        with scoped_environ(unset=HERMES_CA_VARIABLES):
            client, _model = _hermes().to_async(sync_client, "harness-model")
    finally:
        sync_client.close()
    if not isinstance(client, openai.AsyncOpenAI):
        raise HermesUnavailable(
            f"{DISTRIBUTION} {VERSION} built {type(client).__name__}, not openai.AsyncOpenAI, "
            f"for provider {provider!r} at {base_url}"
        )
    return client


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    """Build the client the way the installed Hermes does; see the module notes for async."""
    if async_client:
        return _async_client(provider, base_url, api_key)
    return _sync_client(provider, base_url, api_key)
