"""The reference fix behind a per-(base_url, key) cache of clients, as popular libraries build
theirs: correct, so it must earn exactly the reference's verdict.

In one process the cache hands a later caller the client an earlier one built, with the proxy
variables of whenever it was built; every scenario runs in a process of its own, so the cache
starts empty in each, as in a program started with that scenario's environment. The long-lived
rows ask one process for every endpoint's client, so there the cache serves later calls.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import openai

from harness.targets.reference import factory as reference

Client = openai.OpenAI | openai.AsyncOpenAI
#: ``(provider, base_url, api_key, async_client)`` → the cache key.
KeyOf = Callable[[str, str, str, bool], Hashable]


def cache_by(key_of: KeyOf) -> Callable[..., Client]:
    """The reference factory behind a process-wide cache keyed by ``key_of``."""
    clients: dict[Hashable, Client] = {}

    def factory(
        provider: str, base_url: str, api_key: str, *, async_client: bool = False
    ) -> Client:
        key = key_of(provider, base_url, api_key, async_client)
        if key not in clients:
            clients[key] = reference(provider, base_url, api_key, async_client=async_client)
        return clients[key]

    return factory


def _base_url_and_key(provider: str, base_url: str, api_key: str, async_client: bool) -> Hashable:
    return (base_url, api_key, async_client)  # the mode too: one kind of client per entry


factory = cache_by(_base_url_and_key)
