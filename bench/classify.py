"""Classification check: does the gate read every client's keepalive setting right?

The split suite trusts the gate's kernel view: an origin that misreads a socket would reset a good
client or serve a bad one. This opens many real TCP connections (default 10,000) against a
:class:`harness.network.gate.Gate` with the Codex rule (reset when keepalive), half with
SO_KEEPALIVE (and a TCP_KEEPIDLE from a small set, or the system default) and half without (some
with TCP_KEEPIDLE but no SO_KEEPALIVE, which must read as off), over 127.0.0.1 and ::1, from threads
and from asyncio, each sending a real TLS ClientHello (a tenth send plain bytes instead). Every
observation is compared with what the client set. ``--load`` runs it while a burner process keeps
every core busy.

Prints a summary, writes ``.bench/classify.json`` and exits 1 on any misclassification or any
connection the gate did not record.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import json
import os
import platform
import random
import selectors
import socket
import ssl
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from soak import cpu_load  # bench/ is on sys.path when this runs as a script

from harness.network.faults import FaultRules
from harness.network.gate import Gate
from harness.network.kernel import KernelView, kernel_view_available
from harness.network.observations import Address, Observation, ObservationLog

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / ".bench" / "classify.json"
IDLE_CHOICES = (None, 1, 7, 30, 45, 60, 300, 3600)  # None: SO_KEEPALIVE alone, system default
SNI = "classify.example.test"
PLAIN_HELLO = b"GET / HTTP/1.1\r\nHost: classify.example.test\r\n\r\n"
IO_TIMEOUT = 10.0
MAX_EXAMPLES = 20
UNOBSERVED = ("not connected", "no observation")


@dataclass(frozen=True)
class Plan:
    """What one client connection sets before it speaks."""

    index: int
    host: str
    keepalive: bool
    idle: int | None  # TCP_KEEPIDLE set on the socket, with or without SO_KEEPALIVE
    tls: bool
    api: str  # "sync" or "asyncio"


@dataclass(frozen=True)
class Verdict:
    plan: Plan
    peer: Address | None
    armed: bool | None
    idle_seconds: int | None
    action: str | None
    sni: str | None
    client_saw: str
    problem: str | None


class IndexedLog(ObservationLog):
    """The gate's log, also indexed by peer address so each client can claim its observation.

    A peer address belongs to one live connection at a time and the gate records a connection
    before it resets or relays it, so when the client's handshake has failed its observation is
    there; claiming removes it, so a reused port can never pick up an older record.
    """

    def __init__(self) -> None:
        super().__init__()
        self._by_peer: dict[Address, Observation] = {}
        self._arrived = threading.Condition()

    def append(self, item: Observation) -> None:
        super().append(item)
        with self._arrived:
            self._by_peer[item.peer] = item
            self._arrived.notify_all()

    def claim(self, peer: Address, timeout: float) -> Observation | None:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while peer not in self._by_peer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._arrived.wait(remaining)
            return self._by_peer.pop(peer)

    def claim_now(self, peer: Address) -> Observation | None:
        with self._arrived:
            return self._by_peer.pop(peer, None)


class ClosingBackend:
    """A loopback backend that accepts and closes at once: served clients see their handshake end
    with EOF, which is all this check needs from the served path."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(512)
        self._listener.setblocking(False)
        self.address: Address = self._listener.getsockname()[:2]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="classify-backend", daemon=True)

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            while not self._stop.is_set():
                for _ in selector.select(0.05):
                    with contextlib.suppress(BlockingIOError, InterruptedError):
                        conn, _ = self._listener.accept()
                        conn.close()

    def __enter__(self) -> ClosingBackend:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


