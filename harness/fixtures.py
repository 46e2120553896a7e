"""Recorded fault fixtures: one JSON file per origin, loaded and validated before anything starts.

A fixture is data only. It says where its facts come from (provenance), which hosts the origin
answers for, the fault rule its gate applies, the replies its backend serves, the endpoints
(provider + base URL) that land on it, and, where a report gives them, the outcomes the report
observed. A malformed file fails with a message naming the file and the field; so does a key the
schema does not know (with the closest known one), because a misspelt optional key would otherwise
read as "not given". Provenance alone is free-form: it is metadata the harness only shows.
"""

from __future__ import annotations

import importlib.resources
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.errors import HarnessError
from harness.keys import unknown_key_message, unknown_keys
from harness.network.faults import MAX_STALL_SECONDS, FaultRules, RuleError

#: The package the top-level ``fixtures/`` directory ships as (see pyproject.toml).
FIXTURE_PACKAGE = "harness.fault_fixtures"


def packaged_fixture_dir() -> Path:
    """Where the installed harness keeps its origin files, found through importlib (a wheel,
    an sdist build and an editable checkout alike); a placeholder that loads as "does not exist"
    naming the package if it is missing."""
    try:
        return Path(str(importlib.resources.files(FIXTURE_PACKAGE)))
    except ModuleNotFoundError:
        return Path(f"<{FIXTURE_PACKAGE} is not installed>")


FIXTURE_DIR = packaged_fixture_dir()
SCHEMA_VERSION = 1
JSON_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "array": list,
    "object": dict,
    "number": (int, float),
    "bool": bool,
}


