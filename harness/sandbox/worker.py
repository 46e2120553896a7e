"""The warm worker: imports the SDK and the factory's module once, then forks a child per job.

Started by the judge as ``python -m harness.sandbox.worker FD`` in a session of its own (a
terminal's Ctrl-C reaches the judge, which ends the work in order), with a clean environment.
It stays single-threaded so that forking is safe. It also imports the modules the factory
imports only when it first builds a client (found by a throwaway child). If importing any of
this starts threads, it says so and the judge starts a worker that imports less: without those
lazy modules, or, if the factory's module itself starts threads, a cold worker whose children
import the module themselves. While a child runs, the worker waits on the child (a pidfd) and
on the control socket (a ``kill`` from the judge's clock); once the child has ended it ends every
process left below itself (orphans are reparented to it, a subreaper), names them, and writes
the ``exit`` message.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from harness.sandbox import child, processes
from harness.sandbox.contract import ClientFactory, FactoryError, load_factory
from harness.sandbox.wire import EXIT, Job, write_message

MAX_DATAGRAM = 1 << 20
#: A killed tree that still has live processes after this long is reported as it stands.
KILL_SETTLE_SECONDS = 2.0


def _warm_sdk() -> None:
    """Run every call a scenario makes once, against an in-memory transport, so children skip
    the SDK's lazy set-up (platform headers, response models, the stream parser). Not through
    the factory: a library's own caches must start empty in every child."""
    import asyncio

    import httpx
    import openai

    from harness.sandbox.calls import Call, async_call, sync_call

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/models"):
            return httpx.Response(200, json={"object": "list", "data": []})
        if path.endswith("/chat/completions"):
            choice = {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "x"},
            }
            return httpx.Response(
                200,
                json={
                    "id": "w",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "w",
                    "choices": [choice],
                },
            )
        events = "".join(
            f'event: {kind}\ndata: {{"type": "{kind}", "sequence_number": 0}}\n\n'
            for kind in ("response.created", "response.completed")
        )
        return httpx.Response(200, text=events, headers={"content-type": "text/event-stream"})

    transport = httpx.MockTransport(answer)
    with httpx.Client(transport=transport) as http:
        client = openai.OpenAI(api_key="warm", base_url="https://warm.invalid/v1", http_client=http)
        for call in Call:
            sync_call(client.with_options(max_retries=0), call)

    async def warm_async() -> None:
        async with httpx.AsyncClient(transport=transport) as http:
            client = openai.AsyncOpenAI(
                api_key="warm", base_url="https://warm.invalid/v1", http_client=http
            )
            for call in Call:
                await async_call(client.with_options(max_retries=0), call)

    asyncio.run(warm_async())
    httpx.Client().close()  # the default SSL context
    _import_quietly(ASYNC_NETWORK_MODULES)


#: What an async client imports on its first real connection (anyio's asyncio backend, TLS).
ASYNC_NETWORK_MODULES = ["anyio._backends._asyncio", "anyio.streams.tls", "anyio.lowlevel"]


#: Bound on the probe that finds the modules a factory imports when it first builds a client; a
#: factory slower than this (one that hangs) gets no such warm-up, and vetting judges it.
PROBE_SECONDS = 5.0


