"""Network conditions: what surrounds every origin at once, such as a proxy-only network.

A condition names the proxy variables the client's environment gets (pointing at the harness's
proxy, as ``http://`` or as a SOCKS5 proxy, ``socks5://`` or ``socks5h://``), an optional NO_PROXY
value, fault rules that every gate applies before its
origin's own, a proxy that refuses every request (:class:`~harness.network.proxy.Refusal`), an
edge's identity challenge (:mod:`harness.network.edge`), a silence in every stream its hosts
send (:class:`HostStall`), and an IPv6 address that blackholes for its hosts (``ipv6_blackhole``:
the name resolves to ``::1`` and to its IPv4 address, and connects to the first never complete);
the last three apply to the endpoints on their hosts only. Conditions are
data files in ``fixtures/conditions/``, with provenance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.environ import PROXY_VARIABLES
from harness.fixtures import (
    FIXTURE_DIR,
    Endpoint,
    FixtureError,
    Section,
    StreamStall,
    data_directory,
    read_data_file,
    read_stall,
)
from harness.network.edge import CHALLENGE_KEYS, Challenge
from harness.network.faults import FaultRules, RuleError
from harness.network.ja4 import FingerprintError, fingerprints
from harness.network.proxy import Refusal

CONDITION_DIR = FIXTURE_DIR / "conditions"


@dataclass(frozen=True)
class HostStall:
    """Every SSE stream the origins on ``hosts`` send goes silent after ``stall.after_events``
    events for ``stall.seconds``, then ends as usual: a provider that is only slow. Whether a
    client must give up on it is the adopter's setting (``--harness-stream-idle``)."""

    hosts: tuple[str, ...]
    stall: StreamStall


@dataclass(frozen=True)
class Condition:
    name: str
    description: str
    provenance: Mapping[str, Any]
    proxy_env: tuple[str, ...] = ()
    #: The scheme of the proxy URL the variables carry: ``http``, ``socks5`` or ``socks5h``.
    proxy_scheme: str = "http"
    no_proxy: str | None = None
    faults: FaultRules = field(default_factory=FaultRules)
    challenge: Challenge | None = None
    stream_stall: HostStall | None = None
    proxy_refusal: Refusal | None = None
    #: The hosts whose IPv6 address blackholes (their IPv4 one serves).
    ipv6_blackhole: tuple[str, ...] | None = None
    path: Path | None = None

    @property
    def hosts(self) -> tuple[str, ...] | None:
        """The hosts the condition concerns (None: every one)."""
        if self.challenge is not None:
            return self.challenge.hosts
        if self.stream_stall is not None:
            return self.stream_stall.hosts
        return self.ipv6_blackhole

    def applies_to(self, endpoint: Endpoint) -> bool:
        """Whether the condition changes anything for ``endpoint``: everything, unless it is an
        edge's challenge, a stream stall or an IPv6 blackhole, which concern the endpoints on
        their hosts alone."""
        if self.hosts is None:
            return True
        host = (urlsplit(endpoint.base_url.strip()).hostname or "").rstrip(".").lower()
        return host in self.hosts

    def environ(self, proxy_url: str) -> dict[str, str]:
        """The variables a client built under this condition sees (``proxy_url`` is the harness
        proxy's ``http://`` URL; the condition's scheme replaces that one)."""
        _http, _, rest = proxy_url.partition("://")
        url = f"{self.proxy_scheme}://{rest}" if rest else proxy_url
        env = {name: url for name in self.proxy_env}
        if self.no_proxy is not None:
            env["NO_PROXY"] = self.no_proxy
        return env


#: The condition every plain scenario runs under: no proxy, no extra faults.
DIRECT = Condition("direct", "no proxy, no network-wide faults", {"source": "harness default"})

#: The keys a condition file may hold (``provenance`` is free-form beyond source and date).
CONDITION_FILE_KEYS = (
    "schema",
    "name",
    "description",
    "provenance",
    "proxy_env",
    "proxy_scheme",
    "no_proxy",
    "faults",
    "challenge",
    "stream_stall",
    "proxy_refusal",
    "ipv6_blackhole",
)
#: The schemes a condition's proxy URL may have: the harness proxy speaks HTTP and SOCKS5 on one
#: port; ``socks5h`` asks the proxy to resolve the name, ``socks5`` lets the client do it.
PROXY_SCHEMES = ("http", "socks5", "socks5h")
#: The keys of a condition's ``proxy_refusal`` section.
REFUSAL_KEYS = ("status", "headers", "body")


