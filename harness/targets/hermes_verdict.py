"""The verdict each hermes-agent release earns, derived from its recorded behaviour.

A case's outcome follows from what it drove (:mod:`harness.suites.driven` records each scenario:
endpoint, sync or async, condition, environment) and from the release's facts for the client that
path builds for that endpoint (:mod:`harness.targets.hermes_releases`), never from the case's
name. Per scenario:

- no such client (:class:`NotBuilt`, :class:`ReachesNetwork`): the case is skipped;
- the route Hermes's proxy rule picks differs from the one the harness expects
  (:func:`harness.judging.proxy_rules.expected_route`): it fails (``proxy bypass`` or ``unexpected
  proxy``);
- through the proxy: it passes (the origin sees the proxy's socket; keepalive is not judged),
  and through a proxy that refuses (a condition with a ``proxy_refusal``) too: every client a
  release builds hands its proxy to httpx's own transport, which surfaces the refusal, and none
  retries directly (no release's recorded construction wraps the transport); no origin sees
  the request, so a path outside the endpoint's goes unseen there;
- direct to the Codex backend with keepalive armed: it fails (``keepalive-sensitive origin``);
- direct to a host whose IPv6 address blackholes (a condition with ``ipv6_blackhole``): every
  client a release builds connects through httpx's own transports; the async ones race the
  addresses and the sync ones try them in turn, each waiting out the client's connect timeout
  (:attr:`~harness.targets.hermes_releases.Client.connect_timeout`, else the SDK's 5 s) on the
  IPv6 address first. A sync client whose timeout exceeds the phase's deadline fails
  (``deadline``, connecting); any other case is judged as a direct one;
- to the Codex backend under an identity challenge (a condition with a ``challenge``) from a
  client without the identity headers: it fails (``identity challenge``);
- direct to any other endpoint: it passes when keepalive is armed at the idle time the
  :class:`~harness.judging.expectation.KeepaliveExpectation` requires (or keepalive is not judged),
  else fails (``keepalive off``, or ``keepalive idle mismatch``).

A case is skipped as soon as one of its scenarios is (the skip ends it), else fails when one of
them fails.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from harness.judging.deadline import DEFAULT_SECONDS as DEFAULT_DEADLINE
from harness.judging.expectation import KeepaliveExpectation
from harness.judging.proxy_rules import expected_route
from harness.judging.verdicts import (
    CAUSE_DEADLINE,
    CAUSE_IDENTITY_CHALLENGE,
    CAUSE_KEEPALIVE_IDLE,
    CAUSE_KEEPALIVE_OFF,
    CAUSE_KEEPALIVE_RESET,
    CAUSE_PROXY_BYPASS,
    CAUSE_UNEXPECTED_PROXY,
    CAUSE_WRONG_PATH,
)
from harness.network.conditions import Condition, load_conditions
from harness.suites.driven import Driven
from harness.targets.hermes_paths import Construction, Kind, client_base_url, client_kind
from harness.targets.hermes_releases import (
    RELEASES,
    Client,
    Mode,
    NotBuilt,
    ProxyRule,
    ReachesNetwork,
    facts,
)

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
#: The connect timeout of an OpenAI SDK client given none of its own (``DEFAULT_TIMEOUT``).
SDK_CONNECT_SECONDS = 5.0
#: What the split suite requires unless told otherwise.
DEFAULT_KEEPALIVE = KeepaliveExpectation()
#: Words the factory's skip messages carry, so a skip can be checked for its reason.
NOT_BUILT_WORDS = "builds no"
NOT_OFFLINE_WORDS = "nothing can leave the machine"
#: Hermes's ``_get_proxy_from_env`` order: the first one set wins, whatever the URL's scheme.
HERMES_PROXY_ORDER = (
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "https_proxy",
    "http_proxy",
    "all_proxy",
)


@dataclass(frozen=True)
class Prediction:
    outcome: str  # PASSED, FAILED or SKIPPED
    because: str  # for a failure, the harness's likely cause; for a skip, the factory's words


def _env_proxies(environ: Mapping[str, str]) -> dict[str, str]:
    """``{scheme: proxy}`` by urllib's reading of the environment (lower case wins)."""
    proxies: dict[str, str] = {}
    for lower_only in (False, True):
        for name, value in environ.items():
            if name.lower().endswith("_proxy") and value and (not lower_only or name.islower()):
                proxies[name.lower()[: -len("_proxy")]] = value
    return proxies


