"""Benchmark: what a reset and a served scenario cost next to a plain pytest-httpserver request.

Run with ``tox -e bench`` (or ``python bench/run.py``). Prints a table and writes
``.bench/results.json``. Every figure is a median over repeated runs in this one process on this
machine, so the rows compare like with like.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from harness.fixtures import Endpoint, load_fixtures
from harness.kernel import KernelView, timer_from_proc
from harness.origins import Backend, Network
from harness.pki import Authority
from harness.scenario import Call, drive
from harness.targets import reference, regressed

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / ".bench" / "results.json"


def median_ms(action: Callable[[], object], repeat: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def new_connection_get(url: str, verify: Any) -> Callable[[], None]:
    """One request on a brand-new TLS connection (a new client each time, shared SSL context)."""

    def run() -> None:
        with httpx.Client(verify=verify, trust_env=False) as client:
            response = client.get(url)
            assert response.status_code == 200, response.text

    return run


def plain_httpserver_ms(authority: Authority, repeat: int, nodelay: bool) -> float:
    context = authority.server_context(["localhost"])
    backend = Backend(context) if nodelay else _DefaultServer(context)
    backend.start()
    try:
        backend.expect_request("/v1/models").respond_with_json({"object": "list", "data": []})
        url = f"https://localhost:{backend.port}/v1/models"
        return median_ms(new_connection_get(url, authority.client_context()), repeat)
    finally:
        backend.stop()


class _DefaultServer(Backend):
    """pytest-httpserver exactly as shipped (no TCP_NODELAY), threaded like the harness's."""

    def start(self) -> None:
        super(Backend, self).start()


def kernel_lookup_ms(repeat: int) -> dict[str, float]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    with server, socket.create_connection(server.getsockname()) as client:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        accepted, _ = server.accept()
        with accepted, KernelView() as view:
            local, remote = client.getsockname(), accepted.getsockname()
            return {
                "netlink_ms_median": median_ms(lambda: view.timer(local, remote), repeat * 20),
                "proc_ms_median": median_ms(lambda: timer_from_proc(local, remote), repeat),
            }


def suite_run(workers: str, extra: list[str]) -> tuple[float, int]:
    """Wall time and case count of the split suite in a fresh pytest process."""
    report = Path(tempfile.mkdtemp(prefix="harness-bench-")) / "junit.xml"
    started = time.perf_counter()
    command = [
        sys.executable,
        "-m",
        "pytest",
        "tests/test_split.py",
        "-q",
        "-p",
        "no:cacheprovider",
        "-n",
        workers,
        f"--junitxml={report}",
        *extra,
    ]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, env=dict(os.environ, CI="1"))
    seconds = time.perf_counter() - started
    cases = report.read_text().count("<testcase ")
    return seconds, cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50, help="samples per figure")
    parser.add_argument("--no-suite", action="store_true", help="skip the pytest wall-time runs")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "httpx": httpx.__version__,
        },
        "repeat": args.repeat,
    }
    with tempfile.TemporaryDirectory() as scratch:
        authority = Authority(Path(scratch))
        with Network(load_fixtures(), authority) as network:
            codex = Endpoint(
                "openai-codex", "https://chatgpt.com/backend-api/codex", True, "chatgpt-codex"
            )
            other = Endpoint("openai", "https://api.openai.com/v1", False, "api-openai")
            results["reset_ms_median"] = median_ms(
                lambda: drive(network, regressed.factory, codex, Call.REPORT), args.repeat
            )
            results["served_scenario_ms_median"] = median_ms(
                lambda: drive(network, reference.factory, other, Call.MODELS), args.repeat
            )
            with network.reachable():
                results["served_ms_median"] = median_ms(
                    new_connection_get(other.base_url + "/models", authority.client_context()),
                    args.repeat,
                )
        results["phs_default_ms_median"] = plain_httpserver_ms(
            authority, args.repeat, nodelay=False
        )
        results["phs_nodelay_ms_median"] = plain_httpserver_ms(authority, args.repeat, nodelay=True)
    results.update(kernel_lookup_ms(args.repeat))
    if not args.no_suite:
        serial, cases = suite_run("0", [])
        parallel, _ = suite_run("2", [])
        results.update(
            suite_seconds=round(serial, 2),
            suite_cases=cases,
            suite_seconds_n2=round(parallel, 2),
            xdist_speedup=round(serial / parallel, 2),
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    width = max(len(key) for key in results)
    for key, value in results.items():
        if key != "machine":
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            print(f"{key:<{width}}  {shown}")
    print(f"machine: {results['machine']}")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
