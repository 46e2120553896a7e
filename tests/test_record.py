"""Record → fixture → replay gives the same outcomes, and nothing secret is ever written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.fixtures import FIXTURE_DIR, load_fixture
from harness.origins import Network
from harness.record import record
from harness.redact import REDACTED, find_credentials, redact_headers, redact_json
from harness.repro import run_repro
from harness.scenario import REPORT_PAYLOAD

SECRET = "sk-harnesstest0123456789abcdefSECRET"
URL = "https://chatgpt.com/backend-api/codex/responses"


@pytest.fixture
def recorded(
    harness_network: Network, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[dict[str, object], Path]:
    monkeypatch.setenv("HARNESS_RECORD_BEARER", SECRET)
    mark = harness_network.log.mark()
    with harness_network.reachable():
        fixture = record(
            URL,
            ["default", "keepalive", "proxy"],
            method="POST",
            payload={**REPORT_PAYLOAD, "account_id": "acct_123", "note": f"Bearer {SECRET}"},
            proxy=harness_network.proxy.url,
        )
    # the origin really saw each variant: direct without keepalive, direct with, via the proxy
    seen = harness_network.log.of("chatgpt-codex", mark)
    assert [(o.direct, o.keepalive.armed, o.action) for o in seen] == [
        (True, False, "serve"),
        (True, True, "reset"),
        (False, False, "serve"),
    ]
    path = tmp_path / "recorded.json"
    path.write_text(json.dumps(fixture, indent=2))
    return fixture, path


def test_record_captures_outcomes_and_infers_the_rule(
    recorded: tuple[dict[str, object], Path],
) -> None:
    fixture, _ = recorded
    report = fixture["report"]
    assert isinstance(report, dict)
    assert report["outcomes"] == {
        "default": {"status": 400, "body": {"detail": "Input must be a list"}},
        "keepalive": {"errno": "ECONNRESET"},
        "proxy": {"status": 400, "body": {"detail": "Input must be a list"}},
    }
    assert fixture["faults"] == [{"when": "keepalive", "action": "reset"}]


def test_recorded_fixture_holds_no_credential(recorded: tuple[dict[str, object], Path]) -> None:
    _, path = recorded
    text = path.read_text()
    assert SECRET not in text
    assert "acct_123" not in text
    assert find_credentials(text) == []
    assert REDACTED in text


def test_replay_gives_the_recorded_outcomes(recorded: tuple[dict[str, object], Path]) -> None:
    _, path = recorded
    replay = run_repro(load_fixture(path))
    assert replay.ok, [(v.variant, v.line, v.expected) for v in replay.variants]
    assert [v.variant for v in replay.variants] == ["default", "keepalive", "proxy"]


def test_redaction_rules() -> None:
    headers = redact_headers({"Authorization": "Bearer abc", "Cookie": "a=b", "Accept": "x"})
    assert headers == {"Authorization": REDACTED, "Cookie": REDACTED, "Accept": "x"}
    body = redact_json({"session_token": "t", "items": [{"api_key": "k"}, f"key {SECRET}"]})
    assert body == {"session_token": REDACTED, "items": [{"api_key": REDACTED}, f"key {REDACTED}"]}


def test_no_fixture_file_contains_a_credential() -> None:
    files = sorted(FIXTURE_DIR.rglob("*.json"))
    assert files
    found = {str(path): find_credentials(path.read_text()) for path in files}
    assert {path: hits for path, hits in found.items() if hits} == {}


def test_credential_scan_finds_what_it_must() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2ln"
    assert find_credentials(f"key {SECRET} and {jwt}") == [SECRET, jwt]
    assert find_credentials(f"Authorization: Bearer {REDACTED}") == []


def test_record_cli_refuses_proxy_variant_without_proxy() -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k.lower() not in ("https_proxy", "all_proxy")}
    result = subprocess.run(
        [sys.executable, "-m", "harness", "record", "https://127.0.0.1:9/", "--variant", "proxy"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert "variant 'proxy' needs a proxy URL" in result.stderr
