"""Benchmark: what a reset and a served scenario cost, next to the floor and pytest-httpserver.

Run with ``tox -e bench`` (or ``python bench/run.py``). Prints the figures table and writes
``.bench/results.json``. Every per-request figure is a median over repeated runs in this one
process on this machine, so the rows compare like with like:

- the reset and the served scenario through the harness (:func:`harness.judging.drive.drive`: the
  factory runs in a child forked from a warm worker, one :class:`~harness.sandbox.pool.Sandbox`
  for the whole bench run), interleaved with the same factory and call made in this process
  against a bare TLS server (``bench/floor.py``: no gate, no routing, no proxy, no child); the
  difference is the harness's own overhead;
- the isolation cost: the served scenario through ``drive`` against the very same scenario made
  in this process inside the network's trust and routing, sample by sample;
- one request on a new TLS connection through the gate, and the same against pytest-httpserver,
  as shipped and with TCP_NODELAY;
- the kernel lookup, sock_diag netlink against ``/proc/net/tcp``.

The suite figures are fresh pytest processes: the split suite's wall time for growing shares of
its case matrix, fitted to a line (start-up and cost per case); the whole split suite; the full
default suite with ``-n 0`` against ``-n 2``.

``--smoke`` runs every one of those code paths with tiny counts, in seconds, and writes
``.bench/smoke.json`` instead, so the real figures are never overwritten. It is part of the
default tox run: a refactor that breaks the bench fails the gate. Either mode exits 1 if a
measurement could not be made as intended (a red suite run, a scenario with the wrong outcome).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import openai

from harness.environ import PROXY_VARIABLES, scoped_environ
from harness.fixtures import Endpoint, load_fixtures
from harness.judging.drive import Subject, drive
from harness.judging.junit import read_cases
from harness.network.conditions import DIRECT
from harness.network.kernel import KernelView, timer_from_proc
from harness.network.origins import Backend, Network
from harness.network.pki import Authority
from harness.sandbox.calls import API_KEY, Call, sync_call
from harness.sandbox.contract import ClientFactory
from harness.sandbox.outcomes import Outcome
from harness.sandbox.pool import Sandbox
from harness.targets import reference, regressed

sys.path.insert(0, str(Path(__file__).resolve().parent))

import figures  # a sibling script, not a package
from floor import FloorServer

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / ".bench" / "results.json"
SMOKE_RESULTS = ROOT / ".bench" / "smoke.json"
SPLIT = "tests/test_split.py"
DEFAULT_SUITE = "tests"
#: A small, quick test module: the smoke run's stand-in for the whole suite under -n 0 / -n 2.
SMOKE_SUITE = "tests/test_tls.py"

CODEX = Endpoint("openai-codex", "https://chatgpt.com/backend-api/codex", True, "chatgpt-codex")
OTHER = Endpoint("openai", "https://api.openai.com/v1", False, "api-openai")
#: The isolation figure's scenario: this origin's endpoint with this base URL, as packaged.
ISOLATION_ORIGIN, ISOLATION_BASE_URL = "api-openai", "https://api.openai.com/v1"


class BenchError(RuntimeError):
    """A measurement did not measure what it claims to (wrong outcome, red suite run)."""


@dataclass(frozen=True)
class Plan:
    """How much of everything to measure."""

    smoke: bool
    repeat: int  # samples per per-request figure
    warmup: int
    runs: int  # fresh processes per suite figure (median)
    matrix_shares: tuple[float, ...]
    matrix_cap: int | None  # at most this many parametrized split cases (None: all)
    hypothesis_cap: int | None
    suite: str  # what -n 0 and -n 2 run
    output: Path


FULL = Plan(False, 50, 3, 3, (0.125, 0.25, 0.5, 1.0), None, None, DEFAULT_SUITE, RESULTS)
SMOKE = Plan(True, 3, 1, 1, (0.5, 1.0), 4, 1, SMOKE_SUITE, SMOKE_RESULTS)


def samples_ms(action: Callable[[], object], repeat: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def median_ms(action: Callable[[], object], repeat: int, warmup: int) -> float:
    return statistics.median(samples_ms(action, repeat, warmup))


def new_connection_get(url: str, verify: Any) -> Callable[[], None]:
    """One request on a brand-new TLS connection (a new client each time, shared SSL context)."""

    def run() -> None:
        with httpx.Client(verify=verify, trust_env=False) as client:
            response = client.get(url)
            if response.status_code != 200:
                raise BenchError(f"GET {url}: {response.status_code} {response.text[:200]}")

    return run


def plain_httpserver_ms(authority: Authority, plan: Plan, nodelay: bool) -> float:
    context = authority.server_context(["localhost"])
    backend = Backend(context) if nodelay else _DefaultServer(context)
    backend.start()
    try:
        backend.expect_request("/v1/models").respond_with_json({"object": "list", "data": []})
        url = f"https://localhost:{backend.port}/v1/models"
        return median_ms(
            new_connection_get(url, authority.client_context()), plan.repeat, plan.warmup
        )
    finally:
        backend.stop()


class _DefaultServer(Backend):
    """pytest-httpserver exactly as shipped (no TCP_NODELAY), threaded like the harness's."""

    def start(self) -> None:
        super(Backend, self).start()

    def thread_target(self) -> None:
        super(Backend, self).thread_target()