class FixtureError(HarnessError, ValueError):
    """A fixture file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class StreamStall:
    """Silence inside a response: after the headers and ``after_events`` SSE events (0: before
    the first byte), nothing for ``seconds``; then the rest, as a provider that is only slow."""

    after_events: int
    seconds: float


@dataclass(frozen=True)
class Reply:
    """One canned response, chosen when the request matches method, path and JSON shape."""

    method: str
    path: str
    path_is_suffix: bool
    when_json: Mapping[str, str]
    status: int
    headers: Mapping[str, str]
    json_body: Any = None
    sse: tuple[Mapping[str, Any], ...] | None = None
    text_body: str | None = None
    #: Close the connection once the request has arrived, without any response.
    close_before_response: bool = False
    #: Send this many SSE events, then half of the next one, then drop the connection.
    sse_cut_after: int | None = None
    stall: StreamStall | None = None


@dataclass(frozen=True)
class Endpoint:
    """A client configuration that should land on this origin."""

    provider: str
    base_url: str
    codex: bool
    origin: str
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.provider}@{self.base_url}"


@dataclass(frozen=True)
class ReportedOutcome:
    status: int | None = None
    body: Any = None
    errno: str | None = None
    #: The client's own words for a failure (``record`` keeps them), shown, never compared.
    error: str | None = None
    #: The class of the exception a client library raised with no transport error beneath it
    #: (the SDK's stream helper refusing an event order: ``RuntimeError``).
    raises: str | None = None


@dataclass(frozen=True)
class Report:
    """The comparison a bug report ran, and what it saw, for ``python -m harness repro``."""

    url: str
    headers: Mapping[str, str]
    payload: Mapping[str, Any]
    outcomes: Mapping[str, ReportedOutcome]
    method: str = "POST"
    #: The network condition (a file in ``conditions/`` beside the origin files) it ran under.
    condition: str | None = None
    #: The client's timeout in seconds, where the report's outcome is a client giving up.
    timeout: float | None = None


@dataclass(frozen=True)
class Fixture:
    name: str
    path: Path
    provenance: Mapping[str, Any]
    scheme: str
    hosts: tuple[str, ...]
    port: int
    faults: FaultRules
    fault_spec: Any
    replies: tuple[Reply, ...]
    endpoints: tuple[Endpoint, ...]
    report: Report | None = None
    description: str = field(default="")


#: The keys each level of an origin file may hold (``provenance`` is free-form beyond its own).
ORIGIN_FILE_KEYS = (
    "schema",
    "name",
    "description",
    "provenance",
    "origin",
    "faults",
    "replies",
    "endpoints",
    "report",
)
PROVENANCE_REQUIRED = ("source", "date")
ORIGIN_KEYS = ("scheme", "hosts", "port")
REPLY_KEYS = (
    "method",
    "path",
    "path_suffix",
    "when_json",
    "status",
    "headers",
    "json",
    "sse",
    "text",
    "close_before_response",
    "sse_cut_after",
    "stall",
)
STALL_KEYS = ("after_events", "seconds")
SSE_EVENT_KEYS = ("event", "data")
ENDPOINT_KEYS = ("provider", "base_url", "codex", "note")
REPORT_KEYS = ("request", "outcomes", "condition")
REQUEST_KEYS = ("url", "method", "headers", "json", "timeout")
OUTCOME_KEYS = ("status", "body", "errno", "error", "raises")
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")
#: One DNS label as a host name may spell it (RFC 1123): letters, digits, inner dashes.
HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def hostname_problem(host: str) -> str | None:
    """Why ``host`` cannot be a routed name (``None`` if it can): a DNS name of RFC 1123
    labels (one trailing dot allowed, as in a fully qualified name), or an IP address literal."""
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    host = host.removesuffix(".")
    if len(host) > 253:
        return "longer than 253 characters"
    for label in host.split("."):
        if not HOST_LABEL.fullmatch(label):
            return f"label {label!r} is not letters, digits and inner dashes"
    return None


class _Fields:
    """Typed access to a JSON object that reports the file and dotted field on error."""

    def __init__(self, path: Path, data: Any, where: str) -> None:
        if not isinstance(data, Mapping):
            raise FixtureError(f"{path}: {where or 'top level'}: expected an object")
        self.path, self.data, self.where = path, data, where

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, message: str) -> FixtureError:
        return FixtureError(f"{self.path}: {self._name(key)}: {message}")

    def only(self, valid: tuple[str, ...]) -> _Fields:
        """Reject the first key not in ``valid``, naming the closest valid one."""
        for key in unknown_keys(self.data, valid):
            raise self.fail(key, unknown_key_message(key, valid))
        return self

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "missing")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise self.fail(key, f"expected {names}, got {type(value).__name__}")
        return value

    def child(self, key: str, default: Any = ...) -> _Fields:
        return _Fields(self.path, self.get(key, dict, default), self._name(key))

    def items(self, key: str, default: Any = ...) -> list[_Fields]:
        values = self.get(key, list, default)
        return [_Fields(self.path, v, f"{self._name(key)}[{i}]") for i, v in enumerate(values)]


#: A checked section of a data file, for the readers of other sections (conditions).
Section = _Fields


def parse_reply(spec: Mapping[str, Any], where: str = "reply") -> Reply:
    """One reply from its fixture form (for tests that add replies of their own)."""
    return _reply(_Fields(Path("<inline>"), spec, where))


def _reply(item: _Fields) -> Reply:
    item.only(REPLY_KEYS)
    path = item.get("path", str, None)
    suffix = item.get("path_suffix", str, None)
    if (path is None) == (suffix is None):
        raise item.fail("path", "give exactly one of 'path' and 'path_suffix'")
    when = item.get("when_json", dict, {})
    for key, kind in when.items():
        if kind not in JSON_TYPES:
            raise item.fail(
                f"when_json.{key}", f"unknown JSON type {kind!r} ({', '.join(JSON_TYPES)})"
            )
    status = item.get("status", int)
    if not 100 <= status <= 599:
        raise item.fail("status", f"not an HTTP status: {status}")
    sse = item.get("sse", list, None)
    if sse is not None:
        for event in item.items("sse"):
            event.only(SSE_EVENT_KEYS).get("data", object)
            event.get("event", str, None)
    if sum(key in item.data for key in ("json", "sse", "text")) > 1:
        raise item.fail("json", "give at most one of 'json', 'sse' and 'text'")
    cut = item.get("sse_cut_after", int, None)
    if cut is not None and (sse is None or not 0 <= cut < len(sse)):
        raise item.fail("sse_cut_after", "needs 'sse' and a count below its number of events")
    return Reply(
        method=item.get("method", str).upper(),
        path=path if path is not None else suffix,
        path_is_suffix=suffix is not None,
        when_json=dict(when),
        status=status,
        headers=dict(item.get("headers", dict, {})),
        json_body=item.data.get("json"),
        sse=tuple(sse) if sse is not None else None,
        text_body=item.get("text", str, None),
        close_before_response=item.get("close_before_response", bool, False),
        sse_cut_after=cut,
        stall=_stall(item, len(sse) if sse is not None else None),
    )


def _stall(item: _Fields, events: int | None) -> StreamStall | None:
    """The reply's ``stall`` (bounded as the gate's is); it cannot be combined with a cut or a
    close, which end the response it would pause."""
    if "stall" not in item.data:
        return None
    for other in ("sse_cut_after", "close_before_response"):
        if item.data.get(other):
            raise item.fail("stall", f"cannot be combined with {other!r}")
    if events is None:
        return read_stall(item.child("stall"), 0, "0")
    return read_stall(item.child("stall"), events, f"0 to {events} (the number of 'sse' events)")


def read_stall(section: _Fields, most: int | None = None, most_said: str = "") -> StreamStall:
    """A ``stall`` section (``after_events``, ``seconds``, bounded as the gate's stall is).
    ``most`` caps the events before the silence, worded ``most_said`` in a message; None (a
    condition's stall, which pauses whatever stream its origins send) allows any number."""
    section.only(STALL_KEYS)
    after = section.get("after_events", int, 0)
    if after < 0 or (most is not None and after > most):
        raise section.fail("after_events", f"expected {most_said or '0 or more'}, got {after}")
    seconds = _bounded_seconds(section, "seconds")
    assert seconds is not None
    return StreamStall(after, seconds)


def _bounded_seconds(section: _Fields, key: str, default: Any = ...) -> float | None:
    """A duration the harness waits out (a stall, a client's timeout): above 0 and at most
    the bound every stall has."""
    value = section.get(key, (int, float), default)
    if value is None:
        return None
    if isinstance(value, bool) or not 0 < value <= MAX_STALL_SECONDS:
        raise section.fail(key, f"expected more than 0 and at most {MAX_STALL_SECONDS:g}")
    return float(value)


def _report(section: _Fields) -> Report:
    section.only(REPORT_KEYS)
    request = section.child("request").only(REQUEST_KEYS)
    outcomes: dict[str, ReportedOutcome] = {}
    observed = section.child("outcomes")
    for variant in observed.data:
        entry = observed.child(variant).only(OUTCOME_KEYS)
        outcome = ReportedOutcome(
            status=entry.get("status", int, None),
            body=entry.data.get("body"),
            errno=entry.get("errno", str, None),
            error=entry.get("error", str, None),
            raises=entry.get("raises", str, None),
        )
        given = [outcome.status, outcome.errno, outcome.raises]
        if sum(value is not None for value in given) != 1:
            raise entry.fail("status", "give exactly one of 'status', 'errno' and 'raises'")
        outcomes[variant] = outcome
    return Report(
        url=request.get("url", str),
        headers=dict(request.get("headers", dict, {})),
        payload=dict(request.get("json", dict, {})),
        outcomes=outcomes,
        method=request.get("method", str, "POST").upper(),
        condition=section.get("condition", str, None),
        timeout=_bounded_seconds(request, "timeout", None),
    )


def read_data_file(path: Path, keys: tuple[str, ...]) -> _Fields:
    """A fixture or condition file's top level: valid JSON, a known schema, only ``keys``,
    provenance given (free-form beyond its source and date)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise FixtureError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise FixtureError(
            f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
        ) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FixtureError(f"{path}: not valid JSON: {exc}") from None
    except RecursionError:
        raise FixtureError(f"{path}: not usable JSON: nested too deeply") from None
    top = _Fields(path, raw, "")
    if top.get("schema", int) != SCHEMA_VERSION:
        raise top.fail(
            "schema", f"unsupported schema version (this harness reads {SCHEMA_VERSION})"
        )
    top.only(keys)
    provenance = top.child("provenance")
    for key in PROVENANCE_REQUIRED:
        provenance.get(key, str)
    return top


def load_fixture(path: Path) -> Fixture:
    """Read and validate one fixture file."""
    top = read_data_file(path, ORIGIN_FILE_KEYS)
    raw = top.data
    name = top.get("name", str)
    if not NAME_PATTERN.fullmatch(name):
        raise top.fail("name", "use lowercase letters, digits and dashes")
    provenance = top.child("provenance")
    origin = top.child("origin").only(ORIGIN_KEYS)
    scheme = origin.get("scheme", str)
    if scheme not in ("http", "https"):
        raise origin.fail("scheme", "expected 'http' or 'https'")
    given = origin.get("hosts", list)
    if not given or not all(isinstance(h, str) and h for h in given):
        raise origin.fail("hosts", "expected a non-empty list of hostnames")
    hosts = tuple(h.lower() for h in given)
    for index, host in enumerate(hosts):
        problem = hostname_problem(host)
        if problem is not None:
            raise origin.fail(f"hosts[{index}]", f"{given[index]!r} is not a host name: {problem}")
    port = origin.get("port", int, 443 if scheme == "https" else 80)
    try:
        faults = FaultRules.from_spec(top.get("faults", list, []))
    except RuleError as exc:
        raise FixtureError(f"{path}: {exc}") from None
    endpoints = []
    for item in top.items("endpoints", []):
        item.only(ENDPOINT_KEYS)
        base_url = item.get("base_url", str)
        parts = urlsplit(base_url)
        if (parts.hostname or "").lower() not in hosts:
            raise item.fail("base_url", f"host {parts.hostname!r} is not one of origin.hosts")
        endpoints.append(
            Endpoint(
                provider=item.get("provider", str),
                base_url=base_url,
                codex=item.get("codex", bool),
                origin=name,
                note=item.get("note", str, ""),
            )
        )
    report = _report(top.child("report")) if "report" in raw else None
    return Fixture(
        name=name,
        path=path,
        provenance=dict(provenance.data),
        scheme=scheme,
        hosts=hosts,
        port=port,
        faults=faults,
        fault_spec=raw.get("faults", []),
        replies=tuple(_reply(item) for item in top.items("replies", [])),
        endpoints=tuple(endpoints),
        report=report,
        description=top.get("description", str, ""),
    )


def data_directory(directory: Path, what: str) -> Path:
    """``directory`` if it is one; else an error saying it does not exist or is not one."""
    if not directory.exists():
        raise FixtureError(f"{directory}: {what} directory does not exist")
    if not directory.is_dir():
        raise FixtureError(f"{directory}: {what} directory is not a directory")
    return directory


def load_fixtures(directory: Path = FIXTURE_DIR) -> list[Fixture]:
    """Every ``*.json`` fixture in ``directory``, validated. Names must be unique, no host and
    port may be served by two origins (the router could reach only one), and some origin must
    list an endpoint, or there is nothing to judge."""
    paths = sorted(data_directory(directory, "origin files").glob("*.json"))
    fixtures = [load_fixture(path) for path in paths]
    if not fixtures:
        raise FixtureError(f"{directory}: no origin files (*.json)")
    names: dict[str, Path] = {}
    served: dict[tuple[str, int], Path] = {}
    for fixture in fixtures:
        if fixture.name in names:
            raise FixtureError(
                f"{fixture.path}: name: {fixture.name!r} is also used by {names[fixture.name]}"
            )
        names[fixture.name] = fixture.path
        if len(set(fixture.hosts)) < len(fixture.hosts):
            twice = sorted({h for h in fixture.hosts if fixture.hosts.count(h) > 1})
            raise FixtureError(f"{fixture.path}: origin.hosts: {twice[0]!r} is listed twice")
        for host in fixture.hosts:
            if (host, fixture.port) in served:
                raise FixtureError(
                    f"{fixture.path}: origin.hosts: {host!r} on port {fixture.port} is also "
                    f"served by {served[host, fixture.port]}"
                )
            served[host, fixture.port] = fixture.path
    if not any(fixture.endpoints for fixture in fixtures):
        raise FixtureError(f"{directory}: no origin file lists an endpoint: nothing to judge")
    return fixtures
