"""``python -m harness repro`` prints what each client got and judges it against the fixture."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
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
