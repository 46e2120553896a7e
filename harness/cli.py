"""Command line: ``python -m harness repro`` replays the report offline."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.fixtures import FIXTURE_DIR, FixtureError, load_fixtures
from harness.kernel import KernelViewUnavailable
from harness.repro import ReproReport, run_repro

DEFAULT_REPRO_FIXTURE = "chatgpt-codex"


def _print_repro(result: ReproReport) -> None:
    for variant in result.variants:
        print(variant.line)
    print()
    print(f"origin {result.fixture} (fixture provenance: {result.source}) observed:")
    for variant in result.variants:
        for observation in variant.observations:
            print(f"  [{variant.variant}] {observation.summary()}")
        if not variant.observations:
            print(f"  [{variant.variant}] no connection reached the origin")
    print()
    for variant in result.variants:
        verdict = (
            "matches the report" if variant.matches else f"DIFFERS: report saw {variant.expected}"
        )
        print(f"{variant.variant}: {verdict}")
    summary = "reproduced" if result.ok else "NOT reproduced"
    print(f"{summary} in {result.seconds:.2f} s")


def repro(args: argparse.Namespace) -> int:
    try:
        fixtures = {f.name: f for f in load_fixtures(Path(args.fixtures))}
    except FixtureError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.fixture not in fixtures:
        print(
            f"error: no fixture named {args.fixture!r}; have: {', '.join(fixtures)}",
            file=sys.stderr,
        )
        return 2
    try:
        result = run_repro(fixtures[args.fixture])
    except (KernelViewUnavailable, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.as_json(), indent=2, default=str))
    else:
        _print_repro(result)
    if not result.ok:
        print(
            "error: the simulated outcomes differ from the fixture's recorded ones", file=sys.stderr
        )
    return 0 if result.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m harness", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    replay = commands.add_parser("repro", help="replay a report's comparison offline")
    replay.add_argument("--fixture", default=DEFAULT_REPRO_FIXTURE, help="fixture with a report")
    replay.add_argument("--fixtures", default=str(FIXTURE_DIR), help="fixture directory")
    replay.add_argument("--json", action="store_true", help="machine-readable output")
    replay.set_defaults(run=repro)
    args = parser.parse_args(argv)
    return int(args.run(args))
