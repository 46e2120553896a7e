"""Load and vet a client factory named ``MODULE:ATTR`` before any test runs.

A bad factory should fail the run once, with its name in the message, instead of failing every
test for an unrelated-looking reason.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import unittest
from collections.abc import Callable
from typing import Any

from harness.deadline import DEFAULT_SECONDS as DEFAULT_DEADLINE
from harness.deadline import PHASE_BUILD, DeadlineExceeded, PhaseClock
from harness.environ import CA_VARIABLES, PROXY_VARIABLES, scoped_environ
from harness.errors import HarnessError
from harness.routing import Router

DEFAULT_FACTORY = "harness.targets.reference:factory"
ENV_VAR = "HARNESS_CLIENT_FACTORY"

ClientFactory = Callable[..., Any]
#: The call vetting makes: a real provider's name and URL, a key that is clearly not one.
PROBE = ("openai", "https://api.openai.com/v1", "harness-probe-key")


class FactoryError(HarnessError, RuntimeError):
    """The named factory cannot be used; the message says which and why."""


def load_factory(spec: str) -> ClientFactory:
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise FactoryError(f"client factory {spec!r}: expected MODULE:ATTR")
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


def _close(client: Any) -> None:
    result = client.close()
    if inspect.isawaitable(result):
        asyncio.run(_await(result))


async def _await(awaitable: Any) -> None:
    await awaitable


def vet_factory(spec: str, factory: ClientFactory, *, deadline: float = DEFAULT_DEADLINE) -> None:
    """Build one sync and one async client and check their types, before any test runs.

    Building a client must not touch the network, and vetting runs under the same guards as a
    scenario: routing with no origins (an off-machine lookup or connect is refused, and recorded
    even if the factory catches the error), the phase deadline, and the caller's proxy and CA
    variables set aside (a junk ``SSL_CERT_FILE`` or proxy URL in the shell must not pass for a
    broken factory).
    """
    import openai  # importing the SDK is not the factory's time

    router = Router()
    failure: FactoryError | None = None
    with (
        scoped_environ(unset=(*PROXY_VARIABLES, *CA_VARIABLES)),
        router.active(),
        PhaseClock(deadline) as clock,
    ):
        try:
            _vet(spec, factory, clock, openai)
        except FactoryError as exc:
            failure = exc
        except DeadlineExceeded:
            pass  # recorded on the clock, also when the factory swallowed it
    refused = router.refusals()
    if refused:
        raise FactoryError(
            f"client factory {spec!r} tried to reach the network while building its clients "
            f"(nothing may leave the machine): {'; '.join(refused)}"
        )
    if clock.breached is not None:
        raise FactoryError(
            f"client factory {spec!r}: deadline: {clock.breached.phase} took over "
            f"{deadline:g} s while vetting it (factory{PROBE!r})"
        )
    if failure is not None:
        raise failure


def _vet(spec: str, factory: ClientFactory, clock: PhaseClock, openai: Any) -> None:
    """A factory may decline one mode with ``unittest.SkipTest`` (its cases are then skipped with
    that reason), not both."""
    declined: list[str] = []
    for async_client, expected in ((False, openai.OpenAI), (True, openai.AsyncOpenAI)):
        clock.start(PHASE_BUILD)
        try:
            client = factory(*PROBE, async_client=async_client)
        except unittest.SkipTest as exc:
            declined.append(f"async_client={async_client}: {exc}")
            continue
        except Exception as exc:
            raise FactoryError(
                f"client factory {spec!r} raised {exc!r} when called as "
                f"factory{PROBE!r}, async_client={async_client}"
            ) from exc
        finally:
            clock.stop()
        if not isinstance(client, expected):
            if hasattr(client, "close"):
                _close(client)
            raise FactoryError(
                f"client factory {spec!r} returned {type(client).__name__} for "
                f"async_client={async_client}; expected {expected.__module__}.{expected.__name__}"
            )
        _close(client)
    if len(declined) == 2:
        raise FactoryError(f"client factory {spec!r} builds no client: " + "; ".join(declined))
