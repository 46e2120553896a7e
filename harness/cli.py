"""Command line: ``repro`` replays a report offline, ``diagnose`` judges a client factory,
``record`` captures a live endpoint into a fixture.

Exit codes mean the same for every subcommand; the harness's own errors (``HarnessError``) are
caught in one place, :func:`main`, and anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import textwrap
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from harness.errors import HarnessError, UsageInputError
from harness.fixtures import FIXTURE_DIR, load_fixtures
from harness.interrupts import Interrupted, checkpoint, received, unwinding_on_signals
from harness.judging import settings
from harness.judging.causes import SUMMARIES as CAUSE_SUMMARIES
from harness.judging.deadline import DEFAULT_SECONDS as DEFAULT_DEADLINE
from harness.judging.diagnose import diagnose, render
from harness.judging.drive import Subject, vet_factory
from harness.judging.expectation import (
    DEFAULT_IDLE_SECONDS,
    NOT_JUDGED,
    KeepaliveExpectation,
)
from harness.judging.proxy_rules import expected_route
from harness.network.conditions import DIRECT, load_conditions
from harness.network.edge import CHECKS
from harness.record import record
from harness.repro import ReproReport, origin_files, run_catalog, run_repro
from harness.sandbox.pool import DEFAULT_IMPORT_SECONDS, Sandbox

OPTION = settings.KEEPALIVE_IDLE.option
ENV_VAR = settings.KEEPALIVE_IDLE.env
DEADLINE_ENV = settings.DEADLINE.env

DEFAULT_REPRO_FIXTURE = "chatgpt-codex"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BUG = 3
#: 128 + SIGPIPE, as a shell reports a command its pipe reader left.
EXIT_CLOSED_PIPE = 141

PACKAGED = "the packaged origin files"


def exit_codes(ok: str, usage: str, failed: str | None = None) -> str:
    """The exit-code block of every help text: one meaning per code, the same for all."""
    lines = ["exit codes:", f"  0    {ok}"]
    if failed:
        lines.append(f"  1    {failed}")
    lines += [
        textwrap.fill(
            f"usage error: {usage}", width=96, initial_indent="  2    ", subsequent_indent=" " * 7
        ),
        "  3    a bug in the harness (its traceback is printed)",
        "  130  interrupted by SIGINT, 143 by SIGTERM (128 + the signal number), after removing",
        "       the temporary files and closing the listeners it made",
        "  141  the reader of its output went away (a closed pipe, as `| head` leaves)",
    ]
    return "\n".join(lines)


MAIN_EPILOG = (
    """\
subcommands:
  repro      replay a report's comparison (default: hermes-agent issue 12952) offline
  diagnose   run a client factory through every scenario of the split suite, as a table
  record     probe a live endpoint once per transport variant and write a fixture

"""
    + exit_codes(
        ok="all ok: reproduced, no violation, fixture written",
        failed="violations found (diagnose) or not reproduced (repro)",
        usage="bad arguments, a factory that cannot be loaded or used, a bad origin file, "
        "no kernel view of sockets",
    )
    + """

