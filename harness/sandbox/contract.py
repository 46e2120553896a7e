"""The client factory contract, checked in one place for vetting, scenarios and adapters.

A factory is named ``MODULE:ATTR`` (so a worker process can import it), is called as
``factory(provider, base_url, api_key, async_client=...)`` and returns ``openai.OpenAI`` (or
``openai.AsyncOpenAI`` when ``async_client`` is true). A codebase that builds only one kind
declines the other by raising :class:`ModeDeclined` (``harness.ModeDeclined``; any
``unittest.SkipTest`` works the same): those cases are skipped with its reason. Anything else it
raises, or any other return value, breaks the contract for that call.
"""

from __future__ import annotations

import importlib
import unittest
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.errors import HarnessError

ENV_VAR = "HARNESS_CLIENT_FACTORY"
ClientFactory = Callable[..., Any]
#: The call vetting makes: a real provider's name and URL, a key that is clearly not one.
PROBE = ("openai", "https://api.openai.com/v1", "harness-probe-key")

RAISED = "raised"
RETURNED = "returned"


class ModeDeclined(unittest.SkipTest):
    """Raised by a factory for the mode its codebase does not build (``async_client`` true or
    false), with the reason: ``raise harness.ModeDeclined("builds only sync clients")``. The cases
    of that mode are skipped, not failed; declining both is a usage error."""


#: Where a factory that raised instead of declining is pointed.
HOW_TO_DECLINE = (
    "a factory that does not build this kind of client declines it with "
    "raise harness.ModeDeclined('why')"
)


class FactoryError(HarnessError, RuntimeError):
    """The named factory cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Broken:
    """How one call broke the contract: ``kind`` is :data:`RAISED` or :data:`RETURNED`."""

    kind: str
    detail: str


class ContractBroken(Exception):
    def __init__(self, broken: Broken) -> None:
        super().__init__(broken.detail)
        self.broken = broken


def split_spec(spec: str) -> tuple[str, str]:
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise FactoryError(f"client factory {spec!r}: expected MODULE:ATTR")
    return module_name, attr


def load_factory(spec: str) -> ClientFactory:
    """Import ``MODULE`` and return its ``ATTR``; a usage error naming what is wrong."""
    module_name, attr = split_spec(spec)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise FactoryError(
            f"client factory {spec!r}: cannot import {module_name}: {exc!r}"
        ) from exc
    target: Any = module
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise FactoryError(f"client factory {spec!r}: {module_name} has no {attr}") from None
    if not callable(target):
        raise FactoryError(f"client factory {spec!r}: {attr} is not callable")
    return target  # type: ignore[no-any-return]


def spec_of(factory: str | ClientFactory) -> str:
    """The ``MODULE:ATTR`` that names ``factory``: a factory runs in a process of its own, which
    can only import it by name, so a lambda or a closure is refused."""
    if isinstance(factory, str):
        split_spec(factory)
        return factory
    module = getattr(factory, "__module__", None)
    qualname = getattr(factory, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        raise FactoryError(
            f"client factory {factory!r}: name it as MODULE:ATTR (a module-level function); "
            "it runs in a process of its own, which imports it by name"
        )
    spec = f"{module}:{qualname}"
    try:
        found = load_factory(spec)
    except FactoryError:
        found = None
    if found is not factory:
        raise FactoryError(
            f"client factory {factory!r}: {spec} does not import back to it; name it as "
            "MODULE:ATTR (a module-level function)"
        )
    return spec


def build_client(
    factory: ClientFactory, provider: str, base_url: str, api_key: str, async_client: bool
) -> Any:
    """The factory's client, or :class:`ContractBroken` saying how the call broke the contract;
    ``unittest.SkipTest`` (the factory declines this mode) passes through."""
    import openai

    try:
        client = factory(provider, base_url, api_key, async_client=async_client)
    except unittest.SkipTest:
        raise
    except (Exception, KeyboardInterrupt) as exc:
        raise ContractBroken(Broken(RAISED, repr(exc))) from exc
    expected = openai.AsyncOpenAI if async_client else openai.OpenAI
    if not isinstance(client, expected):
        raise ContractBroken(
            Broken(
                RETURNED,
                f"returned {type(client).__name__} for async_client={async_client}; "
                f"expected {expected.__module__}.{expected.__name__}",
            )
        )
    return client
