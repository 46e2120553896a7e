"""Every scenario the harness judges, enumerated once, and what each must look like.

The split suite runs this matrix as pytest cases and ``diagnose`` runs it as table rows, so a
scenario added here is added to both. Axes, per endpoint of the origin files and per mode (sync,
async):

- direct: no proxy variables; Codex endpoints make the report's call and a streamed one,
  the others list models and make a chat completion;
- each network condition of the origin files (``https-proxy``, ``proxy-only``, a proxy that
  refuses every request, ``proxy-refuses``, ...), or, for
  an edge's identity challenge (``codex-edge-challenge``), the endpoints on its hosts; a stream
  stall (``codex-stream-stall``) is one streamed call from the first endpoint on its hosts, in
  each mode (each row waits out or gives up on the silence: a few stand for the rest); an IPv6
  blackhole (``ipv6-blackhole``) is likewise one call from the first endpoint on its hosts, in
  each mode, unless every case that may wait out a connect timeout is asked for
  (``--harness-slow-connect on``: each endpoint on its hosts);
- each proxy variable spelling that applies to the endpoint's scheme (``https_proxy`` and
  ``ALL_PROXY`` for https; ``HTTP_PROXY``, ``http_proxy`` and ``ALL_PROXY`` for plain HTTP,
  which ``HTTPS_PROXY`` of the ``https-proxy`` condition must leave alone);
- each ``NO_PROXY`` spelling exempting the endpoint's host, on top of its scheme's variable.

Categories (``codex``, ``non-codex``, ``lookalike``, ``via-proxy``, ``direct``, the condition)
travel with each scenario as data; the suite writes them into the JUnit report, where the
self-check and the release verdicts read them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from harness.fixtures import Endpoint, Fixture
from harness.judging.expectation import KeepaliveExpectation
from harness.judging.proxy_rules import expected_route
from harness.judging.verdicts import Expectation
from harness.network.blackhole import ipv6_loopback_available
from harness.network.conditions import DIRECT, Condition
from harness.sandbox.calls import Call

if TYPE_CHECKING:
    from harness.judging.client_hello import ClientHelloMeasurement

#: Variable spellings by scheme, beyond the ``HTTPS_PROXY`` the https-proxy condition sets.
PROXY_SPELLINGS = {
    "https": ("https_proxy", "ALL_PROXY"),
    "http": ("HTTP_PROXY", "http_proxy", "ALL_PROXY"),
}
#: The variable NO_PROXY cases set for each scheme (so only NO_PROXY can send them direct).
SCHEME_PROXY = {"https": "HTTPS_PROXY", "http": "HTTP_PROXY"}
NO_PROXY_SPELLINGS = ("exact", "domain", "star", "lowercase-variable", "uppercase-value")
PLACEHOLDER = "{proxy}"

#: The assistant message every origin file's chat completion reply carries.
CHAT_REPLY = "Hello"
STREAM_EVENTS = ("response.created", "response.output_text.delta", "response.completed")

CATEGORY_CODEX = "codex"
CATEGORY_NON_CODEX = "non-codex"
CATEGORY_LOOKALIKE = "lookalike"
CATEGORY_VIA_PROXY = "via-proxy"
CATEGORY_DIRECT = "direct"


@dataclass(frozen=True)
class Scenario:
    """One case: endpoint, mode, call, condition and the proxy variables around the client.

    ``variables`` holds the scenario's own variables with ``{proxy}`` standing for the harness
    proxy's URL, which only exists once the network runs.
    """

    endpoint: Endpoint
    async_client: bool
    call: Call
    condition: Condition
    variables: tuple[tuple[str, str], ...] = ()
    label: str = "direct"
    #: Endpoints whose clients the same process asks the factory for first (long-lived rows).
    earlier: tuple[Endpoint, ...] = ()

    @property
    def mode(self) -> str:
        return "async" if self.async_client else "sync"

    @property
    def id(self) -> str:
        return f"{self.endpoint.id}-{self.mode}-{self.label}-{self.call.value}"

    def own_environ(self, proxy_url: str) -> dict[str, str]:
        """The scenario's own variables, on top of what its condition sets."""
        return {name: value.replace(PLACEHOLDER, proxy_url) for name, value in self.variables}

    def environ(self, proxy_url: str) -> dict[str, str]:
        """Everything the client's environment gets: the condition's and the scenario's own."""
        return {**self.condition.environ(proxy_url), **self.own_environ(proxy_url)}

    def via_proxy(self) -> bool:
        """Whether the documented proxy rules send this scenario through the proxy (the proxy's
        URL does not change the route, so its placeholder stands in)."""
        return expected_route(self.endpoint.base_url, self.environ(PLACEHOLDER)).via_proxy

    def categories(self) -> tuple[str, ...]:
        kind = CATEGORY_CODEX if self.endpoint.codex else CATEGORY_NON_CODEX
        found = [kind, CATEGORY_VIA_PROXY if self.via_proxy() else CATEGORY_DIRECT]
        if is_lookalike(self.endpoint):
            found.append(CATEGORY_LOOKALIKE)
        found.append(f"scheme:{urlsplit(self.endpoint.base_url).scheme.lower()}")
        found.append(f"condition:{self.condition.name}")
        found.append(f"label:{self.label}")
        return tuple(found)

    def expectation(
        self,
        keepalive: KeepaliveExpectation,
        reply: tuple[int, Any] | None,
        client_hello: ClientHelloMeasurement | None = None,
        stream_idle: float | None = None,
        connect_within: float | None = None,
    ) -> Expectation:
        """Everything this scenario must show (see :class:`~harness.judging.verdicts.Expectation`):
        the reply its call earns (``reply``, the origin file's recorded one, for the report's
        call), the route, the keepalive, where the request must go, for a Codex endpoint the
        ClientHello the SDK's default client presents (``client_hello``; None: not judged),
        and on a stream its condition silences, whether the client must wait the silence out
        or give up within ``stream_idle`` seconds (None: wait; a silence no longer than the
        bound must be waited out too), and the bound on connecting (``connect_within``; None:
        none)."""
        parts = urlsplit(self.endpoint.base_url)
        status, body, events = 200, None, None
        if self.call is Call.REPORT and self.endpoint.codex and reply is not None:
            status, body = reply
        elif self.call is Call.STREAM and self.endpoint.codex:
            events = STREAM_EVENTS
        elif self.call is Call.CHAT:
            body = CHAT_REPLY
        stall = self.condition.stream_stall
        silence = stall.stall.seconds if stall is not None and self.call is Call.STREAM else None
        must_give_up = silence is not None and stream_idle is not None and silence > stream_idle
        via_proxy = self.via_proxy()
        refusal = self.condition.proxy_refusal if via_proxy else None
        return Expectation(
            codex=self.endpoint.codex,
            keepalive_idle=None if self.endpoint.codex else keepalive.idle_seconds,
            via_proxy=via_proxy,
            status=status,
            body=body,
            events=events,
            host=(parts.hostname or "").rstrip(".").lower(),
            base_path=parts.path or "/",
            client_hello=(
                client_hello.of(self.async_client)
                if client_hello is not None and self.endpoint.codex
                else None
            ),
            stream_silence=silence,
            give_up_within=stream_idle if must_give_up else None,
            proxy_refusal=refusal.status if refusal is not None else None,
            connect_within=connect_within,
            ipv6_blackhole=self.condition.ipv6_blackhole is not None and not via_proxy,
        )


