"""The command line's contract: one meaning per exit code for every subcommand, help that stands
on its own, a factory that raises reported as a failed row, and SIGTERM/SIGINT turned into an
orderly unwind that leaves no temporary file and no listener behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import harness.cli
from conftest import RunCli, wait_for
from harness.cli import keepalive_expectation, main
from harness.fixtures import FIXTURE_DIR
from harness.interrupts import Interrupted, checkpoint, unwinding_on_signals
from harness.judging.expectation import ENV_VAR, KeepaliveExpectation
from harness.judging.verdicts import CAUSES

REFERENCE = "harness.targets.reference:factory"


# Help.


@pytest.mark.parametrize("command", ["", "repro", "diagnose", "record"])
def test_help_stands_on_its_own(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"] if command else ["--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    codes, _, example = text.partition("\nexit codes:\n")[2].partition("\nexample:\n")
    for code in ("0", "2", "3", "130"):
        assert f"\n  {code} " in f"\n{codes}", f"exit code {code} not explained:\n{text}"
    assert "usage error" in codes and "bug" in codes
    assert f"python -m harness {command}".rstrip() in example, text
    assert str(FIXTURE_DIR) not in text  # defaults are named, not a path of this checkout


def test_help_names_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    texts = {}
    for command in ("repro", "diagnose", "record"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        texts[command] = " ".join(capsys.readouterr().out.split())
    assert "chatgpt-codex" in texts["repro"] and "packaged origin files" in texts["repro"]
    assert "idle 30 s" in texts["diagnose"] and ENV_VAR in texts["diagnose"]
    assert "packaged origin files" in texts["diagnose"]
    assert all(cause in texts["diagnose"] for cause in CAUSES)
    assert "variants default and keepalive" in texts["record"]
    assert "HARNESS_RECORD_BEARER" in texts["record"]


# Exit codes.


def test_bad_argument_is_exit_2() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["diagnose"])
    assert exited.value.code == 2


def test_harness_error_is_exit_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["repro", "--fixture", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --fixture: no fixture named 'nope'; have: ")
    assert "Traceback" not in err


def test_unloadable_factory_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagnose", "harness.targets.nope:factory"]) == 2
    assert "cannot import harness.targets.nope" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, env, source",
    [
        (["--keepalive-idle", "0"], "", "--keepalive-idle"),
        (["--keepalive-idle", "-5"], "", "--keepalive-idle"),
        (["--keepalive-idle", "abc"], "", "--keepalive-idle"),
        (["--keepalive-idle", "32768"], "", "--keepalive-idle"),
        (["--keepalive-idle", "999999999"], "", "--keepalive-idle"),
        (["--keepalive-idle="], "", "--keepalive-idle"),
        ([], "abc", f"env {ENV_VAR}"),
        ([], "0", f"env {ENV_VAR}"),
    ],
)
def test_invalid_keepalive_idle_is_one_usage_error(
    args: list[str],
    env: str,
    source: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(ENV_VAR, env)
    assert main(["diagnose", REFERENCE, *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"error: {source}: ")
    assert "a whole number of seconds from 1 to 32767 (Linux's TCP_KEEPIDLE limit), or 'off'" in err


def test_keepalive_expectation_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert keepalive_expectation(None) == (KeepaliveExpectation(30), "default")
    monkeypatch.setenv(ENV_VAR, "off")
    assert keepalive_expectation(None) == (KeepaliveExpectation(None), f"env {ENV_VAR}")
    assert keepalive_expectation("60") == (KeepaliveExpectation(60), "--keepalive-idle")
    assert keepalive_expectation("32767") == (KeepaliveExpectation(32767), "--keepalive-idle")


def test_bug_in_the_harness_is_exit_3_with_its_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ValueError from anywhere is a bug, not a usage error."""

    def broken(*args: object) -> object:
        raise ValueError("broken inside the harness")

    monkeypatch.setattr(harness.cli, "run_repro", broken)
    assert main(["repro"]) == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "ValueError: broken inside the harness" in err
    assert "a bug" in err


RAISING_FACTORY = """
from harness.targets import reference

def factory(provider, base_url, api_key, *, async_client=False):
    if provider == "openrouter":
        raise ValueError("no client for openrouter")
    return reference.factory(provider, base_url, api_key, async_client=async_client)
"""


