"""Render the README's figures table from the bench's results, so no figure is typed by hand.

``python bench/figures.py`` rewrites the block between the two marker comments in README.md from
``.bench/results.json`` (written by ``python bench/run.py``), plus the correctness rows from
``.bench/classify.json``, ``.bench/classify-load.json`` (``tox -e classify``) and
``.bench/soak.json`` (``tox -e soak``) when they exist; ``--check`` changes nothing and exits 1 if
the README shows anything else. A figure the results lack (a partial run, a bench not run) is shown
as not measured, never carried over from an older run.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / ".bench" / "results.json"
CLASSIFY = ROOT / ".bench" / "classify.json"
CLASSIFY_LOAD = ROOT / ".bench" / "classify-load.json"
SOAK = ROOT / ".bench" / "soak.json"
README = ROOT / "README.md"
START = "<!-- figures:start (rendered by bench/figures.py from .bench/results.json) -->"
END = "<!-- figures:end -->"
NOT_MEASURED = "not measured"
TIMES = "\u00d7"

Results = dict[str, Any]


@dataclass(frozen=True)
class Row:
    """One table row: what it shows, the result keys it needs, how to show them, the goal."""

    what: Callable[[Results], str]
    keys: tuple[str, ...]
    figure: Callable[[Results], str]
    goal: str = ""
    met: Callable[[Results], bool] | None = None


def _text(text: str) -> Callable[[Results], str]:
    return lambda _results: text


def _ratio(results: Results) -> float:
    return float(results["served_ms_median"] / results["phs_nodelay_ms_median"])


def _overhead(results: Results, name: str) -> str:
    floor, extra = results[f"floor_{name}_ms_median"], results[f"overhead_{name}_ms_median"]
    cpu = results[f"overhead_{name}_cpu_ms_median"]
    return f"{floor:.1f} ms / {extra:+.2f} ms (CPU {cpu:+.2f} ms)"


def _suite_size(results: Results) -> str:
    return f", {results['suite_cases']} tests" if "suite_cases" in results else ""


def _matrix_span(results: Results) -> str:
    counts = [point["cases"] for point in results.get("split_matrix", [])]
    span = f"{min(counts)} → {max(counts)} cases, " if counts else ""
    return f"{span}linear fit R² {results.get('split_fit_r2', 0):.2f}"


ROWS = (
    Row(
        _text(
            "reset scenario through the simulated network, in one process (regressed factory → "
            "Codex, openai client built, `max_retries=0`)"
        ),
        ("reset_ms_median",),
        lambda r: f"{r['reset_ms_median']:.1f} ms",
        "≤ 3 ms",
        lambda r: r["reset_ms_median"] <= 3,
    ),
    Row(
        _text("the same, bare TLS server (no gate, no routing): floor / harness overhead (CPU)"),
        ("floor_reset_ms_median", "overhead_reset_ms_median", "overhead_reset_cpu_ms_median"),
        lambda r: _overhead(r, "reset"),
        "overhead ≤ 1 ms",
        lambda r: r["overhead_reset_ms_median"] <= 1,
    ),
    Row(
        _text(
            "served scenario through the simulated network, in one process (reference factory → "
            "api.openai.com `/models`, openai client built)"
        ),
        ("served_scenario_ms_median",),
        lambda r: f"{r['served_scenario_ms_median']:.1f} ms",
    ),
    Row(
        _text("the same, bare TLS server (ssl + h11): floor / harness overhead (CPU)"),
        ("floor_served_ms_median", "overhead_served_ms_median", "overhead_served_cpu_ms_median"),
        lambda r: _overhead(r, "served"),
        "overhead ≤ 1 ms",
        lambda r: r["overhead_served_ms_median"] <= 1,
    ),
    Row(
        _text("the same in a scenario's own process, through the harness's CONNECT proxy"),
        ("proxied_scenario_ms_median",),
        lambda r: f"{r['proxied_scenario_ms_median']:.1f} ms",
    ),
    Row(
        _text(
            "served scenario in a child forked from the warm worker / isolation cost over the "
            "same scenario in-process (trust and routing, no child), median of pairs"
        ),
        ("isolated_scenario_ms_median", "isolation_ms_median"),
        lambda r: f"{r['isolated_scenario_ms_median']:.1f} ms / {r['isolation_ms_median']:+.2f} ms",
    ),
    Row(
        _text("one request on a new TLS connection through the gate (httpx)"),
        ("served_ms_median", "phs_nodelay_ms_median"),
        lambda r: f"{r['served_ms_median']:.1f} ms ({_ratio(r):.2f}{TIMES} the TCP_NODELAY row)",
        f"≤ 1.2{TIMES}",
        lambda r: _ratio(r) <= 1.2,
    ),
    Row(
        _text("the same request, plain pytest-httpserver over TLS, default settings"),
        ("phs_default_ms_median",),
        lambda r: f"{r['phs_default_ms_median']:.1f} ms",
    ),
    Row(
        _text("the same request, pytest-httpserver over TLS with TCP_NODELAY"),
        ("phs_nodelay_ms_median",),
        lambda r: f"{r['phs_nodelay_ms_median']:.1f} ms",
    ),
    Row(
        _text("kernel lookup: sock_diag netlink / `/proc/net/tcp`"),
        ("netlink_ms_median", "proc_ms_median"),
        lambda r: f"{r['netlink_ms_median']:.3f} ms / {r['proc_ms_median']:.1f} ms",
    ),
    Row(
        lambda r: f"split suite: start-up, then cost per case ({_matrix_span(r)})",
        ("split_startup_seconds", "split_seconds_per_case"),
        lambda r: (
            f"{r['split_startup_seconds']:.1f} s + {r['split_seconds_per_case'] * 1000:.0f} ms/case"
        ),
    ),
    Row(
        _text("split suite, whole, one fresh process: wall (CPU)"),
        ("split_full_seconds", "split_full_cases", "split_full_cpu_seconds"),
        lambda r: (
            f"{r['split_full_seconds']:.1f} s ({r['split_full_cpu_seconds']:.1f} s) "
            f"for {r['split_full_cases']} cases"
        ),
        "≤ 6 s for ≥ 300 cases",
        lambda r: r["split_full_seconds"] <= 6 and r["split_full_cases"] >= 300,
    ),
    Row(
        _text(
            "opt-in selection: the split suite's `ipv6-blackhole` cases, one fresh process, "
            "default / `--harness-slow-connect on`: wall"
        ),
        (
            "slow_connect_default_seconds",
            "slow_connect_default_cases",
            "slow_connect_every_seconds",
            "slow_connect_every_cases",
        ),
        lambda r: (
            f"{r['slow_connect_default_seconds']:.1f} s for {r['slow_connect_default_cases']} "
            f"cases / {r['slow_connect_every_seconds']:.1f} s for "
            f"{r['slow_connect_every_cases']} cases"
        ),
    ),
    Row(
        lambda r: f"full default suite{_suite_size(r)}: `pytest -n 0` / `-n 2`",
        ("suite_seconds", "suite_seconds_n2", "xdist_speedup"),
        lambda r: (
            f"{r['suite_seconds']:.0f} s / {r['suite_seconds_n2']:.0f} s "
            f"({r['xdist_speedup']:.2f}{TIMES})"
        ),
        f"`-n 2` ≤ 45 s, ≥ 1.6{TIMES}",
        lambda r: r["suite_seconds_n2"] <= 45 and r["xdist_speedup"] >= 1.6,
    ),
)


def required_keys() -> list[str]:
    """The keys of every row, for the bench to check it wrote them all."""
    return [key for row in ROWS for key in row.keys]


def _caption(results: Results) -> str:
    machine = results.get("machine", {})
    caption = (
        f"Measured {machine.get('date', '?')} on {machine.get('cpus', '?')} cores, "
        f"{machine.get('platform', '?')}, Python {machine.get('python', '?')}, "
        f"httpx {machine.get('httpx', '?')}, openai {machine.get('openai', '?')}; "
        f"per-request figures are medians of {results.get('repeat', '?')} samples."
    )
    if results.get("smoke"):
        caption += " Smoke run: the counts are too small for these figures to mean anything."
    return caption


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _classified(run: Results | None) -> str:
    if run is None:
        return f"{NOT_MEASURED} (`tox -e classify`)"
    wrong = run["misclassifications"] + run["unobserved"]
    return f"{wrong} misclassified or unobserved ({run['connections_per_second']:.0f} conn/s)"


def correctness_rows(
    classify: Results | None, classify_load: Results | None, soak: Results | None
) -> list[tuple[str, str, str]]:
    """Rows from the classification and soak runs, which check correctness rather than time."""
    sample = classify or classify_load
    what = "classification: does the gate read each client's keepalive right?"
    if sample is not None:
        what = (
            f"classification: {sample['connections']:,} connections "
            f"({sample['keepalive_connections']:,} with keepalive) over "
            f"{' + '.join(sample['hosts'])}, sync + asyncio"
        )
    figure = f"{_classified(classify)}; under full CPU load {_classified(classify_load)}"
    if classify is None and classify_load is None:
        figure = _classified(None)
    runs = [run for run in (classify, classify_load) if run is not None]
    goal = "0 misclassified"
    if runs:
        clean = all(run["misclassifications"] + run["unobserved"] == 0 for run in runs)
        goal += " (met)" if clean and len(runs) == 2 else " (not met)"
    rows = [(what, figure, goal)]
    if soak is None:
        rows.append(("soak: the suite, run many times", f"{NOT_MEASURED} (`tox -e soak`)", ""))
    else:
        load = " with CPU load" if soak.get("load") else ""
        suite = " ".join(soak.get("suite", []))
        clean = soak["runs"] - soak["failed_runs"]
        what = f"soak{load}, a new hypothesis seed per run: {suite}"
        met = "(met)" if soak["failed_runs"] == 0 else "(not met)"
        rows.append((what, f"{clean}/{soak['runs']} runs clean", f"every run clean {met}"))
    return rows


def render(
    results: Results,
    classify: Results | None = None,
    classify_load: Results | None = None,
    soak: Results | None = None,
) -> str:
    """The block between the markers: a caption line and the table."""
    lines = [_caption(results), "", "| what | figure | goal |", "|---|---|---|"]
    for row in ROWS:
        measured = all(key in results and results[key] is not None for key in row.keys)
        figure = row.figure(results) if measured else NOT_MEASURED
        goal = row.goal
        if goal and measured and row.met is not None:
            goal += " (met)" if row.met(results) else " (not met)"
        lines.append(f"| {_cell(row.what(results))} | {_cell(figure)} | {_cell(goal)} |")
    for what, figure, goal in correctness_rows(classify, classify_load, soak):
        lines.append(f"| {_cell(what)} | {_cell(figure)} | {_cell(goal)} |")
    return "\n".join(lines)


class FiguresError(RuntimeError):
    pass


def split_readme(text: str) -> tuple[str, str, str]:
    """README text before the block (through the start marker), the block, and the rest."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise FiguresError(f"README has no figures block: expected {START!r} ... {END!r}")
    head = text[: start + len(START)]
    return head, text[len(head) : end].strip("\n"), text[end:]