def make_plans(count: int, hosts: list[str], async_share: float, seed: int) -> list[Plan]:
    """Exactly half with SO_KEEPALIVE; hosts, APIs, idle times and TLS shuffled in."""
    rng = random.Random(seed)
    plans = []
    for index in range(count):
        keepalive = index % 2 == 0
        if keepalive:
            idle = rng.choice(IDLE_CHOICES)
        else:
            idle = rng.choice(IDLE_CHOICES[1:]) if rng.random() < 0.25 else None
        plans.append(
            Plan(
                index=index,
                host=rng.choice(hosts),
                keepalive=keepalive,
                idle=idle,
                tls=rng.random() >= 0.1,
                api="asyncio" if rng.random() < async_share else "sync",
            )
        )
    rng.shuffle(plans)
    return plans


def configure(sock: socket.socket, plan: Plan) -> None:
    """Set the options in the order httpcore does: SO_KEEPALIVE first, then TCP_KEEPIDLE."""
    if plan.keepalive:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    if plan.idle is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, plan.idle)


def client_saw(exc: BaseException | None) -> str:
    if exc is None:
        return "no error"
    if isinstance(exc, ConnectionResetError):
        return "ECONNRESET"
    if isinstance(exc, ssl.SSLError):
        return f"ssl:{exc.reason or type(exc).__name__}"
    if isinstance(exc, OSError) and exc.errno:
        return errno.errorcode.get(exc.errno, str(exc.errno))
    return type(exc).__name__


def judge(
    plan: Plan, peer: Address | None, seen: Observation | None, saw: str, default_idle: int
) -> Verdict:
    """Compare what the gate recorded with what the client set."""
    problem = None
    want_idle = (plan.idle if plan.idle is not None else default_idle) if plan.keepalive else None
    if peer is None:
        problem = "not connected"
    elif seen is None:
        problem = "no observation"
    elif seen.keepalive.armed != plan.keepalive:
        problem = f"armed={seen.keepalive.armed}, client set SO_KEEPALIVE={plan.keepalive}"
    elif seen.keepalive.idle_seconds != want_idle:
        problem = f"idle={seen.keepalive.idle_seconds}, client set {want_idle}"
    elif seen.tls != plan.tls or (plan.tls and seen.sni != SNI):
        problem = f"tls={seen.tls} sni={seen.sni}, client sent tls={plan.tls}"
    elif seen.action != ("reset" if plan.keepalive else "serve"):
        problem = f"action {seen.action}"
    return Verdict(
        plan,
        peer,
        seen.keepalive.armed if seen else None,
        seen.keepalive.idle_seconds if seen else None,
        seen.action if seen else None,
        seen.sni if seen else None,
        saw,
        problem,
    )


