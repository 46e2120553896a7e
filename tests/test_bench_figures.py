"""The README's figures table is rendered from the bench's results, and --check catches drift."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


figures = _load("figures")

#: One value per figure, each distinct, so a row showing the wrong key shows the wrong number.
RESULTS = {
    "machine": {"date": "2026-11-26", "cpus": 2, "platform": "Linux", "python": "3.11.7"},
    "repeat": 50,
    "reset_ms_median": 2.5,
    "floor_reset_ms_median": 1.75,
    "overhead_reset_ms_median": 0.75,
    "overhead_reset_cpu_ms_median": 0.5,
    "served_scenario_ms_median": 6.25,
    "floor_served_ms_median": 4.0,
    "overhead_served_ms_median": 2.25,
    "overhead_served_cpu_ms_median": 1.5,
    "proxied_scenario_ms_median": 7.75,
    "isolated_scenario_ms_median": 9.5,
    "in_process_scenario_ms_median": 5.0,
    "isolation_ms_median": 4.25,
    "served_ms_median": 4.5,
    "phs_default_ms_median": 16.5,
    "phs_nodelay_ms_median": 3.0,
    "netlink_ms_median": 0.004,
    "proc_ms_median": 1.3,
    "split_matrix": [{"cases": 27}, {"cases": 214}],
    "split_fit_r2": 0.97,
    "split_startup_seconds": 2.4,
    "split_seconds_per_case": 0.013,
    "split_full_seconds": 5.5,
    "split_full_cpu_seconds": 4.25,
    "split_full_cases": 310,
    "slow_connect_default_seconds": 12.5,
    "slow_connect_default_cases": 2,
    "slow_connect_every_seconds": 38.0,
    "slow_connect_every_cases": 12,
    "suite_cases": 420,
    "suite_seconds": 80.0,
    "suite_seconds_n2": 44.0,
    "xdist_speedup": 1.82,
}


CLASSIFY = {
    "connections": 10000,
    "keepalive_connections": 5000,
    "hosts": ["127.0.0.1", "::1"],
    "misclassifications": 0,
    "unobserved": 0,
    "connections_per_second": 671.4,
}
CLASSIFY_LOAD = dict(CLASSIFY, misclassifications=2, unobserved=1, connections_per_second=350.2)
SOAK = {"runs": 20, "failed_runs": 1, "load": True, "suite": ["tests/test_split.py"]}


def _rows(block: str) -> dict[str, list[str]]:
    rows = [line.strip("|").split(" | ") for line in block.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): [cell.strip() for cell in cells[1:]] for cells in rows[1:]}


def test_every_row_shows_its_own_figure_and_whether_the_goal_is_met() -> None:
    rows = _rows(figures.render(RESULTS, CLASSIFY, CLASSIFY_LOAD, SOAK))
    assert len(rows) == len(figures.ROWS) + 2
    shown = {what.split(" (")[0].split(":")[0]: cells for what, cells in rows.items()}
    assert shown["reset scenario through the simulated network, in one process"] == [
        "2.5 ms",
        "≤ 3 ms (met)",
    ]
    reset_floor = rows[
        "the same, bare TLS server (no gate, no routing): floor / harness overhead (CPU)"
    ]
    assert reset_floor == ["1.8 ms / +0.75 ms (CPU +0.50 ms)", "overhead ≤ 1 ms (met)"]
    served_floor = rows["the same, bare TLS server (ssl + h11): floor / harness overhead (CPU)"]
    assert served_floor == ["4.0 ms / +2.25 ms (CPU +1.50 ms)", "overhead ≤ 1 ms (not met)"]
    proxied = rows["the same in a scenario's own process, through the harness's CONNECT proxy"]
    assert proxied == ["7.8 ms", ""]
    isolated = rows[
        "served scenario in a child forked from the warm worker / isolation cost over the same "
        "scenario in-process (trust and routing, no child), median of pairs"
    ]
    assert isolated == ["9.5 ms / +4.25 ms", ""]
    assert shown["one request on a new TLS connection through the gate"] == [
        "4.5 ms (1.50\u00d7 the TCP_NODELAY row)",
        "≤ 1.2\u00d7 (not met)",
    ]
    assert shown["split suite"] == ["2.4 s + 13 ms/case", ""]
    assert shown["split suite, whole, one fresh process"] == [
        "5.5 s (4.2 s) for 310 cases",
        "≤ 6 s for ≥ 300 cases (met)",
    ]
    assert rows["full default suite, 420 tests: `pytest -n 0` / `-n 2`"] == [
        "80 s / 44 s (1.82\u00d7)",
        "`-n 2` ≤ 45 s, ≥ 1.6\u00d7 (met)",
    ]
    assert "27 → 214 cases" in figures.render(RESULTS)
    classified = "classification: 10,000 connections (5,000 with keepalive) over 127.0.0.1 + ::1"
    assert rows[f"{classified}, sync + asyncio"] == [
        "0 misclassified or unobserved (671 conn/s); "
        "under full CPU load 3 misclassified or unobserved (350 conn/s)",
        "0 misclassified (not met)",
    ]
    assert rows["soak with CPU load, a new hypothesis seed per run: tests/test_split.py"] == [
        "19/20 runs clean",
        "every run clean (not met)",
    ]


def test_a_figure_missing_from_the_results_is_not_measured_rather_than_guessed() -> None:
    partial = {k: v for k, v in RESULTS.items() if not k.startswith(("suite_", "xdist_"))}
    rows = _rows(figures.render(partial, CLASSIFY, None, None))
    suite = rows["full default suite: `pytest -n 0` / `-n 2`"]
    assert suite == [figures.NOT_MEASURED, "`-n 2` ≤ 45 s, ≥ 1.6\u00d7"]
    assert sum(cells[0] == figures.NOT_MEASURED for cells in rows.values()) == 1
    unmeasured = [cells[0] for cells in rows.values() if cells[0].endswith("`)")]
    assert unmeasured == [
        "0 misclassified or unobserved (671 conn/s); "
        f"under full CPU load {figures.NOT_MEASURED} (`tox -e classify`)",
        f"{figures.NOT_MEASURED} (`tox -e soak`)",
    ]


def _readme(tmp_path: Path, block: str = "old table") -> Path:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n\n{figures.START}\n{block}\n{figures.END}\n\nafter\n")
    return readme


def _results(tmp_path: Path, results: dict[str, object]) -> Path:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    return path


def _only(tmp_path: Path, results: Path, readme: Path) -> list[str]:
    """Arguments naming ``results`` and ``readme``, and no classification or soak results."""
    missing = str(tmp_path / "missing.json")
    optional = ["--classify", missing, "--classify-load", missing, "--soak", missing]
    return ["--readme", str(readme), "--results", str(results), *optional]


def test_render_rewrites_only_the_block_and_check_then_agrees(tmp_path: Path) -> None:
    readme, results = _readme(tmp_path), _results(tmp_path, RESULTS)
    args = _only(tmp_path, results, readme)
    assert figures.main([*args, "--check"]) == 1
    assert "old table" in readme.read_text()  # --check changes nothing
    assert figures.main(args) == 0
    text = readme.read_text()
    assert text.startswith("# Title\n\nbefore\n\n") and text.endswith("\n\nafter\n")
    assert figures.render(RESULTS) in text and "old table" not in text
    assert figures.main([*args, "--check"]) == 0


def test_check_fails_when_the_results_change(tmp_path: Path) -> None:
    readme = _readme(tmp_path, figures.render(RESULTS))
    newer = _results(tmp_path, dict(RESULTS, reset_ms_median=3.5))
    assert figures.main([*_only(tmp_path, newer, readme), "--check"]) == 1


@pytest.mark.parametrize("broken", ["no markers", "no results"])
def test_a_readme_without_markers_or_missing_results_is_a_usage_error(
    tmp_path: Path, broken: str
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# no block here\n")
    if broken == "no results":
        readme = _readme(tmp_path)
    results = tmp_path / "missing.json" if broken == "no results" else _results(tmp_path, RESULTS)
    assert figures.main(_only(tmp_path, results, readme)) == 2


def test_correctness_goals_are_met_only_when_both_runs_are_clean() -> None:
    clean_soak = dict(SOAK, failed_runs=0)
    goals = [row[2] for row in figures.correctness_rows(CLASSIFY, CLASSIFY, clean_soak)]
    assert goals == ["0 misclassified (met)", "every run clean (met)"]
    (goal, _soak) = [row[2] for row in figures.correctness_rows(CLASSIFY, None, clean_soak)]
    assert goal == "0 misclassified (not met)"  # the run under load is missing
