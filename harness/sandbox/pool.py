"""The judge's side of the sandbox: workers per factory, one job at a time, the judge's clock.

:meth:`Sandbox.run` sends a job to the factory's worker and reads the child's messages with its
own deadline per phase (building the client, the call, the exit hooks); on a breach it asks the
worker to kill the child's whole tree and reports the phase, whatever the factory does with
signals, threads or C code. A child that ends before it reported is reported as such, with how it
ended. Nothing here uses signals or threads.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import IO, Any

from harness.environ import clean_environ
from harness.sandbox.contract import FactoryError, split_spec
from harness.sandbox.outcomes import Outcome
from harness.sandbox.wire import (
    BROKEN,
    BUILD,
    BUILT,
    DONE,
    EXIT,
    OUTCOME,
    PHASE,
    SKIP,
    Job,
)

DEFAULT_IMPORT_SECONDS = 120.0
#: How long the worker may take to end a killed tree and say so, before it is itself killed.
KILL_WAIT_SECONDS = 5.0
QUIT_WAIT_SECONDS = 5.0
OUTPUT_TAIL_BYTES = 1500
#: The phase after the outcome: the child runs the factory's exit hooks, then exits.
EXITING = "exit hooks"


class WorkerFailed(RuntimeError):
    """The worker itself died or stopped answering: a bug in the harness or the machine."""


@dataclass
class Ran:
    """Everything one child reported, and how it ended."""

    phase: str | None = None  # the last phase the child reported starting
    building: str | None = None  # the last client it started to build (provider@base_url)
    nth: int = 1  # which of the process's builds that was
    outcome: Outcome | None = None
    skip: str | None = None
    broken: tuple[str, str] | None = None  # (kind, detail) of a broken contract
    built: str | None = None
    done: bool = False
    refusals: tuple[str, ...] = ()
    breached: str | None = None  # the phase that ran past the deadline
    exit_code: int | None = None
    exit_signal: int | None = None
    leftovers: tuple[str, ...] = ()
    output: str = ""

    @property
    def reported(self) -> bool:
        """The child said what happened (an outcome, a skip, a broken contract or a build)."""
        return any(x is not None for x in (self.outcome, self.skip, self.broken, self.built))

    def how_it_ended(self) -> str:
        if self.exit_signal is not None:
            return f"killed by {signal.Signals(self.exit_signal).name}"
        return f"exit code {self.exit_code}"


class _Lines:
    """JSON lines from a pipe, each read with a bound."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""

    def next(self, timeout: float | None) -> dict[str, Any] | None:
        """A message; None when ``timeout`` passed first; EOFError at end of file."""
        ends_at = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = None if ends_at is None else max(ends_at - time.monotonic(), 0.0)
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.fd, 65536)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            message = json.loads(line)
        except ValueError:
            return {}  # not ours (a descendant wrote to the pipe): ignored
        return message if isinstance(message, dict) else {}