def kernel_lookup_ms(plan: Plan) -> dict[str, float]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    with server, socket.create_connection(server.getsockname()) as client:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        accepted, _ = server.accept()
        with accepted, KernelView() as view:
            local, remote = client.getsockname(), accepted.getsockname()
            return {
                "netlink_ms_median": median_ms(
                    lambda: view.timer(local, remote), plan.repeat * 20, plan.warmup
                ),
                "proc_ms_median": median_ms(
                    lambda: timer_from_proc(local, remote), plan.repeat, plan.warmup
                ),
            }


def _models_body(network: Network) -> bytes:
    """The api-openai origin's own ``/models`` reply, so the floor sends the same bytes."""
    for reply in network.origin(OTHER.origin).fixture.replies:
        if reply.method == "GET" and reply.path.endswith("/models"):
            return json.dumps(reply.json_body, separators=(",", ":")).encode()
    raise BenchError(f"origin {OTHER.origin} has no GET /models reply")


def _expect(what: str, outcome: Outcome, cause: str | None, status: int | None) -> None:
    if outcome.cause != cause or outcome.status != status:
        raise BenchError(f"{what}: expected {cause or status}, got {outcome.describe()}")


@contextmanager
def _floor_environ(authority: Authority) -> Iterator[None]:
    """What any test of a client against a local TLS server needs: trust, and no proxies."""
    with scoped_environ(unset=PROXY_VARIABLES), authority.trusted():
        yield


def in_process(factory: ClientFactory, endpoint: Endpoint, call: Call) -> Outcome:
    """The factory's client built and called in this process, as scenarios were run before
    they moved to a child: ``max_retries=0``, the client closed afterwards. No phase deadline
    (that is the judge's clock on a child now); the caller sets up trust and routing."""
    client = factory(endpoint.provider, endpoint.base_url, API_KEY, async_client=False)
    try:
        return sync_call(client.with_options(max_retries=0), call)
    finally:
        client.close()


@dataclass
class Samples:
    """Wall and CPU time per call, in ms. The CPU time is this process's (every thread: the
    client made here, gates, servers, the judge's side of a child); a child's own CPU time is
    not in it."""

    wall: list[float]
    cpu: list[float]

    def medians(self) -> tuple[float, float]:
        return statistics.median(self.wall), statistics.median(self.cpu)


