"""The sandbox on its own: each job's process starts clean, ends with its tree, and the judge's
clock holds whatever the factory does with signals; a module whose import ends its process is a
usage error naming the import. Build-only jobs (no call), so no network is needed."""

from __future__ import annotations

import os
import re
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.network.routing import Router
from harness.sandbox.contract import PROBE, FactoryError
from harness.sandbox.pool import Ran, Sandbox
from harness.sandbox.wire import Job

FACTORIES = """
import os
import signal
import subprocess

import openai


def _client(async_client):
    kind = openai.AsyncOpenAI if async_client else openai.OpenAI
    return kind(api_key="k", base_url="https://api.openai.com/v1")


def dirties_environment(provider, base_url, api_key, *, async_client=False):
    names = ("REQUEST_METHOD", "SANDBOX_PROBE", "Https_Proxy")
    seen = {name: os.environ.get(name) for name in names}
    os.environ["REQUEST_METHOD"] = "GET"
    os.environ["SANDBOX_PROBE"] = "left by an earlier job"
    raise ValueError(repr(seen))


def leaves_a_daemon(provider, base_url, api_key, *, async_client=False):
    # double fork and setsid: the daemon is no child of the job's process
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", "61"])
        os._exit(0)
    return _client(async_client)


def _block_forever():
    # waits in C on a pipe nobody writes to: only the end of the process ends it
    read_end, _write_end = os.pipe()
    os.read(read_end, 1)


def cancels_the_alarm_and_blocks(provider, base_url, api_key, *, async_client=False):
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGTERM, signal.SIGINT})
    _block_forever()
    return _client(async_client)


def builds(provider, base_url, api_key, *, async_client=False):
    return _client(async_client)
"""


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    (tmp_path / "sandboxed.py").write_text(FACTORIES)
    monkeypatch.syspath_prepend(str(tmp_path))  # the worker gets the judge's sys.path
    with Sandbox(import_seconds=60) as opened:
        yield opened


def build(sandbox: Sandbox, name: str, deadline: float = 10) -> Ran:
    job = Job(*PROBE, False, None, environ={}, routes=Router().table())
    return sandbox.run(f"sandboxed:{name}", job, deadline)


def test_nothing_a_job_does_to_its_environment_reaches_the_next(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("Https_Proxy", "http://127.0.0.1:9")  # the caller's shell: never inherited
    first, second = build(sandbox, "dirties_environment"), build(sandbox, "dirties_environment")
    clean = repr({"REQUEST_METHOD": None, "SANDBOX_PROBE": None, "Https_Proxy": None})
    assert first.broken is not None and second.broken is not None
    assert first.broken[1] == second.broken[1] == f"ValueError({clean!r})"


def _running(command: bytes) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes() == command:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process trees from /proc")
def test_a_daemon_that_left_the_session_is_named_and_ended(sandbox: Sandbox) -> None:
    ran = build(sandbox, "leaves_a_daemon")
    assert ran.built == "OpenAI" and ran.exit_code == 0
    assert len(ran.leftovers) == 1 and "(sleep 61)" in ran.leftovers[0], ran.leftovers
    assert _running(b"sleep\x0061\x00") == [], "the daemon outlived its job"


def test_the_judges_clock_holds_when_the_factory_masks_every_signal(sandbox: Sandbox) -> None:
    sandbox.worker("sandboxed:cancels_the_alarm_and_blocks")  # started: only the job is timed
    started = time.monotonic()
    ran = build(sandbox, "cancels_the_alarm_and_blocks", deadline=1)
    elapsed = time.monotonic() - started
    assert ran.breached == "build" and ran.exit_signal == 9, ran
    assert elapsed < 1 + 1, elapsed


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("import sys\nsys.exit(3)\n", "importing endsimport raised SystemExit(3)"),
        ("import os\nos._exit(0)\n", "importing endsimport ended its process (exit code 0)"),
    ],
    ids=["sys.exit", "os._exit"],
)
def test_a_module_whose_import_ends_its_process_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, words: str
) -> None:
    (tmp_path / "endsimport.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    with Sandbox(import_seconds=60) as sandbox, pytest.raises(FactoryError, match=re.escape(words)):
        sandbox.worker("endsimport:factory")


def test_the_worker_is_gone_once_the_sandbox_closes(tmp_path: Path) -> None:
    with Sandbox() as sandbox:
        worker = sandbox.worker("harness.targets.reference:factory")
    assert worker.process.poll() is not None
    assert not os.path.exists(f"/proc/{worker.process.pid}/cmdline") or (
        worker.process.returncode is not None
    )