def via_proxy(rule: ProxyRule, base_url: str, environ: Mapping[str, str]) -> bool:
    """Whether a client following ``rule`` sends this URL to a proxy."""
    parts = urlsplit(base_url.strip())
    proxies = _env_proxies(environ)
    if rule is ProxyRule.HERMES:
        proxy = next((environ[name] for name in HERMES_PROXY_ORDER if environ.get(name)), None)
    else:
        proxy = proxies.get(parts.scheme.lower()) or proxies.get("all")
    if not proxy:
        return False
    no_proxy = proxies.get("no")
    if not no_proxy:
        return True
    host = (parts.hostname or "").lower()
    return not urllib.request.proxy_bypass_environment(host, {"no": no_proxy})  # type: ignore[attr-defined]


def predict(
    version: str,
    path: Construction,
    scenario: Driven,
    keepalive: KeepaliveExpectation = DEFAULT_KEEPALIVE,
) -> Prediction:
    """The outcome of one scenario on ``path`` of release ``version``."""
    mode = Mode.ASYNC if scenario.async_client else Mode.SYNC
    kind = client_kind(path, scenario.provider, scenario.base_url)
    known = facts(version, path, kind, mode)
    if isinstance(known, NotBuilt):
        return Prediction(SKIPPED, NOT_BUILT_WORDS)
    if isinstance(known, ReachesNetwork):
        return Prediction(SKIPPED, NOT_OFFLINE_WORDS)
    return _judged(known, scenario, keepalive, client_base_url(kind, scenario.base_url))


def _segments(url: str) -> list[str]:
    return [segment for segment in urlsplit(url.strip()).path.split("/") if segment]


def _judged(
    known: Client, scenario: Driven, keepalive: KeepaliveExpectation, sent_to: str
) -> Prediction:
    expected = expected_route(scenario.base_url, scenario.environ).via_proxy
    actual = via_proxy(known.proxy_rule, scenario.base_url, scenario.environ)
    if not actual and not scenario.async_client and _blackholed(scenario):
        timeout = known.connect_timeout or SDK_CONNECT_SECONDS
        if timeout > DEFAULT_DEADLINE:
            return Prediction(FAILED, CAUSE_DEADLINE)
    base = _segments(scenario.base_url)
    reset = not actual and scenario.codex and known.keepalive_idle is not None
    refused = actual and scenario.condition in refusing_conditions()
    if not (reset or refused) and _segments(sent_to)[: len(base)] != base:
        # a request reaches the origin (nothing resets or refuses it) on a path outside the
        # endpoint's
        return Prediction(FAILED, CAUSE_WRONG_PATH)
    if expected and not actual:
        return Prediction(FAILED, CAUSE_PROXY_BYPASS)
    if actual and not expected:
        return Prediction(FAILED, CAUSE_UNEXPECTED_PROXY)
    if reset:
        return Prediction(FAILED, CAUSE_KEEPALIVE_RESET)
    challenged = scenario.codex and scenario.condition in challenging_conditions()
    if challenged and not known.codex_identity:
        return Prediction(FAILED, CAUSE_IDENTITY_CHALLENGE)
    if actual or scenario.codex:
        return Prediction(PASSED, "")
    if not keepalive.judged or known.keepalive_idle == keepalive.idle_seconds:
        return Prediction(PASSED, "")
    if known.keepalive_idle is None:
        return Prediction(FAILED, CAUSE_KEEPALIVE_OFF)
    return Prediction(FAILED, CAUSE_KEEPALIVE_IDLE)


@cache
def _conditions() -> dict[str, Condition]:
    """The packaged conditions by name, loaded once."""
    return {condition.name: condition for condition in load_conditions()}


def challenging_conditions() -> frozenset[str]:
    """The packaged conditions that put the Codex edge's identity challenge in front of it."""
    return frozenset(name for name, c in _conditions().items() if c.challenge is not None)


def refusing_conditions() -> frozenset[str]:
    """The packaged conditions whose proxy refuses every request (no origin is reached)."""
    return frozenset(name for name, c in _conditions().items() if c.proxy_refusal is not None)