def _paired(
    harness: Callable[[], object], floor: Callable[[], object], plan: Plan
) -> tuple[Samples, Samples]:
    """Harness and floor samples taken in turns (order alternating), so drift hits both alike."""
    for _ in range(plan.warmup):
        harness()
        floor()
    through, bare = Samples([], []), Samples([], [])
    for index in range(plan.repeat):
        for action, into in ((harness, through), (floor, bare))[:: 1 if index % 2 else -1]:
            started, cpu = time.perf_counter(), time.process_time()
            action()
            into.wall.append((time.perf_counter() - started) * 1000)
            into.cpu.append((time.process_time() - cpu) * 1000)
    return through, bare


def _scenario_pair(
    network: Network,
    subject: Subject,
    factory: ClientFactory,
    endpoint: Endpoint,
    bare: Endpoint,
    call: Call,
    expected: tuple[str | None, int | None],
    plan: Plan,
) -> tuple[Samples, Samples]:
    """One scenario through the harness and the very same call against the floor."""

    def harness() -> None:
        # the simulated network's share (trust, routing, the gate's peek and kernel lookup, the
        # backend), in this process; what a scenario's own process adds is the isolation row
        with network.under(DIRECT), network.reachable({}):
            outcome = in_process(factory, endpoint, call)
        _expect(f"{endpoint.base_url} through the harness", outcome, *expected)

    def floor() -> None:
        # the same factory and call in this process against a bare TLS server, with none of
        # the harness around it
        outcome = in_process(factory, bare, call)
        _expect(f"{bare.base_url} (the floor)", outcome, *expected)

    return _paired(harness, floor, plan)


def overhead(
    network: Network, authority: Authority, subjects: dict[str, Subject], plan: Plan
) -> dict[str, float]:
    """The reset and the served scenario through the harness and against the floor.

    The overhead is the difference of the medians, in wall time and in CPU time of the whole
    process (on a shared machine the CPU figure is the steadier of the two).
    """
    results: dict[str, float] = {}
    floor_context = authority.server_context(["127.0.0.1"])
    with (
        FloorServer(None) as resetter,
        FloorServer(floor_context, _models_body(network)) as server,
        _floor_environ(authority),
    ):
        host, port = resetter.address
        floor_codex = Endpoint(CODEX.provider, f"https://{host}:{port}/backend-api/codex", True, "")
        host, port = server.address
        floor_other = Endpoint(OTHER.provider, f"https://{host}:{port}/v1", False, "")
        pairs = {
            "reset": _scenario_pair(
                network,
                subjects["regressed"],
                regressed.factory,
                CODEX,
                floor_codex,
                Call.REPORT,
                ("ECONNRESET", None),
                plan,
            ),
            "served": _scenario_pair(
                network,
                subjects["reference"],
                reference.factory,
                OTHER,
                floor_other,
                Call.MODELS,
                (None, 200),
                plan,
            ),
        }
    for name, (through, bare) in pairs.items():
        key = "served_scenario" if name == "served" else "reset"
        (wall, cpu), (floor_wall, floor_cpu) = through.medians(), bare.medians()
        results[f"{key}_ms_median"] = wall
        results[f"floor_{name}_ms_median"] = floor_wall
        results[f"overhead_{name}_ms_median"] = wall - floor_wall
        results[f"overhead_{name}_cpu_ms_median"] = cpu - floor_cpu
    return results


def proxied_ms(network: Network, subject: Subject, plan: Plan) -> float:
    """The served scenario with HTTPS_PROXY naming the harness's CONNECT proxy."""

    def run() -> None:
        environ = {"HTTPS_PROXY": network.proxy.url}
        result = drive(network, subject, OTHER, Call.MODELS, environ=environ)
        _expect("the served scenario through the proxy", result.outcome, None, 200)
        if len(result.tunnels) != 1:
            raise BenchError(f"expected one tunnel through the proxy, saw {result.tunnels}")

    return median_ms(run, plan.repeat, plan.warmup)


