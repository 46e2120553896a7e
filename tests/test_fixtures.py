"""Fixture files are data with provenance; a malformed one names its file and field."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from harness.fixtures import FIXTURE_DIR, FixtureError, load_fixture, load_fixtures


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


def test_malformed_fixture_stops_the_pytest_run(pytester: pytest.Pytester) -> None:
    broken = pytester.mkdir("fx")
    (broken / "x.json").write_text(json.dumps(dict(_good(), schema=2)))
    pytester.makepyfile(test_inner_split="from harness.suites.split import *  # noqa: F403\n")
    result = pytester.runpytest_inprocess(f"--harness-fixtures={broken}", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*x.json: schema: unsupported schema version*"])