def is_lookalike(endpoint: Endpoint) -> bool:
    """A non-Codex endpoint whose URL mentions the Codex backend (a classifier trap)."""
    text = endpoint.base_url.lower()
    return not endpoint.codex and ("chatgpt.com" in text or "/codex" in text)


def no_proxy_variables(spelling: str, base_url: str) -> tuple[tuple[str, str], ...]:
    """The scheme's proxy variable plus a NO_PROXY spelling that exempts the URL's host."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    value = {
        "exact": host,
        "domain": ".".join(host.split(".")[-2:]),
        "star": "*",
        "lowercase-variable": host,
        "uppercase-value": host.upper(),
    }[spelling]
    variable = "no_proxy" if spelling == "lowercase-variable" else "NO_PROXY"
    # "*" is a wildcard only on its own (tests/test_findings.py pins why)
    listed = value if spelling == "star" else f"unrelated.example.test,{value}"
    return ((SCHEME_PROXY[parts.scheme.lower()], PLACEHOLDER), (variable, listed))


def _direct_calls(endpoint: Endpoint) -> tuple[Call, ...]:
    return (Call.REPORT, Call.STREAM) if endpoint.codex else (Call.MODELS, Call.CHAT)


def _endpoint_scenarios(
    endpoint: Endpoint,
    async_client: bool,
    conditions: Sequence[Condition],
    endpoints: Sequence[Endpoint],
    slow_connect: bool,
) -> Iterator[Scenario]:
    one_call = Call.REPORT if endpoint.codex else Call.MODELS
    for call in _direct_calls(endpoint):
        yield Scenario(endpoint, async_client, call, DIRECT)
    for condition in conditions:
        if condition.name == DIRECT.name or not condition.applies_to(endpoint):
            continue
        first = endpoint == next(e for e in endpoints if condition.applies_to(e))
        if condition.stream_stall is not None:
            if first:
                yield Scenario(endpoint, async_client, Call.STREAM, condition, label=condition.name)
        elif condition.ipv6_blackhole is None or first or slow_connect:
            yield Scenario(endpoint, async_client, one_call, condition, label=condition.name)
    scheme = urlsplit(endpoint.base_url).scheme.lower()
    for variable in PROXY_SPELLINGS.get(scheme, ()):
        one = ((variable, PLACEHOLDER),)
        yield Scenario(endpoint, async_client, one_call, DIRECT, one, f"env-{variable}")
    if scheme in SCHEME_PROXY:
        for spelling in NO_PROXY_SPELLINGS:
            exempting = no_proxy_variables(spelling, endpoint.base_url)
            yield Scenario(
                endpoint, async_client, one_call, DIRECT, exempting, f"no_proxy-{spelling}"
            )


LONG_LIVED = "long-lived"


def left_out(conditions: Sequence[Condition]) -> dict[str, str]:
    """The conditions this stack cannot express, each with its words: a proxy URL the installed
    httpx refuses (httpx 0.27 knows no ``socks5h://``: every client would fail to build under it
    whatever its construction code does), an IPv6 blackhole on a machine without IPv6 loopback.
    They stay out of the matrix, and the reports say so."""
    refused = {}
    for condition in conditions:
        if condition.ipv6_blackhole is not None and not ipv6_loopback_available():
            refused[condition.name] = "this machine has no IPv6 loopback address (::1)"
        if condition.proxy_scheme == "http":
            continue
        try:
            httpx.Proxy(f"{condition.proxy_scheme}://127.0.42.1:1080")
        except ValueError as exc:
            refused[condition.name] = f"httpx {httpx.__version__} refuses it: {exc}"
    return refused


def scenarios(
    fixtures: Sequence[Fixture], conditions: Sequence[Condition], *, slow_connect: bool = False
) -> list[Scenario]:
    """The whole matrix, in a stable order: origin file, endpoint, mode, axis; then the
    long-lived rows (:func:`long_lived_scenarios`). Conditions the installed httpx cannot
    express (:func:`left_out`) are not in it. ``slow_connect``: every endpoint on an IPv6
    blackhole's hosts, not only the first (each may wait out a connect timeout)."""
    refused = left_out(conditions)
    conditions = [condition for condition in conditions if condition.name not in refused]
    endpoints = [endpoint for fixture in fixtures for endpoint in fixture.endpoints]
    return [
        scenario
        for endpoint in endpoints
        for async_client in (False, True)
        for scenario in _endpoint_scenarios(
            endpoint, async_client, conditions, endpoints, slow_connect
        )
    ] + long_lived_scenarios(endpoints)


