"""Fixture files are data with provenance; a malformed one names its file and field."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from harness.fixtures import (
    ENDPOINT_KEYS,
    FIXTURE_DIR,
    ORIGIN_FILE_KEYS,
    ORIGIN_KEYS,
    OUTCOME_KEYS,
    PROVENANCE_REQUIRED,
    REPLY_KEYS,
    REPORT_KEYS,
    REQUEST_KEYS,
    SSE_EVENT_KEYS,
    FixtureError,
    load_fixture,
    load_fixtures,
)
from harness.network.conditions import CONDITION_FILE_KEYS, REFUSAL_KEYS, load_conditions
from harness.network.edge import CHALLENGE_KEYS
from harness.network.faults import RULE_KEYS


def test_shipped_fixtures_load_with_provenance() -> None:
    fixtures = load_fixtures()
    assert {f.name for f in fixtures} >= {
        "chatgpt-codex",
        "api-openai",
        "openrouter",
        "local-server",
    }
    for fixture in fixtures:
        assert fixture.provenance["source"].startswith("https://")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", fixture.provenance["date"])
        assert fixture.endpoints, fixture.name


def test_codex_fixture_records_the_report() -> None:
    codex = load_fixture(FIXTURE_DIR / "chatgpt-codex.json")
    assert codex.report is not None
    assert codex.report.outcomes["default"].status == 400
    assert codex.report.outcomes["default"].body == {"detail": "Input must be a list"}
    assert codex.report.outcomes["custom"].errno == "ECONNRESET"
    assert codex.fault_spec == [{"when": "keepalive", "action": "reset"}]


def _good() -> dict[str, Any]:
    return json.loads((FIXTURE_DIR / "api-openai.json").read_text())


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        data = data[int(part)] if part.isdigit() else data[part]  # type: ignore[index]
    if value is KeyError:
        del data[last]
    else:
        data[last] = value


BROKEN = {
    "not_json": (None, "not valid JSON"),
    "schema": (("schema", 99), "schema: unsupported schema version"),
    "missing_source": (("provenance.source", KeyError), "provenance.source: missing"),
    "bad_scheme": (("origin.scheme", "ftp"), "origin.scheme: expected 'http' or 'https'"),
    "bad_rule": (
        ("faults", [{"when": "sometimes", "action": "reset"}]),
        r"faults\[0\].when: unknown predicate",
    ),
    "bad_action": (
        ("faults", [{"when": "always", "action": "explode"}]),
        r"faults\[0\].action: unknown action",
    ),
    "bad_status": (("replies.0.status", 42), r"replies\[0\].status: not an HTTP status"),
    "endpoint_host": (
        ("endpoints.0.base_url", "https://other.test/v1"),
        r"endpoints\[0\].base_url: host",
    ),
    "wrong_type": (("endpoints.0.codex", "no"), r"endpoints\[0\].codex: expected bool"),
}


@pytest.mark.parametrize("change, message", BROKEN.values(), ids=list(BROKEN))
def test_malformed_fixture_names_file_and_field(
    tmp_path: Path, change: tuple[str, Any] | None, message: str
) -> None:
    path = tmp_path / "broken.json"
    if change is None:
        path.write_text("{ not json")
    else:
        data = _good()
        _set(data, *change)
        path.write_text(json.dumps(data))
    with pytest.raises(FixtureError, match=re.escape(str(path)) + ".*" + message):
        load_fixture(path)


def test_duplicate_names_are_rejected(tmp_path: Path) -> None:
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps(_good()))
    with pytest.raises(FixtureError, match="name: 'api-openai' is also used by"):
        load_fixtures(tmp_path)


def test_one_host_on_two_ports_is_two_origins(tmp_path: Path) -> None:
    """The router tells them apart by port, so two origin files may share a host name."""
    for name, port in (("a", 443), ("b", 8443)):
        data = _good()
        data["name"], data["origin"]["port"] = f"api-{name}", port
        data["endpoints"] = [
            dict(data["endpoints"][0], base_url=f"https://api.openai.com:{port}/v1")
        ]
        (tmp_path / f"{name}.json").write_text(json.dumps(data))
    assert [f.port for f in load_fixtures(tmp_path)] == [443, 8443]


def test_malformed_fixture_stops_the_pytest_run(pytester: pytest.Pytester) -> None:
    broken = pytester.mkdir("fx")
    (broken / "x.json").write_text(json.dumps(dict(_good(), schema=2)))
    pytester.makepyfile(test_inner_split="from harness.suites.split import *  # noqa: F403\n")
    result = pytester.runpytest_inprocess(f"--harness-fixtures={broken}", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*x.json: schema: unsupported schema version*"])


def test_misspelt_faults_key_is_rejected(tmp_path: Path) -> None:
    """Renamed "faults" → "fault" would load the Codex origin with no rule at all; it must not."""
    data = json.loads((FIXTURE_DIR / "chatgpt-codex.json").read_text())
    data["fault"] = data.pop("faults")
    path = tmp_path / "chatgpt-codex.json"
    path.write_text(json.dumps(data))
    with pytest.raises(FixtureError) as caught:
        load_fixture(path)
    assert str(caught.value) == f"{path}: fault: unknown key; did you mean 'faults'?"


def _codex() -> dict[str, Any]:
    return json.loads((FIXTURE_DIR / "chatgpt-codex.json").read_text())


def _rename(data: dict[str, Any], dotted: str, new: str) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        data = data[int(part)] if part.isdigit() else data[part]  # type: ignore[index]
    data[new] = data.pop(last)


# (key to rename, its misspelling) → the dotted path and hint the message must give
MISSPELT = {
    "origin": ("origin.hosts", "hots", "origin.hots: unknown key; did you mean 'hosts'?"),
    "rule": ("faults.0.action", "acton", "faults[0].acton: unknown key; did you mean 'action'?"),
    "reply": (
        "replies.0.status",
        "stauts",
        "replies[0].stauts: unknown key; did you mean 'status'?",
    ),
    "sse_event": (
        "replies.1.sse.2.data",
        "dta",
        "replies[1].sse[2].dta: unknown key; did you mean 'data'?",
    ),
    "endpoint": (
        "endpoints.3.base_url",
        "baseurl",
        "endpoints[3].baseurl: unknown key; did you mean 'base_url'?",
    ),
    "report": (
        "report.request",
        "requests",
        "report.requests: unknown key; did you mean 'request'?",
    ),
    "request": (
        "report.request.json",
        "jsn",
        "report.request.jsn: unknown key; did you mean 'json'?",
    ),
    "outcome": (
        "report.outcomes.custom.errno",
        "erno",
        "report.outcomes.custom.erno: unknown key; did you mean 'errno'?",
    ),
    "no_close_match": (
        "origin.port",
        "zzz",
        "origin.zzz: unknown key; valid keys: hosts, port, scheme",
    ),
}


@pytest.mark.parametrize("dotted, typo, message", MISSPELT.values(), ids=list(MISSPELT))
def test_unknown_key_at_every_level_names_path_and_closest_key(
    tmp_path: Path, dotted: str, typo: str, message: str
) -> None:
    data = _codex()
    _rename(data, dotted, typo)
    path = tmp_path / "codex.json"
    path.write_text(json.dumps(data))
    with pytest.raises(FixtureError) as caught:
        load_fixture(path)
    assert str(caught.value) == f"{path}: {message}"


def test_provenance_is_free_form_beyond_source_and_date(tmp_path: Path) -> None:
    data = _codex()
    data["provenance"]["anything_worth_keeping"] = {"nested": ["facts"]}
    path = tmp_path / "codex.json"
    path.write_text(json.dumps(data))
    assert load_fixture(path).provenance["anything_worth_keeping"] == {"nested": ["facts"]}


def test_condition_files_are_strict_too(tmp_path: Path) -> None:
    conditions = FIXTURE_DIR / "conditions"
    assert [c.name for c in load_conditions(conditions)] == [
        "direct",
        "codex-edge-challenge",
        "codex-stream-stall",
        "https-proxy",
        "ipv6-blackhole",
        "proxy-only",
        "proxy-refuses",
        "socks5-proxy",
        "socks5h-proxy",
    ]
    data = json.loads((conditions / "proxy-only.json").read_text())
    data["no_proxi"] = "localhost"
    (tmp_path / "proxy-only.json").write_text(json.dumps(data))
    with pytest.raises(FixtureError) as caught:
        load_conditions(tmp_path)
    expected = f"{tmp_path / 'proxy-only.json'}: no_proxi: unknown key; did you mean 'no_proxy'?"
    assert str(caught.value) == expected


@pytest.mark.parametrize(
    "change, message",
    [
        ({"status": 200}, "proxy_refusal.status: 200 is not an HTTP error status"),
        ({"status": "403"}, "proxy_refusal.status: expected"),
        ({"headers": {"X-Squid-Error": 0}}, "proxy_refusal.headers: expected an object of strings"),
        ({"reason": "denied"}, "proxy_refusal.reason: unknown key"),
        ({"proxy_env": []}, "proxy_refusal: a refusing proxy needs proxy_env naming it"),
    ],
)
def test_a_refusing_proxy_is_read_strictly(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    data = json.loads((FIXTURE_DIR / "conditions" / "proxy-refuses.json").read_text())
    if "proxy_env" in change:
        data.update(change)
    else:
        data["proxy_refusal"].update(change)
    (tmp_path / "refuses.json").write_text(json.dumps(data))
    with pytest.raises(FixtureError) as caught:
        load_conditions(tmp_path)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"proxy_scheme": "socks4"}, "proxy_scheme: 'socks4' is not one of http, socks5, socks5h"),
        ({"proxy_scheme": "socks"}, "proxy_scheme: 'socks' is not one of"),
        ({"proxy_scheme": 5}, "proxy_scheme: expected"),
        ({"proxy_env": []}, "proxy_scheme: a SOCKS proxy needs proxy_env naming it"),
    ],
)
def test_a_socks_proxy_is_read_strictly(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    data = json.loads((FIXTURE_DIR / "conditions" / "socks5-proxy.json").read_text())
    data.update(change)
    (tmp_path / "socks.json").write_text(json.dumps(data))
    with pytest.raises(FixtureError) as caught:
        load_conditions(tmp_path)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"ipv6_blackhole": {"hosts": []}}, "ipv6_blackhole.hosts: expected a non-empty list"),
        ({"ipv6_blackhole": {"hosts": ["chatgpt.com"], "drop": 1}}, "ipv6_blackhole.drop"),
        ({"ipv6_blackhole": ["chatgpt.com"]}, "ipv6_blackhole: expected"),
        (
            {"stream_stall": {"hosts": ["chatgpt.com"], "stall": {"seconds": 1}}},
            "a condition has one of stream_stall, ipv6_blackhole, not several",
        ),
    ],
)
def test_an_ipv6_blackhole_is_read_strictly(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    data = json.loads((FIXTURE_DIR / "conditions" / "ipv6-blackhole.json").read_text())
    data.update(change)
    (tmp_path / "blackhole.json").write_text(json.dumps(data))
    with pytest.raises(FixtureError) as caught:
        load_conditions(tmp_path)
    assert message in str(caught.value)


def test_an_ipv6_blackhole_concerns_the_endpoints_on_its_hosts() -> None:
    named = {c.name: c for c in load_conditions(FIXTURE_DIR / "conditions")}
    blackhole = named["ipv6-blackhole"]
    assert blackhole.hosts == ("chatgpt.com", "openrouter.ai")
    assert blackhole.environ("http://127.0.42.1:3128") == {}
    assert blackhole.provenance["reports"]


def test_a_socks_condition_hands_clients_its_scheme() -> None:
    """The variables carry the harness proxy's address under the condition's scheme."""
    named = {c.name: c for c in load_conditions(FIXTURE_DIR / "conditions")}
    proxy = "http://127.0.42.1:3128"
    assert named["socks5-proxy"].environ(proxy) == {
        "ALL_PROXY": "socks5://127.0.42.1:3128",
        "NO_PROXY": "openrouter.ai",
    }
    assert named["socks5h-proxy"].environ(proxy) == {"ALL_PROXY": "socks5h://127.0.42.1:3128"}
    assert named["https-proxy"].environ(proxy) == {"HTTPS_PROXY": proxy}


def test_readme_schema_lists_every_key() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("\n## Fixtures\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([a-z][a-z0-9_]*)`", section))
    every_key = {
        *ORIGIN_FILE_KEYS,
        *PROVENANCE_REQUIRED,
        *ORIGIN_KEYS,
        *RULE_KEYS,
        *REPLY_KEYS,
        *SSE_EVENT_KEYS,
        *ENDPOINT_KEYS,
        *REPORT_KEYS,
        *REQUEST_KEYS,
        *OUTCOME_KEYS,
        *CONDITION_FILE_KEYS,
        *CHALLENGE_KEYS,
        *REFUSAL_KEYS,
    }
    assert sorted(every_key - documented) == []
