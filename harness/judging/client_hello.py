"""The ClientHello a Codex client must present: the SDK default client's, measured, not assumed.

An edge that fingerprints TLS (the Codex backend's does, hermes-agent 30480, 41899, 72928) lets
the SDK's own transport through and challenges a client that built its own SSL context. The split
fix hands Codex the SDK default client, so its ClientHello must be that client's. Which one that
is depends on this machine's OpenSSL, Python and httpx, so it is measured once per run: the SDK
default factory (:mod:`harness.targets.sdkdefault`) connects to the Codex origin in a scenario
process of its own, sync and async, and the gate's JA4 of each becomes the expectation.
"""

from __future__ import annotations

from collections.abc import Mapping

from harness.errors import HarnessError, UsageInputError
from harness.fixtures import Endpoint, Fixture
from harness.network.conditions import DIRECT
from harness.network.origins import Network
from harness.sandbox.calls import Call
from harness.sandbox.pool import Sandbox

SDK_DEFAULT = "harness.targets.sdkdefault:factory"
JUDGED = "sdk"
NOT_JUDGED = "off"
ALLOWED = (
    f"{JUDGED!r} (a Codex client must present the SDK default client's ClientHello) or "
    f"{NOT_JUDGED!r} (not judged)"
)


def judged(value: str | None, source: str) -> bool:
    """``sdk`` (the default) or ``off``; anything else is a usage error naming ``source``."""
    if value is None:
        return True
    text = value.strip().lower()
    if text in (JUDGED, NOT_JUDGED):
        return text == JUDGED
    raise UsageInputError(f"{source}: {value!r} is not allowed; expected {ALLOWED}")


def codex_endpoint(fixtures: list[Fixture]) -> Endpoint | None:
    return next((e for f in fixtures for e in f.endpoints if e.codex), None)


def _measure_one(
    network: Network, sandbox: Sandbox, endpoint: Endpoint, async_client: bool, deadline: float
) -> str:
    from harness.judging.drive import Subject, drive

    result = drive(
        network,
        Subject.of(sandbox, SDK_DEFAULT),
        endpoint,
        Call.MODELS,
        async_client=async_client,
        condition=DIRECT,
        environ={},
        deadline=deadline,
    )
    fingerprints = [o.ja4 for o in result.observations if o.ja4]
    if not fingerprints:
        raise HarnessError(
            f"could not measure the SDK default client's ClientHello at {endpoint.base_url} "
            f"(async_client={async_client}): {result.outcome.describe()}"
        )
    return fingerprints[0]


class ClientHelloMeasurement:
    """The SDK default client's JA4 at the Codex origin, measured in a scenario process when a
    Codex case first asks for its mode's: a run that selects no Codex case never pays for it,
    and none is timed into another case. A measurement that failed is kept and raised again for
    every later case, not retried."""

    def __init__(
        self, network: Network, sandbox: Sandbox, fixtures: list[Fixture], deadline: float
    ) -> None:
        self._network, self._sandbox, self._deadline = network, sandbox, deadline
        self._endpoint = codex_endpoint(fixtures)
        self._found: dict[bool, str | HarnessError] = {}

    def of(self, async_client: bool) -> str:
        if async_client not in self._found:
            try:
                if self._endpoint is None:
                    raise HarnessError("no origin file lists a Codex endpoint to measure against")
                self._found[async_client] = _measure_one(
                    self._network, self._sandbox, self._endpoint, async_client, self._deadline
                )
            except HarnessError as exc:
                self._found[async_client] = exc
        found = self._found[async_client]
        if isinstance(found, HarnessError):
            raise found
        return found

    def measured(self) -> dict[str, str]:
        """``{"sync": JA4, "async": JA4}`` for the modes measured so far."""
        return {
            "async" if async_client else "sync": found
            for async_client, found in sorted(self._found.items())
            if isinstance(found, str)
        }


def describe(measured: Mapping[str, str] | None) -> str:
    """How a report says what Codex ClientHellos were judged against (None: not judged)."""
    if measured is None:
        return "Codex ClientHello not judged"
    if not measured:
        return "Codex ClientHello judged (no Codex case ran)"
    shown = set(measured.values())
    if len(shown) == 1:
        return f"Codex ClientHello judged: the SDK default client's, JA4 {shown.pop()}"
    return "Codex ClientHello judged: the SDK default client's, JA4 " + ", ".join(
        f"{value} ({mode})" for mode, value in measured.items()
    )