def long_lived_scenarios(endpoints: Sequence[Endpoint]) -> list[Scenario]:
    """Every other scenario runs in a fresh process, so the factory's first call in it is the
    one judged. A program calls its factory many times in one process: these rows ask for every
    other endpoint's client first, in the same process and mode, then judge the first Codex and
    the first non-Codex endpoint as usual. A factory that fails on its Nth call, or a cache that
    hands one endpoint's client to another, shows here and only here."""
    finals = [
        found
        for codex in (True, False)
        if (found := next((e for e in endpoints if e.codex == codex), None)) is not None
    ]
    return [
        Scenario(
            final,
            async_client,
            Call.REPORT if final.codex else Call.MODELS,
            DIRECT,
            label=LONG_LIVED,
            earlier=tuple(e for e in endpoints if e != final),
        )
        for async_client in (False, True)
        for final in finals
    ]


def recorded_reply(fixture: Fixture) -> tuple[int, Any] | None:
    """The reply the origin file's report recorded for the SDK's default client, if any."""
    report = fixture.report
    if report is None or "default" not in report.outcomes:
        return None
    outcome = report.outcomes["default"]
    return None if outcome.status is None else (outcome.status, outcome.body)


def replies_by_origin(fixtures: Sequence[Fixture]) -> Mapping[str, tuple[int, Any] | None]:
    return {fixture.name: recorded_reply(fixture) for fixture in fixtures}