def _lazy_modules(factory: ClientFactory, base: dict[str, str]) -> list[str]:
    """The modules a factory imports only when it builds its first client (httpcore's pools,
    a library's own submodules), found in a throwaway child that makes the vetting call. The
    worker then imports them too, so no scenario's child pays for them; nothing the factory
    built survives (that child exits), so a library's caches still start empty in every one."""
    from harness.network.routing import Router
    from harness.sandbox.contract import PROBE

    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            os.environ.clear()
            os.environ.update(base)
            before = set(sys.modules)
            with Router().active():
                for async_client in (False, True):
                    # the vetting child reports what the call does; here only imports count
                    with contextlib.suppress(BaseException):
                        factory(*PROBE, async_client=async_client)
            names = sorted(set(sys.modules) - before)
            os.write(write_end, json.dumps(names).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    data = b""
    ends_at = time.monotonic() + PROBE_SECONDS
    try:
        while True:
            left = max(ends_at - time.monotonic(), 0.0)
            ready, _, _ = select.select([read_end], [], [], left)
            if not ready:
                processes.kill_below(pid)
                processes.kill([pid])
                break
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
        processes.kill_below(os.getpid())
        processes.reap_children()
    try:
        names = json.loads(data) if data else []
    except ValueError:
        return []
    return [str(name) for name in names]


def _import_quietly(names: list[str]) -> None:
    import importlib

    for name in names:
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except BaseException:  # a module that only imports in its original context
            sys.modules.pop(name, None)


def _threads() -> list[str]:
    names = [
        thread.name for thread in threading.enumerate() if thread is not threading.main_thread()
    ]
    tasks = len(os.listdir("/proc/self/task")) if Path("/proc/self/task").exists() else 1
    if tasks > len(names) + 1:
        names.append(f"{tasks - len(names) - 1} thread(s) started outside Python")
    return names


def _leftovers() -> list[str]:
    """End every process still below the worker (the job's orphans); name the live ones."""
    if not processes.has_children():
        return []
    me = os.getpid()
    below = processes.descendants(me, processes.parents())
    if not below:
        return []
    named = [processes.describe(pid) for pid in below if not processes.is_zombie_or_gone(pid)]
    processes.kill_below(me)
    processes.reap_children()
    return named


class _Control:
    """The control socket, with jobs that arrived while another ran kept in order, and kills
    matched to the job they were sent for (``seq``)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.queued: list[tuple[dict[str, Any], list[int]]] = []
        self.kills: set[int] = set()
        self.closed = False

    def receive(self) -> None:
        """One message: a job is queued, a kill remembered; end of file marks it closed."""
        message, fds, _, _ = socket.recv_fds(self.sock, MAX_DATAGRAM, 2)
        if not message:
            self.closed = True
            return
        request = json.loads(message)
        if request.get("op") == "run":
            self.queued.append((request, list(fds)))
            return
        for fd in fds:
            os.close(fd)
        if request.get("op") == "kill":
            self.kills.add(int(request.get("seq", -1)))
        elif request.get("op") == "quit":
            self.closed = True

    def next_job(self) -> tuple[dict[str, Any], list[int]] | None:
        while not self.queued and not self.closed:
            self.receive()
        return self.queued.pop(0) if self.queued else None


def _run(
    control: _Control,
    seq: int,
    job: Job,
    fds: list[int],
    factory: ClientFactory,
    base: dict[str, str],
) -> None:
    report, output = fds
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        control.sock.close()
        child.run(job, report, output, factory, base)
    os.close(output)
    pidfd = os.pidfd_open(pid)
    killed = False
    try:
        while True:
            if (seq in control.kills or control.closed) and not killed:
                processes.kill_below(pid)
                processes.kill([pid])
                killed = True
            ready, _, _ = select.select([control.sock.fileno(), pidfd], [], [])
            if pidfd in ready:
                break
            control.receive()
        _, status = os.waitpid(pid, 0)
        ended: dict[str, Any] = (
            {"signal": os.WTERMSIG(status)}
            if os.WIFSIGNALED(status)
            else {"code": os.WEXITSTATUS(status)}
        )
        leftovers = _leftovers()
        control.kills.discard(seq)
        # the judge stops reading once the child said it was done and alone
        with contextlib.suppress(BrokenPipeError):
            write_message(report, {EXIT: ended, "killed": killed, "leftovers": leftovers})
    finally:
        os.close(pidfd)
        os.close(report)


def main(argv: list[str]) -> int:
    control = socket.socket(fileno=int(argv[0]))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    processes.become_subreaper()
    hello = json.loads(control.recv(MAX_DATAGRAM))
    sys.path[:] = hello["sys_path"]
    base = dict(os.environ)
    spec: str = hello["spec"]
    factory: ClientFactory | None = None
    try:
        _warm_sdk()
        if hello["preload"]:
            factory = load_factory(spec)
            if hello.get("lazy", False) and not _threads():
                _import_quietly(_lazy_modules(factory, base))
    except FactoryError as exc:
        control.send(json.dumps({"ready": False, "error": str(exc)}).encode())
        return 0
    except (SystemExit, KeyboardInterrupt) as exc:  # the module's import ended its process
        module = spec.partition(":")[0]
        error = f"client factory {spec!r}: importing {module} raised {exc!r}"
        control.send(json.dumps({"ready": False, "error": error}).encode())
        return 0
    threads = _threads()
    if threads and factory is not None:
        control.send(json.dumps({"ready": False, "threads": threads}).encode())
        return 0
    control.send(json.dumps({"ready": True, "threads": threads}).encode())
    gc.collect()
    gc.freeze()  # children share these pages instead of copying them when the collector runs
    jobs = _Control(control)
    while (next_job := jobs.next_job()) is not None:
        request, fds = next_job
        job = Job.decode(request["job"])
        # cold: the child imports the module itself
        use = factory if factory is not None else _ColdFactory(spec)
        _run(jobs, int(request.get("seq", 0)), job, fds, use, base)
    return 0


class _ColdFactory:
    """Imports the factory in the child, on its first call (its import starts threads)."""

    def __init__(self, spec: str) -> None:
        self.spec = spec

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return load_factory(self.spec)(*args, **kwargs)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
