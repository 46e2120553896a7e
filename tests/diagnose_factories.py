"""Small bad client factories for tests/test_diagnose.py, each producing one cause on the wire.

They run in the sandbox's processes, which import them by name (``diagnose_factories:NAME``;
tests/ is on the judge's sys.path, which the workers receive), so each is a module-level function.
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Sequence

import certifi
import httpx
import openai

import harness
from harness.targets import reference
from harness.targets.keepalive import env_proxy_for

Client = openai.OpenAI | openai.AsyncOpenAI
SocketOption = tuple[int, int, int]
SO_KEEPALIVE = (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
KEEPIDLE_60 = (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 60)


def untrusting(provider: str, base_url: str, api_key: str, *, async_client: bool = False) -> Client:
    """The reference, except that the Codex client trusts certifi's bundle, not SSL_CERT_FILE."""
    if not reference.is_codex_backend(provider, base_url):
        return reference.factory(provider, base_url, api_key, async_client=async_client)
    if async_client:
        client = httpx.AsyncClient(verify=ssl.create_default_context(cafile=certifi.where()))
        return openai.AsyncOpenAI(api_key=api_key, base_url=base_url, http_client=client)
    sync = httpx.Client(verify=ssl.create_default_context(cafile=certifi.where()))
    return openai.OpenAI(api_key=api_key, base_url=base_url, http_client=sync)


def _with_socket_options(
    options: Sequence[SocketOption], provider: str, base_url: str, api_key: str, async_client: bool
) -> Client:
    """The reference's split, but non-Codex clients set exactly ``options`` (none: the SDK's
    default client, which honours proxy variables itself)."""
    sdk = openai.AsyncOpenAI if async_client else openai.OpenAI
    if reference.is_codex_backend(provider, base_url) or not options:
        return sdk(api_key=api_key, base_url=base_url)
    proxy = env_proxy_for(base_url)
    if async_client:
        transport = httpx.AsyncHTTPTransport(socket_options=list(options), proxy=proxy)
        return openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, http_client=httpx.AsyncClient(transport=transport)
        )
    sync = httpx.HTTPTransport(socket_options=list(options), proxy=proxy)
    return openai.OpenAI(
        api_key=api_key, base_url=base_url, http_client=httpx.Client(transport=sync)
    )


def idle_60(provider: str, base_url: str, api_key: str, *, async_client: bool = False) -> Client:
    """Non-Codex clients arm keepalive with a 60 s idle time."""
    return _with_socket_options(
        (SO_KEEPALIVE, KEEPIDLE_60), provider, base_url, api_key, async_client
    )


def so_keepalive_only(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> Client:
    """Non-Codex clients set SO_KEEPALIVE without TCP_KEEPIDLE (the kernel default idle)."""
    return _with_socket_options((SO_KEEPALIVE,), provider, base_url, api_key, async_client)


def no_keepalive(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> Client:
    """Every client is the SDK's default one: no TCP keepalive."""
    return _with_socket_options((), provider, base_url, api_key, async_client)


def raising(provider: str, base_url: str, api_key: str, *, async_client: bool = False) -> Client:
    """The reference, except that it raises for OpenRouter (sync) and llm.example.test (async)."""
    if provider == "openrouter" and not async_client:
        raise ValueError("no client for openrouter")
    if "llm.example.test" in base_url and async_client:
        raise ValueError("no async client for llm.example.test")
    return reference.factory(provider, base_url, api_key, async_client=async_client)


def wrong_type(provider: str, base_url: str, api_key: str, *, async_client: bool = False) -> object:
    """The reference, except that it returns a bare httpx client for OpenRouter."""
    if provider == "openrouter":
        return httpx.AsyncClient() if async_client else httpx.Client()
    return reference.factory(provider, base_url, api_key, async_client=async_client)


def always_proxied(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> Client:
    """The reference, except that non-Codex clients use HTTPS_PROXY for every scheme."""
    if reference.is_codex_backend(provider, base_url):
        return reference.factory(provider, base_url, api_key, async_client=async_client)
    proxy = os.environ.get("HTTPS_PROXY")
    options = [SO_KEEPALIVE, (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 30)]
    if async_client:
        transport = httpx.AsyncHTTPTransport(socket_options=options, proxy=proxy)
        return openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, http_client=httpx.AsyncClient(transport=transport)
        )
    sync = httpx.HTTPTransport(socket_options=options, proxy=proxy)
    return openai.OpenAI(
        api_key=api_key, base_url=base_url, http_client=httpx.Client(transport=sync)
    )


def sibling_host(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> Client:
    """The reference, except that a client asked for codex.example.test goes to
    llm.example.test, a sibling host behind the same origin (which serves both)."""
    client = reference.factory(provider, base_url, api_key, async_client=async_client)
    if "codex.example.test" in base_url:
        return client.with_options(
            base_url=base_url.replace("codex.example.test", "llm.example.test")
        )
    return client


def sync_only(provider: str, base_url: str, api_key: str, *, async_client: bool = False) -> Client:
    """A codebase that builds only sync clients, declining async the documented way."""
    if async_client:
        raise harness.ModeDeclined("this codebase builds only sync clients")
    return reference.factory(provider, base_url, api_key)


def sync_only_raising(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> Client:
    """The same codebase, refusing async with NotImplementedError instead."""
    if async_client:
        raise NotImplementedError("no async client")
    return reference.factory(provider, base_url, api_key)
