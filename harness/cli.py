"""Command line: ``repro`` replays a report offline, ``diagnose`` judges a client factory,
``record`` captures a live endpoint into a fixture."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.conditions import load_conditions
from harness.diagnose import diagnose, render
from harness.factory import FactoryError, load_factory, vet_factory
from harness.fixtures import FIXTURE_DIR, FixtureError, load_fixtures
from harness.kernel import KernelViewUnavailable
from harness.record import record
from harness.repro import ReproReport, run_repro
from harness.variants import VariantError

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


def diagnose_command(args: argparse.Namespace) -> int:
    try:
        factory = load_factory(args.factory)
        vet_factory(args.factory, factory)
        fixtures = load_fixtures(Path(args.fixtures))
        conditions = load_conditions(Path(args.fixtures) / "conditions")
        result = diagnose(
            args.factory, factory, fixtures, conditions, keepalive_idle=args.keepalive_idle
        )
    except (FactoryError, FixtureError, KernelViewUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    document = json.dumps(result.as_json(), indent=2)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(document + "\n")
    print(document if args.json else render(result))
    return 0 if result.ok else 1


def record_command(args: argparse.Namespace) -> int:
    payload = None
    if args.json_body:
        source = sys.stdin.read() if args.json_body == "-" else Path(args.json_body).read_text()
        payload = json.loads(source)
    proxy = args.proxy or os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy")
    try:
        fixture = record(
            args.url,
            args.variant or ["default", "keepalive"],
            method=args.method,
            payload=payload,
            proxy=proxy,
            name=args.name,
            anonymous=args.anonymous,
        )
    except VariantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    document = json.dumps(fixture, indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(document)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(document, end="")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m harness", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    replay = commands.add_parser("repro", help="replay a report's comparison offline")
    replay.add_argument("--fixture", default=DEFAULT_REPRO_FIXTURE, help="fixture with a report")
    replay.add_argument("--fixtures", default=str(FIXTURE_DIR), help="fixture directory")
    replay.add_argument("--json", action="store_true", help="machine-readable output")
    replay.set_defaults(run=repro)
    judge = commands.add_parser(
        "diagnose", help="run a client factory through every fixture and condition"
    )
    judge.add_argument("factory", metavar="MODULE:ATTR", help="client factory to judge")
    judge.add_argument("--fixtures", default=str(FIXTURE_DIR), help="fixture directory")
    judge.add_argument("--keepalive-idle", type=int, default=30, help="promised idle seconds")
    judge.add_argument("--json", action="store_true", help="machine-readable output")
    judge.add_argument("--output", help="also write the JSON report to this file")
    judge.set_defaults(run=diagnose_command)
    capture = commands.add_parser(
        "record",
        help="probe a live endpoint once per transport variant and write a fixture",
        description="Credentials come from HARNESS_RECORD_BEARER or OPENAI_API_KEY, never from "
        "arguments; everything written is redacted.",
    )
    capture.add_argument("url")
    capture.add_argument(
        "--variant", action="append", choices=["default", "keepalive", "proxy"], help="repeatable"
    )
    capture.add_argument("--method", default="GET")
    capture.add_argument("--json-body", metavar="FILE", help="JSON request body ('-' for stdin)")
    capture.add_argument("--proxy", help="proxy URL for the proxy variant (default HTTPS_PROXY)")
    capture.add_argument("--name", help="fixture name (default: recorded-<host>)")
    capture.add_argument("--output", metavar="PATH", help="write here instead of stdout")
    capture.add_argument(
        "--anonymous", action="store_true", help="record without credentials (none is sent)"
    )
    capture.set_defaults(run=record_command)
    args = parser.parse_args(argv)
    return int(args.run(args))
