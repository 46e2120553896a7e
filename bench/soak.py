"""Soak: run the test suite many times, each with its own hypothesis seed, and record every failure.

One green run proves little about a suite that drives real sockets and threads; a failure that
shows up once in fifty runs is a flake or a race, and the seed is what replays its inputs. Each
run is a fresh ``python -m pytest`` from the repository root with the ``harness-dev`` hypothesis
profile (not derandomized, so the seed decides the examples; ``harness-ci`` would ignore it) and a
private hypothesis database directory, so no run replays another run's examples.

Prints one line per run and writes ``.bench/soak.json`` after every run (a killed soak keeps what it
measured). Exits 1 if any run failed. ``--load`` keeps every core busy with bounded burner
processes, which is how races that a quiet machine hides show up.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.judging.junit import read_cases

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / ".bench" / "soak.json"
SOAK_PROFILE = "harness-dev"
BURN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


@contextlib.contextmanager
def cpu_load(seconds: float, workers: int | None = None) -> Iterator[list[int]]:
    """One busy-looping subprocess per core, each ending by itself after ``seconds``.

    The deadline inside each burner bounds the load even if this process dies; the ``finally``
    ends them as soon as the block is left. Yields their process ids.
    """
    count = workers or os.cpu_count() or 1
    burners: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(count):
            burners.append(
                subprocess.Popen(
                    [sys.executable, "-c", BURN.format(seconds=float(seconds))],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        yield [burner.pid for burner in burners]
    finally:
        for burner in burners:
            if burner.poll() is None:
                burner.terminate()
        for burner in burners:
            try:
                burner.wait(5)
            except subprocess.TimeoutExpired:
                burner.kill()
                burner.wait(5)


def junit_cases(report: Path) -> tuple[int, list[str]]:
    """Number of test cases and the ids of those that failed or errored, from a JUnit XML file."""
    cases = read_cases(report)
    return len(cases), [case.id for case in cases if case.outcome == "failed"]


def run_once(
    index: int, seed: int, suite: list[str], extra: list[str], timeout: float, scratch: Path
) -> dict[str, Any]:
    """One fresh pytest process; its exit code, duration, case count and failing test ids."""
    report = scratch / f"run-{index}.xml"
    env = dict(os.environ, HYPOTHESIS_STORAGE_DIRECTORY=str(scratch / f"hypothesis-{index}"))
    env.pop("CI", None)  # CI would select the derandomized profile in anything not given ours
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--hypothesis-profile={SOAK_PROFILE}",
        f"--hypothesis-seed={seed}",
        f"--junitxml={report}",
        *extra,
        *suite,
    ]
    started = time.monotonic()
    # A session of its own, so a run that overstays its timeout is ended with everything it
    # started (pytester subprocesses included), by its process group id.
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    timed_out = False
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate(timeout=30)
    seconds = time.monotonic() - started
    cases, failed = junit_cases(report) if report.exists() else (0, [])
    record: dict[str, Any] = {
        "run": index,
        "seed": seed,
        "exit_code": process.returncode,
        "seconds": round(seconds, 2),
        "cases": cases,
        "failed": failed,
    }
    if timed_out:
        record["timed_out"] = True
    if process.returncode != 0 or timed_out:
        record["output_tail"] = output.decode(errors="replace").splitlines()[-40:]
    return record


def summarise(records: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    bad = [r for r in records if r["exit_code"] != 0 or r.get("timed_out")]
    by_test = Counter(test for r in bad for test in r["failed"])
    durations = sorted(r["seconds"] for r in records)
    return {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "suite": args.suite or ["(default testpaths)"],
        "load": args.load,
        "profile": SOAK_PROFILE,
        "base_seed": args.seed,
        "runs_requested": args.runs,
        "runs": len(records),
        "failed_runs": len(bad),
        "failures": [
            {
                "run": r["run"],
                "seed": r["seed"],
                "exit_code": r["exit_code"],
                "failed": r["failed"] or ["(no failing test case: session-level failure)"],
            }
            for r in bad
        ],
        "failures_by_test": dict(by_test.most_common()),
        "seconds_total": round(sum(durations), 1),
        "seconds_median": durations[len(durations) // 2] if durations else None,
        "seconds_max": durations[-1] if durations else None,
        "records": records,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Run the test suite repeatedly with different hypothesis seeds.",
        epilog="Arguments after -- go to pytest, e.g. -- -x -k keepalive",
    )
    parser.add_argument("--runs", type=int, default=50, help="number of runs (default 50)")
    parser.add_argument(
        "--suite",
        nargs="+",
        default=[],
        metavar="PATH",
        help="test paths to run (default: the whole default suite, tests/)",
    )
    parser.add_argument("--load", action="store_true", help="keep every core busy meanwhile")
    parser.add_argument(
        "--seed", type=int, default=None, help="base seed that picks every run's seed (random)"
    )
    parser.add_argument(
        "--run-timeout", type=float, default=900.0, help="seconds before a run is killed"
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=4 * 3600.0,
        help="start no new run after this many seconds (default 4 h)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON file to write")
    args, extra = parser.parse_known_args()
    if extra and extra[0] == "--":
        extra = extra[1:]
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**32)
    seeds = random.Random(args.seed).sample(range(2**32), args.runs)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    records: list[dict[str, Any]] = []
    deadline = time.monotonic() + args.max_seconds
    suite = " ".join(args.suite) or "tests/"
    print(f"soak: {args.runs} runs of {suite}, base seed {args.seed}, load={args.load}")
    load = (
        cpu_load(args.max_seconds + args.run_timeout) if args.load else contextlib.nullcontext([])
    )
    with load as burners, tempfile.TemporaryDirectory(prefix="harness-soak-") as scratch:
        if burners:
            print(f"soak: CPU burners {burners}")
        for index, seed in enumerate(seeds):
            if time.monotonic() >= deadline:
                print(f"soak: --max-seconds reached after {index} runs")
                break
            record = run_once(index, seed, args.suite, extra, args.run_timeout, Path(scratch))
            records.append(record)
            verdict = "ok" if record["exit_code"] == 0 else f"FAILED (exit {record['exit_code']})"
            print(
                f"run {index:3d} seed {seed:10d} {record['cases']:4d} cases "
                f"{record['seconds']:7.1f} s {verdict} {' '.join(record['failed'])}",
                flush=True,
            )
            args.output.write_text(json.dumps(summarise(records, args), indent=2) + "\n")
    summary = summarise(records, args)
    print(
        f"soak: {summary['runs']} runs, {summary['failed_runs']} failed, "
        f"median {summary['seconds_median']} s per run, written to {args.output}"
    )
    for failure in summary["failures"]:
        print(f"  run {failure['run']} seed {failure['seed']}: {', '.join(failure['failed'])}")
    return 1 if summary["failed_runs"] else 0


if __name__ == "__main__":
    sys.exit(main())