def _blackholed(scenario: Driven) -> bool:
    """Whether the scenario's condition blackholes the IPv6 address of its endpoint's host."""
    condition = _conditions().get(scenario.condition)
    if condition is None or condition.ipv6_blackhole is None:
        return False
    host = (urlsplit(scenario.base_url.strip()).hostname or "").rstrip(".").lower()
    return host in condition.ipv6_blackhole


def case_prediction(
    version: str,
    path: Construction,
    scenarios: Sequence[Driven],
    keepalive: KeepaliveExpectation = DEFAULT_KEEPALIVE,
) -> Prediction | None:
    """The outcome of a case that drove ``scenarios`` (None when it drove none)."""
    predictions = [predict(version, path, scenario, keepalive) for scenario in scenarios]
    for wanted in (SKIPPED, FAILED):
        for prediction in predictions:
            if prediction.outcome == wanted:
                return prediction
    return Prediction(PASSED, "") if predictions else None


def category(scenario: Driven) -> str:
    """A short label for the kind of scenario, for tables: endpoint, mode, route."""
    endpoint = "Codex" if scenario.codex else "non-Codex"
    if urlsplit(scenario.base_url.strip()).scheme.lower() == "http":
        endpoint += " plain-http"
    mode = "async" if scenario.async_client else "sync"
    if expected_route(scenario.base_url, scenario.environ).via_proxy:
        route = "via proxy"
    elif _env_proxies(scenario.environ).get("no"):
        route = "NO_PROXY"
    elif _env_proxies(scenario.environ):
        route = "proxy set, direct"
    else:
        route = "direct"
    return f"{endpoint} {mode} {route}"


# The README's Hermes rows: the verdict of every release over a few representative scenarios.

_PROXY = "http://127.0.42.1:3128"
_ENDPOINTS = (
    ("openai-codex", "https://chatgpt.com/backend-api/codex", True, "Codex"),
    ("custom", "https://chatgpt.com/backend-api/codex", True, "Codex"),
    ("custom", "https://llm.example.test/v1", False, "non-Codex"),
    ("openrouter", "https://openrouter.ai/api/v1", False, "OpenRouter"),
)
_ROUTES: tuple[tuple[str, str, Callable[[str], dict[str, str]]], ...] = (
    ("direct", "direct", lambda host: {}),
    ("via proxy", "direct", lambda host: {"HTTPS_PROXY": _PROXY}),
    ("NO_PROXY", "direct", lambda host: {"HTTPS_PROXY": _PROXY, "NO_PROXY": host}),
    ("edge challenge", "codex-edge-challenge", lambda host: {}),
    ("refusing proxy", "proxy-refuses", lambda host: {"HTTPS_PROXY": _PROXY, "HTTP_PROXY": _PROXY}),
    ("IPv6 blackhole", "ipv6-blackhole", lambda host: {}),
)
#: The routes that concern the Codex endpoints alone.
_CODEX_ONLY_ROUTES = frozenset({"edge challenge"})


_ROUTE_WORDS = {
    frozenset({"direct", "via proxy", "NO_PROXY"}): "",
    frozenset({"direct", "via proxy", "NO_PROXY", "IPv6 blackhole"}): "",
    frozenset({"direct", "via proxy", "NO_PROXY", "refusing proxy", "IPv6 blackhole"}): "",
    frozenset({"direct", "via proxy", "NO_PROXY", "edge challenge", "IPv6 blackhole"}): "",
    frozenset(
        {"direct", "via proxy", "NO_PROXY", "refusing proxy", "edge challenge", "IPv6 blackhole"}
    ): "",
    frozenset({"direct", "NO_PROXY", "IPv6 blackhole"}): " going direct",
    frozenset({"direct", "NO_PROXY", "edge challenge", "IPv6 blackhole"}): " going direct",
    frozenset({"IPv6 blackhole"}): " whose IPv6 address blackholes",
    frozenset({"direct", "via proxy", "NO_PROXY", "refusing proxy"}): "",
    frozenset({"direct", "via proxy", "NO_PROXY", "edge challenge"}): "",
    frozenset({"direct", "via proxy", "NO_PROXY", "refusing proxy", "edge challenge"}): "",
    frozenset({"direct", "NO_PROXY"}): " going direct",
    frozenset({"direct", "NO_PROXY", "edge challenge"}): " going direct",
    frozenset({"edge challenge"}): " under the Codex edge's identity challenge",
}
_BECAUSE_WORDS = {
    NOT_BUILT_WORDS: "Hermes builds no such client",
    NOT_OFFLINE_WORDS: "building it reaches openrouter.ai",
}