example:
  python -m harness repro
  python -m harness diagnose mypackage.clients:build_client --json --output diagnose.json
  python -m harness diagnose --help"""
)

REPRO_DESCRIPTION = """\
Replay a report's own comparison offline. A default httpx.Client and one whose transport sets
SO_KEEPALIVE send the request the fixture's "report" section recorded, to the simulated origin
(real TLS, the real kernel, nothing leaves the machine). Prints what each client got (named
for what it is: the report's "custom" client is the keepalive transport), what the origin
observed of each connection (keepalive armed? idle time? which fault rule acted?), and whether
each outcome matches the one the report recorded.

defaults: fixture chatgpt-codex (hermes-agent issue 12952: the Codex backend resets TLS
handshakes from sockets with TCP keepalive armed), looked up in the packaged origin files."""

REPRO_EPILOG = (
    exit_codes(
        ok="every outcome matches the report (reproduced)",
        failed="an outcome differs from the report (not reproduced)",
        usage="bad arguments, an unknown fixture or one without a report, a bad origin file, "
        "no kernel view",
    )
    + """

example:
  python -m harness repro
  python -m harness repro --json
  python -m harness repro --all
  python -m harness repro --fixtures ./my-fixtures --fixture recorded-example-com"""
)

CAUSE_LINES = "\n".join(f"  {name:<30} {line}" for name, line in CAUSE_SUMMARIES.items())

DIAGNOSE_DESCRIPTION = f"""\
Run a client factory through every scenario the split suite runs (each endpoint of the origin
files, sync and async, direct, under each network condition, each proxy variable and each
NO_PROXY spelling), and print one row per scenario: what the client got,
what the origin and the proxy observed, the verdict and, for a failure, the likely cause:
{CAUSE_LINES}

The factory is called as factory(provider, base_url, api_key, async_client=...) and must return
openai.OpenAI / openai.AsyncOpenAI; it is vetted first with ("openai",
"https://api.openai.com/v1", ...), and a factory that cannot be imported, raises there or returns
another type is a usage error. A factory that raises for one endpoint fails that row only.

defaults: keepalive required on non-Codex endpoints with idle {DEFAULT_IDLE_SECONDS} s (from
{OPTION}, else the {ENV_VAR} variable, else {DEFAULT_IDLE_SECONDS}); origins from the packaged
origin files."""

DIAGNOSE_EPILOG = (
    exit_codes(
        ok="every scenario as expected",
        failed="at least one violation (the table's summary counts them by cause)",
        usage=f"bad arguments (e.g. {OPTION} 0), a factory that cannot be loaded or used, "
        "a bad origin file, no kernel view",
    )
    + """

example:
  python -m harness diagnose mypackage.clients:build_client
  python -m harness diagnose mypackage.clients:build_client --keepalive-idle 60
  python -m harness diagnose mypackage.clients:build_client --keepalive-idle off --json
  HARNESS_KEEPALIVE_IDLE=off python -m harness diagnose mypackage.clients:build_client \\
      --output reports/diagnose.json"""
)

RECORD_DESCRIPTION = """\
Probe a live endpoint once per transport variant and write what happened as a fixture: the
outcome per variant, the reply, and a fault rule inferred from which variants got through. This
is the only subcommand that reaches the network.

variants: default (httpx as the SDK builds it), keepalive (a transport with SO_KEEPALIVE),
proxy (through --proxy, else the URL scheme's variable, HTTPS_PROXY or HTTP_PROXY, or ALL_PROXY,
unless NO_PROXY exempts the host).
credentials: only from HARNESS_RECORD_BEARER or OPENAI_API_KEY, never from arguments; without
either it refuses unless --anonymous is given. Authorization, cookies, tokens and account ids are
redacted from everything written.

defaults: variants default and keepalive; method GET; no body; fixture name recorded-<host>;
written to stdout."""

RECORD_EPILOG = (
    exit_codes(
        ok="the fixture was written",
        usage="bad arguments (a URL that is not http(s) with a host, an unknown variant, an "
        "unreadable --json-body), no credentials without --anonymous",
    )
    + """

example:
  HARNESS_RECORD_BEARER=... python -m harness record https://example.com/v1/models \\
      --variant default --variant keepalive --variant proxy --output my-fixtures/example.json
  python -m harness repro --fixtures my-fixtures --fixture recorded-example-com"""
)


def _fixture_dir(args: argparse.Namespace) -> Path:
    """``--harness-fixtures``, else ``HARNESS_FIXTURES`` (as in pytest), else the packaged
    origin files."""
    given = settings.resolve(settings.FIXTURES, args.fixtures)
    return Path(given.value) if given.value is not None else FIXTURE_DIR


def _print_repro(result: ReproReport) -> None:
    for variant in result.variants:
        print(variant.line)
    print()
    print(f"origin {result.fixture} (fixture provenance: {result.source}) observed:")
    for variant in result.variants:
        for observation in variant.observations:
            print(f"  [{variant.label}] {observation.summary()}")
        if not variant.observations:
            print(f"  [{variant.label}] no connection reached the origin")
    print()
    for variant in result.variants:
        verdict = (
            "matches the report" if variant.matches else f"DIFFERS: report saw {variant.expected}"
        )
        print(f"{variant.label}: {verdict}")
    summary = "reproduced" if result.ok else "NOT reproduced"
    print(f"{summary} in {result.seconds:.2f} s")


def _catalog_line(result: ReproReport) -> str:
    """One report: whether it matched, its link, what its reporter saw and what arrived here."""
    saw = ", ".join(f"{v.label} {v.reported}" for v in result.variants)
    got = ", ".join(f"{v.label} {v.got}" for v in result.variants)
    under = "" if result.condition == DIRECT.name else f" under {result.condition}"
    verdict = "reproduced" if result.ok else "MISMATCH"
    return (
        f"{verdict:<10}  {result.source}  ({result.fixture}{under}): reporter saw {saw}; "
        f"here {got} ({result.seconds:.1f} s)"
    )


def repro_all(args: argparse.Namespace) -> int:
    started, directory = time.perf_counter(), _fixture_dir(args)
    results = run_catalog(directory)
    if not results:
        raise UsageInputError(f"{directory}: no origin file carries a report")
    failed = [result for result in results if not result.ok]
    if args.json:
        reports = [result.as_json() for result in results]
        print(json.dumps({"ok": not failed, "reports": reports}, indent=2, default=str))
    else:
        for result in results:
            print(_catalog_line(result))
        print(
            f"{len(results)} reports: {len(results) - len(failed)} reproduced, "
            f"{len(failed)} mismatched, in {time.perf_counter() - started:.1f} s"
        )
    if failed:
        names = ", ".join(result.fixture for result in failed)
        print(f"error: not reproduced: {names}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def repro(args: argparse.Namespace) -> int:
    if args.all:
        if args.fixture is not None:
            raise UsageInputError("--all replays every report; leave out --fixture")
        return repro_all(args)
    name = args.fixture or DEFAULT_REPRO_FIXTURE
    directory = _fixture_dir(args)
    fixtures = origin_files(directory)
    if name not in fixtures:
        raise UsageInputError(f"--fixture: no fixture named {name!r}; have: {', '.join(fixtures)}")
    result = run_repro(fixtures[name], directory / "conditions")
    if args.json:
        print(json.dumps(result.as_json(), indent=2, default=str))
    else:
        _print_repro(result)
    if not result.ok:
        print(
            "error: the simulated outcomes differ from the fixture's recorded ones", file=sys.stderr
        )
    return EXIT_OK if result.ok else EXIT_FAILED


def keepalive_expectation(given: str | None) -> tuple[KeepaliveExpectation, str]:
    """The expectation in force and where it came from, by the rule pytest uses too."""
    setting = settings.resolve(settings.KEEPALIVE_IDLE, given)
    return settings.keepalive(setting), setting.source


def phase_deadline(given: str | None) -> float:
    """Seconds per phase: the option, else the environment variable, else the default."""
    return settings.deadline(settings.resolve(settings.DEADLINE, given))


def _check_writable(path: str | None) -> None:
    """Refuse an ``--output`` the run could not write, before the run: a directory, a path
    below a file, an existing file this process may not write, or a new one in a place it may
    not create files in (tried with a temporary file in the nearest directory that exists,
    removed at once)."""
    if not path:
        return
    target = Path(path)
    if target.is_dir():
        raise UsageInputError(f"--output {path}: is a directory")
    if target.exists():
        if not os.access(target, os.W_OK):
            raise UsageInputError(f"--output {path}: cannot write: permission denied")
        return
    existing = target.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UsageInputError(f"--output {path}: {existing} is not a directory")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise UsageInputError(f"--output {path}: cannot write: {exc.strerror or exc}") from None


def _write(path: str, document: str) -> None:
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(document)
    except OSError as exc:
        raise UsageInputError(f"--output {path}: cannot write: {exc}") from exc


def diagnose_command(args: argparse.Namespace) -> int:
    _check_writable(args.output)
    keepalive, source = keepalive_expectation(args.keepalive_idle)
    deadline = phase_deadline(args.deadline)
    import_seconds = settings.import_deadline(
        settings.resolve(settings.IMPORT_DEADLINE, args.import_deadline)
    )
    hello = settings.client_hello_judged(settings.resolve(settings.CLIENT_HELLO, args.client_hello))
    identity = settings.resolve(settings.IDENTITY, args.identity)
    demanded = settings.identity(identity)
    idle_streams = settings.resolve(settings.STREAM_IDLE, args.stream_idle)
    stream_idle = settings.stream_idle(idle_streams)
    within = settings.resolve(settings.CONNECT_WITHIN, args.connect_within)
    connect_within = settings.connect_within(within)
    slow = settings.resolve(settings.SLOW_CONNECT, args.slow_connect)
    slow_connect = settings.slow_connect(slow)
    spec = settings.factory(settings.Setting(args.factory, "the factory argument"))
    assert spec is not None
    directory = _fixture_dir(args)
    fixtures = load_fixtures(directory)
    conditions = load_conditions(directory / "conditions")
    with Sandbox(import_seconds=import_seconds) as sandbox:
        subject = Subject.of(sandbox, spec)
        vet_factory(subject, deadline=deadline)
        result = diagnose(
            subject,
            fixtures,
            conditions,
            keepalive=keepalive,
            keepalive_source=source,
            deadline=deadline,
            client_hello=hello,
            identity=(demanded, identity.source),
            stream_idle=(stream_idle, idle_streams.source),
            connect_within=(connect_within, within.source),
            slow_connect=(slow_connect, slow.source),
        )
    document = json.dumps(result.as_json(), indent=2)
    if args.output:
        _write(args.output, document + "\n")
    print(document if args.json else render(result))
    return EXIT_OK if result.ok else EXIT_FAILED


def _json_body(source: str | None) -> object:
    if not source:
        return None
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
        return json.loads(text)
    except (OSError, ValueError) as exc:
        raise UsageInputError(f"--json-body {source}: {exc}") from exc


def record_command(args: argparse.Namespace) -> int:
    _check_writable(args.output)
    payload = _json_body(args.json_body)
    # the proxy the documented rules pick for this URL (its scheme's variable, or ALL_PROXY)
    proxy = args.proxy or expected_route(args.url, os.environ).proxy
    fixture = record(
        args.url,
        args.variant or ["default", "keepalive"],
        method=args.method,
        payload=payload,
        proxy=proxy,
        name=args.name,
        anonymous=args.anonymous,
    )
    document = json.dumps(fixture, indent=2) + "\n"
    if args.output:
        _write(args.output, document)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(document, end="")
    return EXIT_OK


def _subcommand(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
    epilog: str,
) -> argparse.ArgumentParser:
    return commands.add_parser(
        name,
        help=summary,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m harness",
        description="Reproduce offline how HTTP client code breaks against real network\n"
        "behaviour (TLS, the kernel's keepalive timer, proxies), and judge a client factory.",
        epilog=MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    fixtures_help = (
        f"directory of origin files (env {settings.FIXTURES.env}; default: {PACKAGED}); "
        "--fixtures is the same"
    )

    replay = _subcommand(
        commands,
        "repro",
        "replay a report's comparison offline",
        REPRO_DESCRIPTION,
        REPRO_EPILOG,
    )
    replay.add_argument(
        "--fixture",
        help=f"origin whose report to replay (default: {DEFAULT_REPRO_FIXTURE}); the origin "
        "files and their reports/ subdirectory are searched",
    )
    replay.add_argument(
        "--all",
        action="store_true",
        help="replay every report in the catalog (the origin files and reports/), one line each",
    )
    replay.add_argument(
        settings.FIXTURES.option, "--fixtures", dest="fixtures", metavar="DIR", help=fixtures_help
    )
    replay.add_argument("--json", action="store_true", help="print the result as JSON")
    replay.set_defaults(run=repro)

    judge = _subcommand(
        commands,
        "diagnose",
        "run a client factory through every fixture and condition",
        DIAGNOSE_DESCRIPTION,
        DIAGNOSE_EPILOG,
    )
    judge.add_argument("factory", metavar="MODULE:ATTR", help="the client factory to judge")
    judge.add_argument(
        settings.FIXTURES.option, "--fixtures", dest="fixtures", metavar="DIR", help=fixtures_help
    )
    judge.add_argument(
        OPTION,
        dest="keepalive_idle",
        metavar="SECONDS|off",
        help="idle time non-Codex connections must arm TCP keepalive with, or "
        f"'{NOT_JUDGED}' to leave keepalive unjudged (Codex, proxy and NO_PROXY still are); "
        f"default: ${ENV_VAR}, else {DEFAULT_IDLE_SECONDS}",
    )
    judge.add_argument(
        settings.DEADLINE.option,
        "--deadline",
        dest="deadline",
        metavar="SECONDS",
        help="limit on each phase of every scenario (building the client, connecting, waiting "
        "for the response, the factory's exit hooks), timed from outside the scenario's "
        "process, and on vetting the factory; a breach fails that row; "
        f"default: ${DEADLINE_ENV}, else {DEFAULT_DEADLINE:g}; --deadline is the same",
    )
    judge.add_argument(
        settings.IMPORT_DEADLINE.option,
        dest="import_deadline",
        metavar="SECONDS",
        help="limit on importing the factory's module in its worker process; "
        f"default: ${settings.IMPORT_DEADLINE.env}, else {DEFAULT_IMPORT_SECONDS:g}",
    )
    judge.add_argument(
        settings.CLIENT_HELLO.option,
        dest="client_hello",
        metavar="sdk|off",
        help="'sdk': a Codex client must present the TLS ClientHello (JA4) of the SDK's default "
        "client, measured first on this machine; 'off': not judged; "
        f"default: ${settings.CLIENT_HELLO.env}, else sdk",
    )
    judge.add_argument(
        settings.IDENTITY.option,
        dest="identity",
        metavar="CHECKS|off",
        help="what the Codex edge's identity challenge (condition codex-edge-challenge) "
        f"demands: a comma-separated list of {', '.join(CHECKS)}, or "
        f"'off'; default: ${settings.IDENTITY.env}, else all of them",
    )
    judge.add_argument(
        settings.STREAM_IDLE.option,
        dest="stream_idle",
        metavar="SECONDS|off",
        help="a client must give up within SECONDS on a stream that goes silent for longer "
        "(condition codex-stream-stall); 'off': it must wait the silence out; "
        f"default: ${settings.STREAM_IDLE.env}, else off",
    )
    judge.add_argument(
        settings.CONNECT_WITHIN.option,
        dest="connect_within",
        metavar="SECONDS|off",
        help="a client must reach the origin within SECONDS of its call (under ipv6-blackhole: "
        "it must race IPv6 and IPv4); 'off': any connect within the deadline passes; "
        f"default: ${settings.CONNECT_WITHIN.env}, else off",
    )
    judge.add_argument(
        settings.SLOW_CONNECT.option,
        dest="slow_connect",
        metavar="on|off",
        help="'on': run every case whose client may wait out a connect timeout (condition "
        "ipv6-blackhole, each endpoint on its hosts); 'off': one endpoint stands for the rest; "
        f"default: ${settings.SLOW_CONNECT.env}, else off",
    )
    judge.add_argument("--json", action="store_true", help="print the report as JSON")
    judge.add_argument(
        "--output", metavar="FILE", help="also write the JSON report to FILE (either way)"
    )
    judge.set_defaults(run=diagnose_command)

    capture = _subcommand(
        commands,
        "record",
        "probe a live endpoint once per transport variant and write a fixture",
        RECORD_DESCRIPTION,
        RECORD_EPILOG,
    )
    capture.add_argument("url", help="the endpoint to probe, e.g. https://example.com/v1/models")
    capture.add_argument(
        "--variant",
        action="append",
        choices=["default", "keepalive", "proxy"],
        help="transport variant, repeatable (default: default and keepalive)",
    )
    capture.add_argument("--method", default="GET", help="HTTP method (default: GET)")
    capture.add_argument(
        "--json-body", metavar="FILE", help="JSON request body, '-' for stdin (default: none)"
    )
    capture.add_argument(
        "--proxy",
        help="proxy URL for the proxy variant (default: the URL's scheme's proxy variable or "
        "ALL_PROXY, unless NO_PROXY exempts it)",
    )
    capture.add_argument("--name", help="fixture name (default: recorded-<host>)")
    capture.add_argument(
        "--output", metavar="PATH", help="write the fixture here (default: stdout)"
    )
    capture.add_argument(
        "--anonymous",
        action="store_true",
        help="record without credentials (none is sent, even if one is set)",
    )
    capture.set_defaults(run=record_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, run, and map the outcome to one exit code (see :func:`exit_codes`)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)  # a bad argument exits 2 here
    with unwinding_on_signals():
        try:
            code = int(args.run(args))
            checkpoint()  # a signal whose first raise was swallowed still ends the command
            sys.stdout.flush()  # a reader that went away shows here, not in the exit's flush
            return code
        except HarnessError as exc:
            if (interrupted := received()) is not None:  # the factory turned the signal into this
                print(f"{interrupted}; temporary files removed, listeners closed", file=sys.stderr)
                return interrupted.exit_code
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except Interrupted as exc:
            print(f"{exc}; temporary files removed, listeners closed", file=sys.stderr)
            return exc.exit_code
        except BrokenPipeError:  # the reader went away (`| head`): stop writing, as cat would
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_CLOSED_PIPE
        except Exception:
            if (interrupted := received()) is not None:
                print(f"{interrupted}; temporary files removed, listeners closed", file=sys.stderr)
                return interrupted.exit_code
            traceback.print_exc()
            print(
                f"error: the harness itself failed (a bug; exit {EXIT_BUG}); "
                "please report it with the traceback above",
                file=sys.stderr,
            )
            return EXIT_BUG
