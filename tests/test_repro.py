"""``python -m harness repro`` prints what each client got and judges it against the fixture."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import RunCli
from harness.fixtures import FIXTURE_DIR


def test_repro_prints_the_reports_lines_and_exits_zero(run_cli: RunCli) -> None:
    result = run_cli("repro")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == 'default transport: 400 {"detail":"Input must be a list"}'
    assert lines[1] == (
        "keepalive transport: "
        f"ConnectError('[Errno {errno.ECONNRESET}] {os.strerror(errno.ECONNRESET)}')"
    )
    default, keepalive = (line for line in lines if line.startswith("  ["))
    kernel = r"\(read from (the kernel's socket diagnostics|/proc/net/tcp)\)"
    assert re.match(
        rf"  \[default transport\] chatgpt-codex: .* keepalive off {kernel}; "
        r"served \(no fault rule matched\), decided in [\d.]+ ms$",
        default,
    ), default
    assert re.match(
        rf"  \[keepalive transport\] chatgpt-codex: .* keepalive armed, idle \d+s {kernel}; "
        r"reset \(fault rule: reset when keepalive\), decided in [\d.]+ ms$",
        keepalive,
    ), keepalive
    assert "keepalive transport: matches the report" in lines


def test_repro_json(run_cli: RunCli) -> None:
    result = run_cli("repro", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    variants = {v["variant"]: v for v in report["variants"]}
    assert variants["custom"]["label"] == "keepalive transport"
    assert variants["default"]["status"] == 400
    assert variants["custom"]["cause"] == "ECONNRESET"
    assert variants["custom"]["observations"][0]["keepalive"]["armed"] is True
    assert variants["default"]["observations"][0]["action"] == "serve"
    assert variants["default"]["observations"][0]["rule"] == "no fault rule matched"


def test_repro_fails_when_the_origin_no_longer_behaves_as_recorded(
    tmp_path: Path, run_cli: RunCli
) -> None:
    shutil.copy(FIXTURE_DIR / "chatgpt-codex.json", tmp_path)
    path = tmp_path / "chatgpt-codex.json"
    data = json.loads(path.read_text())
    data["faults"] = []
    path.write_text(json.dumps(data))
    result = run_cli("repro", "--fixtures", str(tmp_path))
    assert result.returncode == 1
    assert (
        "keepalive transport: DIFFERS: report saw connection error with ECONNRESET" in result.stdout
    )
    assert "differ from the fixture" in result.stderr


def test_repro_unknown_fixture(run_cli: RunCli) -> None:
    result = run_cli("repro", "--fixture", "nope")
    assert result.returncode == 2
    assert "no fixture named 'nope'" in result.stderr


#: The reports the packaged catalog replays, by link, with what each reporter saw.
CATALOG = {
    "https://github.com/NousResearch/hermes-agent/issues/12952": "default transport 400, "
    "keepalive transport ECONNRESET",
    "https://github.com/NousResearch/hermes-agent/issues/11609": "default transport 200, "
    "keepalive transport TIMEOUT",
    "https://github.com/NousResearch/hermes-agent/issues/5169": "default transport 403",
    "https://github.com/NousResearch/hermes-agent/issues/14966": "default transport 403",
    "https://github.com/NousResearch/hermes-agent/pull/72928": "default transport 200, "
    "own SSL context (TLS 1.2 at most) 403",
    "https://github.com/NousResearch/hermes-agent/issues/32373": "default transport TIMEOUT",
    "https://github.com/NousResearch/hermes-agent/issues/90449": "default transport TIMEOUT",
    "https://github.com/NousResearch/hermes-agent/issues/61850": "default transport 200",
    "https://github.com/NousResearch/hermes-agent/issues/8133": "default transport 200, "
    "SDK stream helper RuntimeError",
    "https://github.com/NousResearch/hermes-agent/issues/14634": "default transport 200, "
    "SDK stream helper RuntimeError",
}


def test_repro_all_replays_every_report_in_one_line_each(run_cli: RunCli) -> None:
    result = run_cli("repro", "--all")
    assert result.returncode == 0, result.stdout + result.stderr
    *lines, summary = result.stdout.splitlines()
    assert len(lines) == len(CATALOG)
    for line in lines:
        verdict, link, rest = line.split(maxsplit=2)
        assert verdict == "reproduced", line
        saw = CATALOG[link]
        assert f"reporter saw {saw}; here {saw} (" in rest, line
    assert "under codex-edge-challenge" in result.stdout
    assert "under https-proxy" in result.stdout
    assert "under proxy-refuses" in result.stdout
    n = len(CATALOG)
    assert re.fullmatch(rf"{n} reports: {n} reproduced, 0 mismatched, in [\d.]+ s", summary)
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    shown = readme.split("python -m harness repro --all`: each", 1)[1].split("```")[1]
    timings = re.compile(r"[\d.]+ s\b")
    assert timings.sub("T", shown.strip()) == timings.sub("T", result.stdout.strip())


def test_repro_all_json(run_cli: RunCli) -> None:
    result = run_cli("repro", "--all", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert {report["source"] for report in data["reports"]} == set(CATALOG)
    stalled = next(r for r in data["reports"] if r["fixture"] == "codex-no-first-byte")
    (variant,) = stalled["variants"]
    assert variant["cause"] == "TIMEOUT" and variant["reported"] == "TIMEOUT"
    assert stalled["observed"].startswith("'No first byte from provider in 45s")


def test_repro_all_fails_on_one_mismatch_and_names_it(tmp_path: Path, run_cli: RunCli) -> None:
    """A catalog whose stalled stream no longer stalls: that report alone differs, exit 1."""
    shutil.copytree(FIXTURE_DIR, tmp_path / "fixtures")
    stalled = tmp_path / "fixtures" / "reports" / "codex-no-first-byte.json"
    data = json.loads(stalled.read_text())
    del data["replies"][0]["stall"]
    stalled.write_text(json.dumps(data))
    result = run_cli("repro", "--all", "--fixtures", str(tmp_path / "fixtures"))
    assert result.returncode == 1, result.stdout + result.stderr
    (mismatch,) = [line for line in result.stdout.splitlines() if line.startswith("MISMATCH")]
    assert "(codex-no-first-byte): reporter saw default transport TIMEOUT; here default " in (
        mismatch
    )
    assert "transport 200 (" in mismatch
    assert f"{len(CATALOG)} reports: {len(CATALOG) - 1} reproduced, 1 mismatched" in result.stdout
    assert result.stderr.strip() == "error: not reproduced: codex-no-first-byte"


def test_one_report_of_the_catalog_replays_by_name(run_cli: RunCli) -> None:
    result = run_cli("repro", "--fixture", "proxy-ignored")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "keepalive transport: matches the report" in result.stdout
    assert "[keepalive transport] proxy-ignored:" in result.stdout
    assert " via proxy " in result.stdout  # the default transport's connection came tunnelled


def test_all_with_a_fixture_is_a_usage_error(run_cli: RunCli) -> None:
    result = run_cli("repro", "--all", "--fixture", "chatgpt-codex")
    assert result.returncode == 2
    assert result.stderr.strip().endswith("--all replays every report; leave out --fixture")


def test_a_report_naming_an_unknown_condition_is_one_line(tmp_path: Path, run_cli: RunCli) -> None:
    shutil.copytree(FIXTURE_DIR, tmp_path / "fixtures")
    path = tmp_path / "fixtures" / "reports" / "proxy-ignored.json"
    data = json.loads(path.read_text())
    data["report"]["condition"] = "https-proxi"
    path.write_text(json.dumps(data))
    result = run_cli("repro", "--all", "--fixtures", str(tmp_path / "fixtures"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{path}: report.condition: no condition named 'https-proxi'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_stream_helper_variant_shows_what_the_sdk_refused(run_cli: RunCli) -> None:
    result = run_cli("repro", "--fixture", "responses-stream-in-progress-first")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("default transport: 200 event: response.in_progress data: ")
    assert lines[1] == (
        "SDK stream helper: RuntimeError('Expected to have received `response.created` "
        "before `response.in_progress`')"
    )
    assert "SDK stream helper: matches the report" in lines


def test_a_stream_helper_that_accepts_the_stream_is_a_mismatch(
    tmp_path: Path, run_cli: RunCli
) -> None:
    """Put response.created back first: the helper reads the stream, the report no longer holds."""
    shutil.copytree(FIXTURE_DIR, tmp_path / "fixtures")
    path = tmp_path / "fixtures" / "reports" / "responses-stream-rate-limits-first.json"
    data = json.loads(path.read_text())
    events = data["replies"][0]["sse"]
    events.insert(0, events.pop(1))  # response.created, then codex.rate_limits
    path.write_text(json.dumps(data))
    result = run_cli("repro", "--fixtures", str(tmp_path / "fixtures"), "--fixture", path.stem)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "SDK stream helper: DIFFERS: report saw RuntimeError from the client library" in (
        result.stdout
    )


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    """`repro --all | head -1` closes the pipe early: exit 141, no traceback."""
    with subprocess.Popen(
        [sys.executable, "-m", "harness", "repro", "--all"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # before the first line: its print meets a closed pipe
        stderr = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 141, stderr
    assert "Traceback" not in stderr


def test_the_stream_helper_needs_a_responses_url(tmp_path: Path, run_cli: RunCli) -> None:
    shutil.copytree(FIXTURE_DIR, tmp_path / "fixtures")
    path = tmp_path / "fixtures" / "reports" / "responses-stream-in-progress-first.json"
    data = json.loads(path.read_text())
    data["report"]["request"]["url"] = "https://responses-relay.example/openai/models"
    path.write_text(json.dumps(data))
    result = run_cli("repro", "--fixtures", str(tmp_path / "fixtures"), "--fixture", path.stem)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == (
        f"error: {path}: report.request.url: the sdk-stream-helper variant reads a Responses "
        "stream; give a URL ending in /responses"
    )