class Driver:
    """Opens the planned connections and judges each against the gate's record."""

    def __init__(self, gates: dict[str, Gate], log: IndexedLog, default_idle: int) -> None:
        self.gates = gates
        self.log = log
        self.default_idle = default_idle
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE  # the handshake never gets that far
        self.context.set_alpn_protocols(["http/1.1"])

    def family(self, plan: Plan) -> socket.AddressFamily:
        return socket.AF_INET6 if ":" in plan.host else socket.AF_INET

    def run_sync(self, plan: Plan) -> Verdict:
        peer: Address | None = None
        error: BaseException | None = None
        try:
            with socket.socket(self.family(plan), socket.SOCK_STREAM) as sock:
                sock.settimeout(IO_TIMEOUT)
                sock.connect(self.gates[plan.host].address)
                peer = sock.getsockname()[:2]
                configure(sock, plan)
                if plan.tls:
                    with self.context.wrap_socket(sock, server_hostname=SNI) as tls:
                        tls.recv(1)
                else:
                    sock.sendall(PLAIN_HELLO)
                    sock.recv(1)
        except (OSError, ssl.SSLError) as exc:
            error = exc
        seen = self.log.claim(peer, IO_TIMEOUT) if peer else None
        return judge(plan, peer, seen, client_saw(error), self.default_idle)

    async def run_async(self, plan: Plan) -> Verdict:
        loop = asyncio.get_running_loop()
        peer: Address | None = None
        error: BaseException | None = None
        sock = socket.socket(self.family(plan), socket.SOCK_STREAM)
        sock.setblocking(False)
        writer: asyncio.StreamWriter | None = None
        try:
            await asyncio.wait_for(
                loop.sock_connect(sock, self.gates[plan.host].address), IO_TIMEOUT
            )
            peer = sock.getsockname()[:2]
            configure(sock, plan)
            if plan.tls:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(sock=sock, ssl=self.context, server_hostname=SNI),
                    IO_TIMEOUT,
                )
            else:
                reader, writer = await asyncio.open_connection(sock=sock)
                writer.write(PLAIN_HELLO)
                await asyncio.wait_for(writer.drain(), IO_TIMEOUT)
            await asyncio.wait_for(reader.read(1), IO_TIMEOUT)
        except (OSError, ssl.SSLError, asyncio.TimeoutError) as exc:
            error = exc
        finally:
            if writer is not None:
                writer.close()
                with contextlib.suppress(OSError, ssl.SSLError, asyncio.TimeoutError):
                    await asyncio.wait_for(writer.wait_closed(), IO_TIMEOUT)
            else:
                sock.close()
        seen = await self._claim_async(peer) if peer else None
        return judge(plan, peer, seen, client_saw(error), self.default_idle)

    async def _claim_async(self, peer: Address) -> Observation | None:
        """The observation is normally there already; poll briefly (bounded) if not."""
        deadline = time.monotonic() + IO_TIMEOUT
        while (seen := self.log.claim_now(peer)) is None and time.monotonic() < deadline:
            await asyncio.sleep(0.001)
        return seen

    async def run_async_all(self, plans: list[Plan], concurrency: int) -> list[Verdict]:
        limit = asyncio.Semaphore(concurrency)

        async def one(plan: Plan) -> Verdict:
            async with limit:
                return await self.run_async(plan)

        return list(await asyncio.gather(*(one(plan) for plan in plans)))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