def packaged_endpoint(network: Network, origin: str, base_url: str) -> Endpoint:
    """The endpoint with ``base_url`` of ``origin`` as the packaged origin files define it."""
    for endpoint in network.origin(origin).fixture.endpoints:
        if endpoint.base_url == base_url:
            return endpoint
    raise BenchError(f"origin {origin} has no endpoint {base_url}")


def isolation(network: Network, subject: Subject, plan: Plan) -> dict[str, float]:
    """What running the scenario in a child costs: the served scenario (reference factory,
    api.openai.com ``/models``) through ``drive``, and the same scenario in this process inside
    the network's trust, routing and proxy variables, in turns. The figure is the median of the
    per-pair differences (each child sample minus the in-process sample taken next to it)."""
    endpoint = packaged_endpoint(network, ISOLATION_ORIGIN, ISOLATION_BASE_URL)
    factory = reference.factory

    def child() -> None:
        result = drive(network, subject, endpoint, Call.MODELS, condition=DIRECT)
        _expect(f"{endpoint.id} in a child", result.outcome, None, 200)

    def here() -> None:
        with network.under(DIRECT) as environ, network.reachable(environ):
            outcome = in_process(factory, endpoint, Call.MODELS)
        _expect(f"{endpoint.id} in this process", outcome, None, 200)

    isolated, inline = _paired(child, here, plan)
    differences = [a - b for a, b in zip(isolated.wall, inline.wall, strict=True)]
    return {
        "isolation_ms_median": statistics.median(differences),
        "isolated_scenario_ms_median": statistics.median(isolated.wall),
        "in_process_scenario_ms_median": statistics.median(inline.wall),
    }


