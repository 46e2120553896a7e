"""Benchmark: what a reset and a served scenario cost next to a plain pytest-httpserver request.

Run with ``tox -e bench`` (or ``python bench/run.py``). Prints a table and writes
``.bench/results.json``. Every per-request figure is a median over repeated runs in this one process
on this machine, so the rows compare like with like. The suite figures are fresh pytest processes:
(e) the split suite's wall time for growing shares of its case matrix, fitted to a line (does cost
grow linearly with cases, and what does start-up cost?), and (f) the full default suite with
``-n 0`` against ``-n 2``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
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
from harness.junit import read_cases
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


SPLIT = "tests/test_split.py"
DEFAULT_SUITE = "tests"


def pytest_run(targets: list[str], workers: str = "0") -> dict[str, Any]:
    """Wall time, case count, in-test time and exit code of one fresh pytest process.

    CI=1 selects the derandomized ``harness-ci`` profile, so repeated runs do the same work.
    Failures are recorded, not raised: a red run's time is still reported, flagged by its exit code.
    """
    scratch = Path(tempfile.mkdtemp(prefix="harness-bench-"))
    report = scratch / "junit.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-n",
        workers,
        f"--junitxml={report}",
        *targets,
    ]
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, env=dict(os.environ, CI="1"), timeout=3600
    )
    seconds = time.perf_counter() - started
    cases = read_cases(report) if report.exists() else []
    shutil.rmtree(scratch, ignore_errors=True)
    failed = [case.id for case in cases if case.outcome == "failed"]
    if done.returncode != 0:
        shown = " ".join(targets) if len(targets) < 4 else f"{len(targets)} node ids"
        tail = done.stdout.decode(errors="replace").strip().splitlines()[-1:]
        print(f"warning: pytest -n {workers} {shown} exited {done.returncode}: {failed} {tail}")
    return {
        "seconds": seconds,
        "cases": len(cases),
        "in_test_seconds": sum(float(case.get("time", 0)) for case in cases),
        "exit_code": done.returncode,
        "failed": failed,
    }


def split_node_ids() -> tuple[list[str], list[str]]:
    """The split suite's test ids: parametrized cases, and hypothesis cases (many examples each)."""
    import harness.suites.split as split

    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only", SPLIT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, CI="1"),
        timeout=600,
    ).stdout.splitlines()
    ids = [line for line in listed if line.startswith(f"{SPLIT}::")]

    def generated(node: str) -> bool:
        name = node.split("::", 1)[1].split("[", 1)[0]
        return bool(getattr(getattr(split, name, None), "is_hypothesis_test", False))

    return [i for i in ids if not generated(i)], [i for i in ids if generated(i)]


def linear_fit(points: list[tuple[float, float]]) -> tuple[float, float, float]:
    """Least-squares ``seconds = intercept + slope * cases``; returns slope, intercept, R²."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx
    intercept = mean_y - slope * mean_x
    residual = sum((y - intercept - slope * x) ** 2 for x, y in points)
    total = sum((y - mean_y) ** 2 for y in ys)
    return slope, intercept, 1 - residual / total if total else 1.0


def split_matrix(repeat: int) -> dict[str, Any]:
    """(e) Wall time of the split suite for growing shares of its parametrized matrix.

    Each size is an evenly spread subset of the case ids (every kind of test in every size), run
    in a fresh process, ``-n 0``; the median of ``repeat`` runs. The hypothesis cases do 20
    examples each, so they are timed apart rather than counted as one case.
    """
    cases, generated = split_node_ids()
    points: list[dict[str, Any]] = []
    for share in (0.125, 0.25, 0.5, 1.0):
        size = max(1, round(len(cases) * share))
        chosen = [cases[int(i * len(cases) / size)] for i in range(size)]
        runs = [pytest_run(chosen) for _ in range(repeat)]
        points.append(
            {
                "cases": size,
                "seconds": round(statistics.median(r["seconds"] for r in runs), 2),
                "in_test_seconds": round(statistics.median(r["in_test_seconds"] for r in runs), 2),
                "exit_codes": sorted({r["exit_code"] for r in runs}),
            }
        )
    slope, intercept, r2 = linear_fit([(p["cases"], p["seconds"]) for p in points])
    in_slope, _, in_r2 = linear_fit([(p["cases"], p["in_test_seconds"]) for p in points])
    hypo = [pytest_run(generated) for _ in range(repeat)] if generated else []
    return {
        "split_matrix": points,
        "split_seconds_per_case": round(slope, 4),
        "split_startup_seconds": round(intercept, 2),
        "split_fit_r2": round(r2, 4),
        "split_in_test_seconds_per_case": round(in_slope, 4),
        "split_in_test_fit_r2": round(in_r2, 4),
        "split_hypothesis_cases": len(generated),
        "split_hypothesis_seconds": (
            round(statistics.median(r["seconds"] for r in hypo), 2) if hypo else None
        ),
    }


def xdist_comparison() -> dict[str, Any]:
    """(f) The full default suite (``tests/``), ``-n 0`` against ``-n 2``."""
    serial = pytest_run([DEFAULT_SUITE], "0")
    parallel = pytest_run([DEFAULT_SUITE], "2")
    return {
        "suite_seconds": round(serial["seconds"], 2),
        "suite_cases": serial["cases"],
        "suite_seconds_n2": round(parallel["seconds"], 2),
        "xdist_speedup": round(serial["seconds"] / parallel["seconds"], 2),
        "suite_exit_codes": [serial["exit_code"], parallel["exit_code"]],
        "suite_failed": sorted(set(serial["failed"]) | set(parallel["failed"])),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=50, help="samples per figure")
    parser.add_argument("--no-suite", action="store_true", help="skip the pytest wall-time runs")
    parser.add_argument(
        "--matrix-repeat", type=int, default=2, help="runs per split-matrix size (median)"
    )
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
        results.update(split_matrix(args.matrix_repeat))
        results.update(xdist_comparison())
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    width = max(len(key) for key in results)
    for key, value in results.items():
        if key == "split_matrix":
            for point in value:
                print(f"{'  split cases':<{width}}  {point}")
        elif key != "machine":
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            print(f"{key:<{width}}  {shown}")
    print(f"machine: {results['machine']}")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