Key = tuple[str, str, str]  # mode, endpoint label, route


def _endpoints(path: Construction) -> list[tuple[str, str, bool, str]]:
    """The representative endpoints, one per kind of client the path builds for them."""
    chosen: dict[tuple[Kind, bool], tuple[str, str, bool, str]] = {}
    for provider, base_url, codex, label in _ENDPOINTS:
        kind = client_kind(path, provider, base_url)
        if kind is Kind.CODEX_OAUTH:
            label = "Codex OAuth"
        chosen.setdefault((kind, codex), (provider, base_url, codex, label))
    return list(chosen.values())


def _verdicts(version: str, path: Construction) -> dict[Key, Prediction]:
    table = {}
    for provider, base_url, codex, label in _endpoints(path):
        host = urlsplit(base_url).hostname or ""
        for mode in ("sync", "async"):
            for route, condition, environ in _ROUTES:
                if route in _CODEX_ONLY_ROUTES and not codex:
                    continue
                concerned = _conditions()[condition].hosts if condition in _conditions() else None
                if concerned is not None and host.lower() not in concerned:
                    continue
                scenario = Driven(
                    provider, base_url, codex, mode == "async", condition, environ(host)
                )
                table[(mode, label, route)] = predict(version, path, scenario)
    return table


def _span(versions: Sequence[str]) -> str:
    return versions[0] if len(versions) == 1 else f"{versions[0]}\N{EN DASH}{versions[-1]}"


def _describe(keys: Iterable[Key], labels: Sequence[str]) -> str:
    """``sync Codex cases going direct``: modes and routes folded where they agree."""
    routes: dict[str, dict[str, frozenset[str]]] = {}
    for mode, label, route in keys:
        per_mode = routes.setdefault(label, {})
        per_mode[mode] = per_mode.get(mode, frozenset()) | {route}
    shapes: dict[str, tuple[str, str]] = {}
    for label, per_mode in routes.items():
        modes = " and ".join(m for m in ("sync", "async") if m in per_mode)
        if len(set(per_mode.values())) > 1:
            raise ValueError(f"{label}: sync and async differ in routes: {per_mode}")
        route_set = next(iter(per_mode.values()))
        shapes[label] = (modes, _ROUTE_WORDS.get(route_set, " " + "/".join(sorted(route_set))))
    if set(shapes) == set(labels) and len(set(shapes.values())) == 1:
        modes, where = next(iter(shapes.values()))
        return f"{modes} cases{where}"
    return ", ".join(f"{modes} {label} cases{where}" for label, (modes, where) in shapes.items())


def summary(path: Construction) -> str:
    """What the README says about ``path``: which cases fail and why, per run of releases."""
    labels = [label for *_, label in _endpoints(path)]
    per_release = {version: _verdicts(version, path) for version in RELEASES}
    first = per_release[next(iter(RELEASES))]
    everywhere = {
        key: prediction
        for key, prediction in first.items()
        if prediction.outcome == SKIPPED
        and all(table[key] == prediction for table in per_release.values())
    }
    runs: list[tuple[list[str], dict[Key, Prediction]]] = []
    for version, table in per_release.items():
        rest = {key: p for key, p in table.items() if key not in everywhere}
        if runs and runs[-1][1] == rest:
            runs[-1][0].append(version)
        else:
            runs.append(([version], rest))
    parts = []
    for versions, table in runs:
        causes: dict[Prediction, list[Key]] = {}
        for key, prediction in table.items():
            if prediction.outcome != PASSED:
                causes.setdefault(prediction, []).append(key)
        said = "; ".join(
            f"{_describe(keys, labels)} {p.outcome.replace('failed', 'fail')} ({p.because})"
            for p, keys in causes.items()
        )
        parts.append(f"{_span(versions)}: {said or 'passes'}")
    skipped: dict[str, list[Key]] = {}
    for key, prediction in everywhere.items():
        skipped.setdefault(prediction.because, []).append(key)
    if skipped:
        parts.append(
            "every release: "
            + "; ".join(
                f"{_describe(keys, labels)} skipped ({_BECAUSE_WORDS[because]})"
                for because, keys in skipped.items()
            )
        )
    return "; ".join(parts)