def per_request(plan: Plan) -> dict[str, Any]:
    """Everything measured on one network of origins, with one sandbox (a warm worker per
    factory) for every scenario driven in a child."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch, Sandbox() as sandbox:
        authority = Authority(Path(scratch))
        subjects = {
            "reference": Subject.of(sandbox, reference.factory),
            "regressed": Subject.of(sandbox, regressed.factory),
        }
        with Network(load_fixtures(), authority) as network:
            results.update(overhead(network, authority, subjects, plan))
            results["proxied_scenario_ms_median"] = proxied_ms(network, subjects["reference"], plan)
            results.update(isolation(network, subjects["reference"], plan))
            with network.reachable():
                results["served_ms_median"] = median_ms(
                    new_connection_get(OTHER.base_url + "/models", authority.client_context()),
                    plan.repeat,
                    plan.warmup,
                )
        results["phs_default_ms_median"] = plain_httpserver_ms(authority, plan, nodelay=False)
        results["phs_nodelay_ms_median"] = plain_httpserver_ms(authority, plan, nodelay=True)
    results.update(kernel_lookup_ms(plan))
    return results


def pytest_run(targets: list[str], workers: str = "0") -> dict[str, Any]:
    """Wall time, CPU time, case count, in-test time and exit code of one fresh pytest process.

    CI=1 selects the derandomized ``harness-ci`` profile, so repeated runs do the same work.
    A red run is recorded (its exit code and failed cases) and its time still reported; the
    bench then exits 1.
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
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, env=dict(os.environ, CI="1"), timeout=3600
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cases = read_cases(report) if report.exists() else []
    shutil.rmtree(scratch, ignore_errors=True)
    failed = [case.id for case in cases if case.outcome == "failed"]
    if done.returncode != 0 or not cases:
        shown = " ".join(targets) if len(targets) < 4 else f"{len(targets)} node ids"
        tail = done.stdout.decode(errors="replace").strip().splitlines()[-3:]
        print(f"warning: pytest -n {workers} {shown} exited {done.returncode}: {failed} {tail}")
    return {
        "seconds": seconds,
        "cpu_seconds": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "cases": len(cases),
        "in_test_seconds": sum(case.time for case in cases),
        "exit_code": done.returncode if cases else -1,
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


def spread(items: list[str], size: int) -> list[str]:
    """``size`` items evenly spread over ``items`` (every kind of test in every share)."""
    size = max(1, min(size, len(items)))
    return [items[int(i * len(items) / size)] for i in range(size)]


def linear_fit(points: list[tuple[float, float]]) -> tuple[float, float, float]:
    """Least-squares ``seconds = intercept + slope * cases``; returns slope, intercept, R²."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        raise BenchError(f"a line needs at least two different case counts: {xs}")
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx
    intercept = mean_y - slope * mean_x
    residual = sum((y - intercept - slope * x) ** 2 for x, y in points)
    total = sum((y - mean_y) ** 2 for y in ys)
    return slope, intercept, 1 - residual / total if total else 1.0


def _median_of(runs: list[dict[str, Any]], key: str) -> float:
    return round(float(statistics.median(run[key] for run in runs)), 2)


def split_matrix(plan: Plan, cases: list[str], generated: list[str]) -> dict[str, Any]:
    """Wall time of the split suite for growing shares of its parametrized matrix.

    Each size is an evenly spread subset of the case ids, run in a fresh process, ``-n 0``; the
    median of ``plan.runs`` runs. The hypothesis cases do many examples each, so they are timed
    apart rather than counted as one case.
    """
    if plan.matrix_cap is not None:
        cases = spread(cases, plan.matrix_cap)
    points: list[dict[str, Any]] = []
    all_runs: list[dict[str, Any]] = []
    for share in plan.matrix_shares:
        chosen = spread(cases, round(len(cases) * share))
        runs = [pytest_run(chosen) for _ in range(plan.runs)]
        all_runs += runs
        points.append(
            {
                "cases": len(chosen),
                "seconds": _median_of(runs, "seconds"),
                "in_test_seconds": _median_of(runs, "in_test_seconds"),
                "exit_codes": sorted({r["exit_code"] for r in runs}),
            }
        )
    slope, intercept, r2 = linear_fit([(p["cases"], p["seconds"]) for p in points])
    in_slope, _, in_r2 = linear_fit([(p["cases"], p["in_test_seconds"]) for p in points])
    if plan.hypothesis_cap is not None:
        generated = generated[: plan.hypothesis_cap]
    hypo = [pytest_run(generated) for _ in range(plan.runs)] if generated else []
    return {
        "split_matrix": points,
        "split_seconds_per_case": round(slope, 4),
        "split_startup_seconds": round(intercept, 2),
        "split_fit_r2": round(r2, 4),
        "split_in_test_seconds_per_case": round(in_slope, 4),
        "split_in_test_fit_r2": round(in_r2, 4),
        "split_hypothesis_cases": len(generated),
        "split_hypothesis_seconds": _median_of(hypo, "seconds") if hypo else None,
        "split_exit_codes": sorted({r["exit_code"] for r in all_runs + hypo}),
    }


def split_full(plan: Plan, cases: list[str], generated: list[str]) -> dict[str, Any]:
    """The whole split suite in one fresh process (the smoke run: a handful of its cases)."""
    targets = [SPLIT]
    if plan.smoke:
        targets = spread(cases, plan.matrix_cap or 1) + generated[: plan.hypothesis_cap]
    runs = [pytest_run(targets) for _ in range(plan.runs)]
    return {
        "split_full_seconds": _median_of(runs, "seconds"),
        "split_full_cpu_seconds": _median_of(runs, "cpu_seconds"),
        "split_full_in_test_seconds": _median_of(runs, "in_test_seconds"),
        "split_full_cases": max(run["cases"] for run in runs),
        "split_full_exit_codes": sorted({run["exit_code"] for run in runs}),
    }


def slow_connect_selection(plan: Plan) -> dict[str, Any]:
    """The split suite's ipv6-blackhole cases, as the default run holds them and as
    ``--harness-slow-connect on`` does: what the opt-in selection costs (the smoke run: the
    async cases only, which race the address families and take no connect timeout)."""
    selection = "ipv6-blackhole and async" if plan.smoke else "ipv6-blackhole"
    default = pytest_run([SPLIT, "-k", selection])
    every = pytest_run([SPLIT, "-k", selection, "--harness-slow-connect", "on"])
    return {
        "slow_connect_default_seconds": round(default["seconds"], 2),
        "slow_connect_default_cases": default["cases"],
        "slow_connect_every_seconds": round(every["seconds"], 2),
        "slow_connect_every_cases": every["cases"],
        "slow_connect_exit_codes": sorted({default["exit_code"], every["exit_code"]}),
    }


def xdist_comparison(plan: Plan) -> dict[str, Any]:
    """The default suite (the smoke run: one small module), ``-n 0`` against ``-n 2``."""
    serial = pytest_run([plan.suite], "0")
    parallel = pytest_run([plan.suite], "2")
    return {
        "suite_seconds": round(serial["seconds"], 2),
        "suite_cases": serial["cases"],
        "suite_seconds_n2": round(parallel["seconds"], 2),
        "xdist_speedup": round(serial["seconds"] / parallel["seconds"], 2),
        "suite_exit_codes": [serial["exit_code"], parallel["exit_code"]],
        "suite_failed": sorted(set(serial["failed"]) | set(parallel["failed"])),
    }


def red_runs(results: dict[str, Any]) -> list[str]:
    """Which suite figures came from a run that did not pass."""
    keys = (
        "split_exit_codes",
        "split_full_exit_codes",
        "slow_connect_exit_codes",
        "suite_exit_codes",
    )
    return [key for key in keys if any(code != 0 for code in results.get(key, []))]


def check_figures(results: dict[str, Any], *, split: bool, suite: bool) -> None:
    """Every figure the table shows (of the parts that ran) is present and a finite number;
    anything else means the bench itself is broken."""
    skipped: tuple[str, ...] = () if split else ("split_", "slow_connect_")
    skipped += () if suite else ("suite_", "xdist_")
    bad = []
    for key in figures.required_keys():
        if key.startswith(skipped):
            continue
        value = results.get(key)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(float(value or 0)):
            bad.append(f"{key}={value!r}")
    if bad:
        raise BenchError(f"figures missing or not numbers: {', '.join(bad)}")


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "httpx": httpx.__version__,
        "openai": openai.__version__,
        "bytecode_cache": not sys.dont_write_bytecode,
        "date": time.strftime("%Y-%m-%d"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--smoke", action="store_true", help="every code path, tiny counts; writes smoke.json"
    )
    parser.add_argument("--repeat", type=int, help="samples per per-request figure")
    parser.add_argument("--runs", type=int, help="fresh processes per suite figure (median)")
    parser.add_argument(
        "--no-suite", action="store_true", help="skip the default suite's -n 0 / -n 2 runs"
    )
    parser.add_argument(
        "--no-split", action="store_true", help="skip the split suite's fresh-process runs"
    )
    args = parser.parse_args()
    plan = SMOKE if args.smoke else FULL
    plan = replace(plan, repeat=args.repeat or plan.repeat, runs=args.runs or plan.runs)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    results: dict[str, Any] = {"machine": machine(), "smoke": plan.smoke, "repeat": plan.repeat}
    results.update(per_request(plan))
    if not args.no_split:
        cases, generated = split_node_ids()
        results.update(split_matrix(plan, cases, generated))
        results.update(split_full(plan, cases, generated))
        results.update(slow_connect_selection(plan))
    if not args.no_suite:
        results.update(xdist_comparison(plan))
    plan.output.parent.mkdir(exist_ok=True)
    plan.output.write_text(json.dumps(results, indent=2) + "\n")
    print(figures.render(results))
    print(f"written to {plan.output.relative_to(ROOT)}")
    check_figures(results, split=not args.no_split, suite=not args.no_suite)
    red = red_runs(results)
    if red:
        print(f"bench: suite runs that did not pass: {', '.join(red)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