def test_diagnose_factory_that_raises(tmp_path: Path, run_cli: RunCli) -> None:
    """A factory that raises for one provider: its rows fail, and so do the long-lived rows, whose
    process builds that provider's client first and names that build; the table and the --output
    file are still written, exit 1, no traceback."""
    (tmp_path / "raising_factory.py").write_text(textwrap.dedent(RAISING_FACTORY))
    output = tmp_path / "out" / "diagnose.json"
    done = run_cli(
        "diagnose",
        "raising_factory:factory",
        "--output",
        str(output),
        env={"PYTHONPATH": str(tmp_path)},
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and not done.stderr.strip(), done.stderr
    cause = "factory raised: ValueError('no client for openrouter')"
    failed = [line for line in done.stdout.splitlines() if "FAIL" in line]
    own = [line for line in failed if line.startswith("openrouter@")]
    long_lived = [line for line in failed if not line.startswith("openrouter@")]
    assert own and all(line.endswith(f"FAIL: {cause}") for line in own)
    built_first = f"{cause} (building the client for openrouter@https://openrouter.ai/api/v1, the "
    assert len(long_lived) == 4
    assert all(" long-lived " in line and f"FAIL: {built_first}" in line for line in long_lived)
    assert f"  {len(failed)} x factory raised" in done.stdout.splitlines()
    report = json.loads(output.read_text())
    assert report["causes"] == {"factory raised": len(failed)}
    causes = [row["cause"] for row in report["rows"] if not row["ok"]]
    assert causes.count(cause) == len(own)
    assert sum(c.startswith(built_first) for c in causes) == len(long_lived)


def test_diagnose_reference_exit_0_with_json_and_the_expectation_in_force(
    run_cli: RunCli,
) -> None:
    done = run_cli("diagnose", "--json", REFERENCE, env={ENV_VAR: "off"})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True
    assert report["keepalive"] == {
        "judged": False,
        "idle_seconds": None,
        "source": f"env {ENV_VAR}",
    }


# Signals.


LISTEN, ESTABLISHED = "0A", "01"  # TCP states as /proc/net/tcp spells them


def listening_sockets(pid: int, state: str = LISTEN) -> set[str]:
    """``address:port`` (as /proc/net/tcp spells them) of ``pid``'s sockets in ``state``."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return {address for address, inode in listening(state) if inode in inodes}


def listening(state: str = LISTEN) -> Iterator[tuple[str, str]]:
    """``(local address, inode)`` of every TCP socket of the machine in ``state``."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as rows:
            next(rows)
            for row in rows:
                fields = row.split()
                if fields[3] == state:
                    yield fields[1], fields[9]


def stalling_fixtures(tmp_path: Path) -> Path:
    """The Codex fixture with its reset replaced by a 20 s stall: repro then blocks in a read."""
    directory = tmp_path / "fixtures"
    directory.mkdir()
    data = json.loads((FIXTURE_DIR / "chatgpt-codex.json").read_text())
    data["faults"] = [{"when": "keepalive", "action": "stall", "seconds": 20}]
    (directory / "chatgpt-codex.json").write_text(json.dumps(data))
    return directory


@pytest.mark.parametrize(
    "command, signum",
    [
        ("diagnose", signal.SIGTERM),
        ("diagnose", signal.SIGINT),
        ("repro", signal.SIGTERM),
    ],
)
def test_signal_unwinds_and_leaves_nothing(tmp_path: Path, command: str, signum: int) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    args = (
        ["diagnose", REFERENCE]
        if command == "diagnose"
        else [
            "repro",
            "--fixtures",
            str(stalling_fixtures(tmp_path)),
        ]
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    try:
        wait_for(lambda: any(scratch.iterdir()), 60, "a temporary directory")
        wait_for(lambda: listening_sockets(process.pid), 60, "a listening socket")
        # a connection is up: scenarios are running (diagnose), or a client is stalled (repro)
        wait_for(lambda: listening_sockets(process.pid, ESTABLISHED), 60, "a connection")
        listeners = listening_sockets(process.pid)
        assert process.poll() is None, "finished before the signal: nothing was tested"
        sent = time.monotonic()
        process.send_signal(signum)
        _out, err = process.communicate(timeout=30)
        took = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 128 + signum, err
    assert took < 10, f"took {took:.1f} s to stop"
    assert "Traceback" not in err, err
    assert f"interrupted by {signal.Signals(signum).name}" in err
    assert not list(scratch.iterdir()), list(scratch.rglob("*"))
    assert listeners and not listeners & {address for address, _ in listening()}


def test_unwinding_on_signals_in_process() -> None:
    """SIGTERM inside the block raises Interrupted where the main thread was; the handler in
    place before (here one that only records, so a broken block cannot kill pytest) is back."""
    received: list[int] = []

    def record(signum: int, frame: object) -> None:
        received.append(signum)

    previous = signal.signal(signal.SIGTERM, record)
    try:
        with pytest.raises(Interrupted) as raised, unwinding_on_signals():
            signal.raise_signal(signal.SIGTERM)  # the handler runs before this returns
            pytest.fail("the signal did not interrupt the block")
        assert raised.value.exit_code == 128 + signal.SIGTERM
        assert signal.getsignal(signal.SIGTERM) is record
        assert received == []
    finally:
        signal.signal(signal.SIGTERM, previous)


class _RaisesWhenCollected:
    def __del__(self) -> None:
        raise Interrupted(signal.SIGTERM)


def test_a_swallowed_interruption_is_raised_again_at_the_next_checkpoint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A signal can land in a weakref callback or ``__del__``, where Python swallows the raise:
    it is recorded, the checkpoint raises it again, and the swallowed one prints nothing."""
    received: list[int] = []

    def record(signum: int, frame: object) -> None:
        received.append(signum)

    previous = signal.signal(signal.SIGTERM, record)
    try:
        with pytest.raises(Interrupted) as raised, unwinding_on_signals():
            try:
                signal.raise_signal(signal.SIGTERM)
                pytest.fail("the signal did not interrupt the block")
            except Interrupted:
                pass  # swallowed, as code under test might
            _RaisesWhenCollected()  # an unraisable Interrupted: printed by nobody
            checkpoint()
        assert raised.value.signum == signal.SIGTERM
        assert "Traceback" not in capsys.readouterr().err
        assert received == []
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_checkpoints_outside_the_block_raise_nothing() -> None:
    """A signal handled inside one block is not raised again by a later, unrelated checkpoint
    (diagnose calls them outside the command line too)."""
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with pytest.raises(Interrupted), unwinding_on_signals():
            signal.raise_signal(signal.SIGTERM)
        checkpoint()
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_bad_identity_setting_is_refused_before_the_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HARNESS_IDENTITY", raising=False)
    assert main(["diagnose", REFERENCE, "--harness-identity", "cookie"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: --harness-identity: 'cookie' is not allowed; expected 'off' or a comma-separated "
        "list of originator, user-agent, chatgpt-account-id, tls-fingerprint\n"
    )