@contextlib.contextmanager
def gates_for(
    hosts: list[str], backend: Address
) -> Iterator[tuple[dict[str, Gate], IndexedLog, str]]:
    """One gate per loopback family, sharing the kernel view and the log; all closed after."""
    log = IndexedLog()
    rules = FaultRules.from_spec([{"when": "keepalive", "action": "reset"}])
    gates: dict[str, Gate] = {}
    with KernelView() as kernel:
        try:
            for host in hosts:
                name = "classify-v6" if ":" in host else "classify-v4"
                gates[host] = Gate(name, host, backend, rules, kernel, log).start()
            yield gates, log, kernel.method
        finally:
            for gate in gates.values():
                gate.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    hosts = ["127.0.0.1"] + (["::1"] if ipv6_loopback() else [])
    default_idle = int(Path("/proc/sys/net/ipv4/tcp_keepalive_time").read_text())
    plans = make_plans(args.connections, hosts, args.async_share, args.seed)
    sync_plans = [p for p in plans if p.api == "sync"]
    async_plans = [p for p in plans if p.api == "asyncio"]
    verdicts: list[Verdict] = []
    with (
        ClosingBackend() as backend,
        gates_for(hosts, backend.address) as (
            gates,
            log,
            method,
        ),
    ):
        driver = Driver(gates, log, default_idle)
        async_result: list[Verdict] = []
        async_error: list[BaseException] = []

        def async_portion() -> None:
            try:
                async_result.extend(asyncio.run(driver.run_async_all(async_plans, args.workers)))
            except BaseException as exc:  # reported after the join
                async_error.append(exc)

        started = time.perf_counter()
        # The asyncio portion runs in its own thread, alongside the sync clients, so the gate
        # sees both kinds interleaved.
        async_thread = threading.Thread(target=async_portion, name="classify-asyncio")
        async_thread.start()
        try:
            with ThreadPoolExecutor(args.workers, thread_name_prefix="classify-sync") as pool:
                verdicts.extend(pool.map(driver.run_sync, sync_plans))
        finally:
            async_thread.join(args.connections * IO_TIMEOUT)
        seconds = time.perf_counter() - started
        if async_error:
            raise async_error[0]
        verdicts.extend(async_result)
        decide = [o.decide_ms for o in log.since()]
    unobserved = [v for v in verdicts if v.problem in UNOBSERVED]
    wrong = [v for v in verdicts if v.problem and v.problem not in UNOBSERVED]
    groups: Counter[str] = Counter()
    for v in verdicts:
        family = "ipv6" if ":" in v.plan.host else "ipv4"
        setting = "keepalive" if v.plan.keepalive else "no-keepalive"
        groups[f"{family}/{v.plan.api}/{setting}"] += 1
    return {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "kernel_view": method,
        },
        "load": args.load,
        "seed": args.seed,
        "workers": args.workers,
        "connections": len(verdicts),
        "keepalive_connections": sum(v.plan.keepalive for v in verdicts),
        "hosts": hosts,
        "groups": dict(sorted(groups.items())),
        "idle_values": sorted({v.plan.idle or default_idle for v in verdicts if v.plan.keepalive}),
        "misclassifications": len(wrong),
        "problems": dict(Counter(v.problem.split("=")[0] for v in wrong if v.problem)),
        "examples": [asdict(v) for v in wrong[:MAX_EXAMPLES]],
        "unobserved": len(unobserved),
        "unobserved_examples": [asdict(v) for v in unobserved[:MAX_EXAMPLES]],
        "client_saw": dict(
            Counter(
                f"{'keepalive' if v.plan.keepalive else 'no-keepalive'}:{v.client_saw}"
                for v in verdicts
            ).most_common()
        ),
        "seconds": round(seconds, 3),
        "connections_per_second": round(len(verdicts) / seconds, 1),
        "decide_ms_median": round(statistics.median(decide), 3) if decide else None,
        "decide_ms_p99": round(percentile(decide, 0.99), 3),
        "decide_ms_max": round(max(decide), 3) if decide else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10_000, help="default 10000")
    parser.add_argument("--workers", type=int, default=4, help="concurrent clients per API")
    parser.add_argument("--async-share", type=float, default=0.3, help="share driven by asyncio")
    parser.add_argument("--load", action="store_true", help="burn every core meanwhile")
    parser.add_argument("--load-seconds", type=float, default=900.0, help="bound on the load")
    parser.add_argument("--seed", type=int, default=None, help="plan seed (random)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON file to write")
    args = parser.parse_args()
    if not kernel_view_available():
        print("classify: no kernel view of peer sockets on this system (Linux only)")
        return 2
    if args.connections < 2:
        parser.error("--connections must be at least 2")
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**32)
    load = cpu_load(args.load_seconds) if args.load else contextlib.nullcontext([])
    with load as burners:
        if burners:
            print(f"classify: CPU burners {burners}")
        results = run(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(
        f"classify: {results['connections']} connections ({results['keepalive_connections']} with "
        f"SO_KEEPALIVE) over {', '.join(results['hosts'])}, load={results['load']}, "
        f"seed {results['seed']}"
    )
    for group, count in results["groups"].items():
        print(f"  {group:<32} {count}")
    print(f"  client saw: {results['client_saw']}")
    print(
        f"  {results['seconds']} s, {results['connections_per_second']} connections/s, "
        f"gate decides in {results['decide_ms_median']} ms median, "
        f"{results['decide_ms_p99']} ms p99, {results['decide_ms_max']} ms max"
    )
    print(f"  misclassifications: {results['misclassifications']} {results['problems'] or ''}")
    print(f"  connections the gate did not record: {results['unobserved']}")
    for example in results["examples"][:5] + results["unobserved_examples"][:5]:
        print(f"    {example['plan']} -> {example['problem']}")
    print(f"  written to {args.output}")
    return 1 if results["misclassifications"] or results["unobserved"] else 0


if __name__ == "__main__":
    sys.exit(main())
