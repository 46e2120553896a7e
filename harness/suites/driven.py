"""Record, on each case, the scenarios it drove, so verdicts can read what a case did.

Import it into a conftest.py (``from harness.suites.driven import *``): its ``harness_drive``
wraps the plugin's and adds to the running case, before each scenario runs, a user
property ``harness_scenario`` holding the scenario as JSON: the endpoint (provider, base URL,
Codex or not), sync or async, the network condition and the client's environment (the
condition's proxy variables and the case's own). pytest writes user properties into the JUnit
report, where :func:`driven_scenarios` reads them back. A release verdict derived from these
survives any renaming or regrouping of the cases themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.fixtures import Endpoint
from harness.judging.drive import Result
from harness.network.conditions import DIRECT, Condition
from harness.network.origins import Network
from harness.sandbox.calls import Call

PROPERTY = "harness_scenario"
_RUNNING = pytest.StashKey["pytest.Item | None"]()

__all__ = ["harness_drive", "pytest_runtest_setup", "pytest_runtest_teardown"]

Drive = Callable[..., Result]


@dataclass(frozen=True)
class Driven:
    """One scenario a case drove, as recorded before it ran."""

    provider: str
    base_url: str
    codex: bool
    async_client: bool
    condition: str
    environ: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "provider": self.provider,
                "base_url": self.base_url,
                "codex": self.codex,
                "async_client": self.async_client,
                "condition": self.condition,
                "environ": dict(self.environ),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Driven:
        data: dict[str, Any] = json.loads(text)
        return cls(
            str(data["provider"]),
            str(data["base_url"]),
            bool(data["codex"]),
            bool(data["async_client"]),
            str(data["condition"]),
            {str(k): str(v) for k, v in dict(data["environ"]).items()},
        )


def driven_scenarios(properties: Iterable[tuple[str, str]]) -> list[Driven]:
    """The scenarios recorded in a case's properties, in the order they ran."""
    return [Driven.from_json(value) for name, value in properties if name == PROPERTY]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.config.stash[_RUNNING] = item


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    item.config.stash[_RUNNING] = None


@pytest.fixture(scope="session")
def harness_drive(
    harness_drive: Drive, harness_network: Network, pytestconfig: pytest.Config
) -> Drive:
    """The plugin's ``harness_drive``, recording each scenario on the running case first.

    Session-scoped like the one it wraps (hypothesis rejects function-scoped fixtures), so it
    finds the running case through a hook rather than ``request.node``."""

    def recording(
        endpoint: Endpoint,
        call: Call,
        *,
        async_client: bool = False,
        condition: Condition = DIRECT,
        environ: Mapping[str, str] | None = None,
        earlier: Sequence[Endpoint] = (),
    ) -> Result:
        env = {**condition.environ(harness_network.proxy.url), **(environ or {})}
        driven = Driven(
            endpoint.provider, endpoint.base_url, endpoint.codex, async_client, condition.name, env
        )
        item = pytestconfig.stash.get(_RUNNING, None)
        if item is not None:
            item.user_properties.append((PROPERTY, driven.to_json()))
        return harness_drive(
            endpoint,
            call,
            async_client=async_client,
            condition=condition,
            environ=environ,
            earlier=earlier,
        )

    return recording
