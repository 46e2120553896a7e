"""This repository's own test configuration; the pytest plugin adopters get is harness/plugin.py.

- ``kernel_view``: tests that need the Linux kernel's view of peer sockets skip elsewhere, with
  that reason, in one place.
- ``fresh_process``: tests that run the split suite, the CLI or a fresh virtual environment in
  processes of their own (self-check, hostile environment, docs example, release). ``--quick``
  skips them for a fast local loop; ``--self-check-runs`` narrows the self-check (tox's openai3).
- ``run_cli``: ``python -m harness ...`` in a subprocess, bounded, output captured.
- ``wait_for``: poll a condition with a bound instead of sleeping a fixed time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
QUICK_OPTION = "--quick"
CLI_TIMEOUT_SECONDS = 120

RunCli = Callable[..., "subprocess.CompletedProcess[str]"]
POLL_SECONDS = 0.01


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        QUICK_OPTION,
        action="store_true",
        help="skip the fresh-process tests (self-check, hostile environment, docs example, "
        "release) for a quick local loop",
    )
    parser.addoption(
        "--self-check-runs",
        metavar="NAMES",
        help="run only these of the self-check's runs (comma-separated names from "
        "tests/test_selfcheck.py RUNS); the others are skipped, an unknown name fails",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "kernel_view: needs the Linux kernel's view of peer sockets (skipped elsewhere)"
    )
    config.addinivalue_line(
        "markers",
        f"fresh_process: runs in processes or environments of its own ({QUICK_OPTION} skips it)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from harness.network.kernel import kernel_view_available

    no_kernel_view = pytest.mark.skip(reason="needs the Linux kernel view of peer sockets")
    quick = pytest.mark.skip(reason=f"fresh-process test, skipped by {QUICK_OPTION}")
    has_kernel_view = kernel_view_available()
    for item in items:
        if not has_kernel_view and item.get_closest_marker("kernel_view"):
            item.add_marker(no_kernel_view)
        if config.getoption(QUICK_OPTION) and item.get_closest_marker("fresh_process"):
            item.add_marker(quick)


def _run_cli(
    *args: str,
    env: Mapping[str, str] | None = None,
    unset: Iterable[str] = (),
    cwd: Path | None = None,
    timeout: float = CLI_TIMEOUT_SECONDS,
) -> subprocess.CompletedProcess[str]:
    """``env`` is laid over this process's environment, ``unset`` taken out of it."""
    removed = {name.lower() for name in unset}
    environ = {k: v for k, v in os.environ.items() if k.lower() not in removed}
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**environ, **(env or {})},
        cwd=cwd,
    )


@pytest.fixture
def run_cli() -> RunCli:
    """``run_cli("repro", "--json", env={...}, unset=[...])``: the CLI in a subprocess of this
    interpreter, bounded, output captured."""
    return _run_cli


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> None:
    """Poll ``predicate`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(POLL_SECONDS)