def load_condition(path: Path) -> Condition:
    top = read_data_file(path, CONDITION_FILE_KEYS)
    provenance = top.child("provenance")
    proxy_env = tuple(top.get("proxy_env", list, []))
    for index, name in enumerate(proxy_env):
        if name not in PROXY_VARIABLES:
            raise top.fail(f"proxy_env[{index}]", f"{name!r} is not a proxy variable")
    try:
        faults = FaultRules.from_spec(top.get("faults", list, []))
    except RuleError as exc:
        raise FixtureError(f"{path}: {exc}") from None
    challenge = _challenge(top.child("challenge")) if "challenge" in top.data else None
    stream_stall = _host_stall(top.child("stream_stall")) if "stream_stall" in top.data else None
    blackhole = None
    if "ipv6_blackhole" in top.data:
        section = top.child("ipv6_blackhole")
        section.only(("hosts",))
        blackhole = tuple(host.rstrip(".").lower() for host in _strings(section, "hosts"))
    scoped = [key for key in ("challenge", "stream_stall", "ipv6_blackhole") if key in top.data]
    if len(scoped) > 1:
        raise top.fail(
            scoped[1], f"a condition has one of {', '.join(scoped)}, not several (each names hosts)"
        )
    proxy_scheme = top.get("proxy_scheme", str, "http")
    if proxy_scheme not in PROXY_SCHEMES:
        raise top.fail("proxy_scheme", f"{proxy_scheme!r} is not one of {', '.join(PROXY_SCHEMES)}")
    if proxy_scheme != "http" and not proxy_env:
        raise top.fail("proxy_scheme", "a SOCKS proxy needs proxy_env naming it")
    refusal = _refusal(top.child("proxy_refusal")) if "proxy_refusal" in top.data else None
    if refusal is not None and not proxy_env:
        raise top.fail("proxy_refusal", "a refusing proxy needs proxy_env naming it")
    return Condition(
        name=top.get("name", str),
        description=top.get("description", str, ""),
        provenance=dict(provenance.data),
        proxy_env=proxy_env,
        proxy_scheme=proxy_scheme,
        no_proxy=top.get("no_proxy", str, None),
        faults=faults,
        challenge=challenge,
        stream_stall=stream_stall,
        proxy_refusal=refusal,
        ipv6_blackhole=blackhole,
        path=path,
    )


def _refusal(section: Section) -> Refusal:
    """The file's ``proxy_refusal`` section: ``status`` (4xx or 5xx), ``headers``, ``body``."""
    section.only(REFUSAL_KEYS)
    return Refusal(_error_status(section), _string_headers(section), section.get("body", str, ""))


def _error_status(section: Section, default: int | None = None) -> int:
    status: int = (
        section.get("status", int) if default is None else section.get("status", int, default)
    )
    if not 400 <= status <= 599:
        raise section.fail("status", f"{status} is not an HTTP error status")
    return status


def _string_headers(section: Section) -> tuple[tuple[str, str], ...]:
    headers = section.get("headers", dict, {})
    if not all(isinstance(value, str) for value in headers.values()):
        raise section.fail("headers", "expected an object of strings")
    return tuple(headers.items())


def _host_stall(section: Section) -> HostStall:
    """The file's ``stream_stall`` section: ``hosts`` and a ``stall`` as a reply's."""
    section.only(("hosts", "stall"))
    hosts = tuple(host.rstrip(".").lower() for host in _strings(section, "hosts"))
    return HostStall(hosts, read_stall(section.child("stall")))


def _strings(section: Section, key: str) -> tuple[str, ...]:
    value = section.get(key, list)
    if not value or not all(isinstance(item, str) for item in value):
        raise section.fail(key, "expected a non-empty list of strings")
    return tuple(value)


def _challenge(section: Section) -> Challenge:
    """The file's ``challenge`` section (see :class:`harness.network.edge.Challenge`)."""
    section.only(CHALLENGE_KEYS)
    status = _error_status(section, 403)
    headers = _string_headers(section)
    path_prefix = section.get("path_prefix", str, "/")
    if not path_prefix.startswith("/"):
        raise section.fail("path_prefix", "expected a path starting with '/'")
    html = section.get("html", str)
    if not html:
        raise section.fail("html", "expected the challenge page's HTML")
    listed = section.get("fingerprints", list, None)
    try:
        ja4s = fingerprints(listed, "fingerprints") if listed is not None else ()
    except FingerprintError as exc:
        key, _, message = str(exc).partition(": ")
        raise section.fail(key, message) from None
    return Challenge(
        hosts=tuple(host.rstrip(".").lower() for host in _strings(section, "hosts")),
        path_prefix=path_prefix,
        originators=_strings(section, "originators"),
        status=status,
        headers=headers,
        html=html,
        fingerprints=ja4s,
    )


def load_conditions(directory: Path = CONDITION_DIR) -> list[Condition]:
    """The direct baseline plus every condition file in ``directory``, which must exist (an
    empty one runs the direct condition alone): a copy of the origin files that left it out
    would otherwise judge a smaller matrix without a word."""
    try:
        data_directory(directory, "conditions")
    except FixtureError as exc:
        raise FixtureError(f"{exc} (an empty one runs the direct condition only)") from None
    conditions = [DIRECT]
    conditions += [load_condition(path) for path in sorted(directory.glob("*.json"))]
    names = [condition.name for condition in conditions]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise FixtureError(
            f"{directory}: duplicate condition names: {', '.join(sorted(duplicates))}"
        )
    return conditions
