"""One scenario's process: forked from the worker, it builds the client and makes the call.

Before the factory runs, the process gets the scenario's environment (the worker's clean one plus
exactly the job's variables), default signal handlers, no exit hooks of the worker's, its own
output file, and the egress guard (the router, with the network's routes), which stays in place
through the factory's threads and exit hooks until the process ends. The harness never closes the
client: the process's exit does. Nothing here returns; the process ends with ``os._exit``.
"""

from __future__ import annotations

import asyncio
import atexit
import dataclasses
import os
import signal
import sys
import time
import unittest
from typing import Any, NoReturn

from harness.network.routing import Router
from harness.sandbox.calls import Call, async_call, sync_call
from harness.sandbox.contract import ClientFactory, ContractBroken, build_client
from harness.sandbox.processes import become_subreaper, has_children
from harness.sandbox.wire import (
    BROKEN,
    BUILD,
    BUILT,
    CALL,
    DONE,
    OUTCOME,
    PHASE,
    SKIP,
    Job,
    ordinal,
    write_message,
)


def _settle(output_fd: int, base_environ: dict[str, str], job: Job) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    os.close(output_fd)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    atexit._clear()  # the worker's own hooks run when the worker exits, not here
    become_subreaper()
    os.environ.clear()
    os.environ.update(base_environ)
    os.environ.update(job.environ)


def _build_earlier(factory: ClientFactory, job: Job, router: Router, report: int) -> list[Any]:
    """The clients a long-running program built before this one, in this process: each must be
    built as the contract says (one the factory declines is passed over), and each is kept, as
    the program would keep it. ``None`` once a build broke the contract (reported)."""
    kept: list[Any] = []
    for nth, (provider, base_url) in enumerate(job.earlier, start=1):
        write_message(report, {PHASE: BUILD, "building": f"{provider}@{base_url}", "nth": nth})
        try:
            kept.append(build_client(factory, provider, base_url, job.api_key, job.async_client))
        except unittest.SkipTest:
            continue
        except ContractBroken as exc:
            detail = (
                f"{exc.broken.detail} (building the client for {provider}@{base_url}, the "
                f"{ordinal(nth)} this process asked for)"
            )
            broken = {"kind": exc.broken.kind, "detail": detail}
            write_message(report, {BROKEN: broken, "refusals": router.refusals()})
            raise _Reported from None
    return kept


class _Reported(Exception):
    """The child has reported how its job ended; nothing more to do but the exit hooks."""


def _build_and_call(factory: ClientFactory, job: Job, router: Router, report: int) -> None:
    try:
        earlier = _build_earlier(factory, job, router, report)
    except _Reported:
        return
    nth = len(job.earlier) + 1
    write_message(report, {PHASE: BUILD, "building": f"{job.provider}@{job.base_url}", "nth": nth})
    try:
        client = build_client(
            factory, job.provider, job.base_url, job.api_key, async_client=job.async_client
        )
    except unittest.SkipTest as exc:
        write_message(report, {SKIP: str(exc), "refusals": router.refusals()})
        return
    except ContractBroken as exc:
        broken = {"kind": exc.broken.kind, "detail": exc.broken.detail}
        write_message(report, {BROKEN: broken, "refusals": router.refusals()})
        return
    if job.call is None:
        write_message(report, {BUILT: type(client).__name__, "refusals": router.refusals()})
        return
    write_message(report, {PHASE: CALL})
    call = Call(job.call)
    client = client.with_options(max_retries=0)
    started, started_at = time.perf_counter(), time.monotonic()
    outcome = asyncio.run(_async(client, call)) if job.async_client else sync_call(client, call)
    outcome = dataclasses.replace(
        outcome, seconds=round(time.perf_counter() - started, 3), started_at=started_at
    )
    write_message(report, {OUTCOME: outcome.as_json(), "refusals": router.refusals()})
    del earlier  # held until here, as the program holds its clients


async def _async(client: Any, call: Call) -> Any:
    return await async_call(client, call)


def run(
    job: Job,
    report: int,
    output_fd: int,
    factory: ClientFactory,
    base_environ: dict[str, str],
) -> NoReturn:
    """Run ``job`` and end the process: exit code 0 after ``done``; a factory that exits or
    raises ``SystemExit`` ends it with its own code, before ``done``, as it would any program."""
    code = 0
    try:
        _settle(output_fd, base_environ, job)
        router = Router.from_table(job.routes)
        guard = router.active()
        guard.__enter__()  # never left: the guard lives as long as the process
        try:
            _build_and_call(factory, job, router, report)
        finally:
            atexit._run_exitfuncs()  # the factory's exit hooks, still guarded
        # no child at all (orphans reparent here, a subreaper): the judge need not wait for the
        # worker to reap this process before it moves on
        alone = not has_children()
        write_message(report, {DONE: True, "alone": alone, "refusals": router.refusals()})
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 70  # EX_SOFTWARE: the harness's side of the child failed
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)