def load_optional(path: Path) -> Results | None:
    return load_results(path) if path.exists() else None


def load_results(path: Path) -> Results:
    try:
        loaded = json.loads(path.read_text())
    except FileNotFoundError:
        raise FiguresError(f"{path}: no results; run python bench/run.py first") from None
    except ValueError as exc:
        raise FiguresError(f"{path}: not JSON: {exc}") from None
    if not isinstance(loaded, dict):
        raise FiguresError(f"{path}: expected a JSON object")
    return loaded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--classify", type=Path, default=CLASSIFY)
    parser.add_argument("--classify-load", type=Path, default=CLASSIFY_LOAD)
    parser.add_argument("--soak", type=Path, default=SOAK)
    parser.add_argument("--readme", type=Path, default=README)
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if the README disagrees"
    )
    args = parser.parse_args(argv)
    try:
        block = render(
            load_results(args.results),
            load_optional(args.classify),
            load_optional(args.classify_load),
            load_optional(args.soak),
        )
        head, shown, tail = split_readme(args.readme.read_text())
    except FiguresError as exc:
        print(f"figures: {exc}", file=sys.stderr)
        return 2
    if shown == block:
        print(f"figures: {args.readme.name} agrees with {args.results.name}")
        return 0
    if args.check:
        diff = difflib.unified_diff(
            shown.splitlines(), block.splitlines(), "README", str(args.results), lineterm=""
        )
        print("\n".join(diff))
        print(f"figures: {args.readme.name} disagrees with {args.results}", file=sys.stderr)
        return 1
    args.readme.write_text(f"{head}\n{block}\n{tail}")
    print(f"figures: {args.readme.name} table rendered from {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