class Worker:
    """One warm worker process for one factory spec."""

    def __init__(
        self, spec: str, *, preload: bool, import_seconds: float, lazy: bool = True
    ) -> None:
        self.spec = spec
        self.preload = preload
        self.lazy = lazy
        self.seq = 0
        self.threads: list[str] = []
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.control = ours
        # the worker's own output, kept for as long as the worker (closed in close())
        self.log: IO[bytes] = tempfile.TemporaryFile(prefix="harness-worker-")  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "harness.sandbox.worker", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                env=clean_environ(os.environ),
                stdin=subprocess.DEVNULL,
                stdout=self.log,
                stderr=self.log,
                start_new_session=True,
            )
        except BaseException:
            ours.close()
            self.log.close()
            raise
        finally:
            theirs.close()
        try:
            self._handshake(import_seconds)
        except BaseException:
            self.close()
            raise

    def _handshake(self, import_seconds: float) -> None:
        hello = {
            "spec": self.spec,
            "sys_path": sys.path,
            "preload": self.preload,
            "lazy": self.lazy,
        }
        self.control.send(json.dumps(hello).encode())
        ready, _, _ = select.select([self.control], [], [], import_seconds)
        if not ready:
            module, _ = split_spec(self.spec)
            raise FactoryError(
                f"client factory {self.spec!r}: importing {module} took over "
                f"{import_seconds:g} s (--harness-import-deadline)"
            )
        message = self.control.recv(1 << 20)
        if not message:
            module, _ = split_spec(self.spec)
            try:
                code = self.process.wait(KILL_WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                code = None
            said = f"; its output ends: {self.tail().splitlines()[-1][:200]}" if self.tail() else ""
            raise FactoryError(
                f"client factory {self.spec!r}: importing {module} ended its process "
                f"(exit code {code}){said}"
            )
        answer = json.loads(message)
        self.threads = list(answer.get("threads", []))
        if answer.get("error"):
            raise FactoryError(answer["error"])
        if not answer.get("ready"):
            raise _ImportStartsThreads(self.threads)

    def tail(self) -> str:
        self.log.seek(0)
        return self.log.read()[-OUTPUT_TAIL_BYTES:].decode(errors="replace").strip()

    def run(self, job: Job, deadline: float) -> Ran:
        """Run ``job`` in a fresh child; each phase gets ``deadline`` seconds."""
        if self.process.poll() is not None:
            raise WorkerFailed(f"the worker for {self.spec} has ended: {self.tail()}")
        read_end, write_end = os.pipe()
        ran = Ran()
        started = time.monotonic()
        with tempfile.TemporaryFile(prefix="harness-child-") as output:
            try:
                try:
                    self.seq += 1
                    message = job.encode(self.seq)
                    socket.send_fds(self.control, [message], [write_end, output.fileno()])
                finally:
                    os.close(write_end)
                self._follow(_Lines(read_end), ran, deadline, started)
            finally:
                os.close(read_end)
                output.seek(0)
                ran.output = output.read()[-OUTPUT_TAIL_BYTES:].decode(errors="replace").strip()
        return ran

    def _follow(self, lines: _Lines, ran: Ran, deadline: float, started: float) -> None:
        phase: str | None = BUILD
        phase_started = started
        ran.phase = BUILD
        while True:
            if phase is None:
                timeout = KILL_WAIT_SECONDS
            else:
                timeout = max(phase_started + deadline - time.monotonic(), 0.0)
            try:
                message = lines.next(timeout)
            except EOFError:
                raise WorkerFailed(f"the worker for {self.spec} died: {self.tail()}") from None
            if message is None:
                if phase is None:
                    self.process.kill()
                    raise WorkerFailed(f"the worker for {self.spec} did not end a child in time")
                ran.breached = phase
                self.control.send(json.dumps({"op": "kill", "seq": self.seq}).encode())
                phase = None
                continue
            now = time.monotonic()
            if PHASE in message:
                phase = ran.phase = str(message[PHASE])
                phase_started = now
                if "building" in message:
                    ran.building, ran.nth = str(message["building"]), int(message["nth"])
            if "refusals" in message:
                ran.refusals = tuple(str(r) for r in message["refusals"])
            if OUTCOME in message:
                ran.outcome = Outcome.from_json(message[OUTCOME])
            if SKIP in message:
                ran.skip = str(message[SKIP])
            if BROKEN in message:
                ran.broken = (str(message[BROKEN]["kind"]), str(message[BROKEN]["detail"]))
            if BUILT in message:
                ran.built = str(message[BUILT])
            if ran.reported and ran.phase != EXITING and not ran.done and phase is not None:
                phase = ran.phase = EXITING
                phase_started = now
            if DONE in message:
                ran.done = True
                phase = None
                if message.get("alone") and ran.breached is None:
                    ran.exit_code = 0  # it exits 0 next, and nothing of it is left to end
                    return
            if EXIT in message:
                ended = message[EXIT]
                ran.exit_code = ended.get("code")
                ran.exit_signal = ended.get("signal")
                ran.leftovers = tuple(str(x) for x in message.get("leftovers", []))
                return

    def close(self) -> None:
        try:
            if self.process.poll() is None:
                with contextlib.suppress(OSError):
                    self.control.send(b'{"op": "quit"}')
                try:
                    self.process.wait(QUIT_WAIT_SECONDS)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(QUIT_WAIT_SECONDS)
        finally:
            self.control.close()
            self.log.close()


class _ImportStartsThreads(Exception):
    def __init__(self, threads: list[str]) -> None:
        super().__init__(", ".join(threads))
        self.threads = threads


class Sandbox:
    """Workers by factory spec, started on first use and closed together."""

    def __init__(self, *, import_seconds: float = DEFAULT_IMPORT_SECONDS) -> None:
        self.import_seconds = import_seconds
        self._workers: dict[str, Worker] = {}

    def worker(self, spec: str) -> Worker:
        found = self._workers.get(spec)
        if found is not None and found.process.poll() is None:
            return found
        if found is not None:
            found.close()
        try:
            worker = Worker(spec, preload=True, import_seconds=self.import_seconds)
        except _ImportStartsThreads:
            try:  # the lazily imported modules start threads: leave them to each child
                worker = Worker(spec, preload=True, lazy=False, import_seconds=self.import_seconds)
            except _ImportStartsThreads as exc:  # the module itself does
                worker = Worker(spec, preload=False, import_seconds=self.import_seconds)
                worker.threads = exc.threads
        self._workers[spec] = worker
        return worker

    def describe(self, spec: str) -> str:
        """How the factory's scenarios run, for the pytest header and ``diagnose``."""
        worker = self._workers.get(spec)
        if worker is not None and not worker.preload:
            return (
                "each scenario in a process of its own; the factory's module is imported in "
                f"every one (importing it starts threads: {', '.join(worker.threads)})"
            )
        return "each scenario in a process of its own, forked from a warm worker"

    def run(self, spec: str, job: Job, deadline: float) -> Ran:
        return self.worker(spec).run(job, deadline)

    def close(self) -> None:
        workers, self._workers = list(self._workers.values()), {}
        for worker in workers:
            worker.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
