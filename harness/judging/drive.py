"""Drive the code under test through one scenario, in a process of its own, and collect it all.

The judge never calls the factory: :func:`drive` sends the scenario to the factory's worker
(:mod:`harness.sandbox`), which forks a child with exactly the scenario's environment (the caller's
minus every proxy, CA and CGI variable, plus the scenario's variables and the session CA), the
network's routes and the egress guard. The judge holds the clock, then reads what the client got
from the child and what the origins and the proxy observed from the network, and turns how the child
ended into a :class:`~harness.judging.causes.Fault` where the drive path itself saw the failure.
:func:`vet_factory` runs the contract's probe the same way, before any scenario.
"""

from __future__ import annotations

import unittest
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from harness.fixtures import Endpoint
from harness.judging import causes
from harness.judging.causes import Fault
from harness.judging.deadline import (
    DEFAULT_SECONDS as DEFAULT_DEADLINE,
)
from harness.judging.deadline import (
    PHASE_BUILD,
    PHASE_CONNECT,
    PHASE_EXIT_HOOKS,
    PHASE_RESPONSE,
)
from harness.network.conditions import DIRECT, Condition
from harness.network.observations import Observation, RequestSeen
from harness.network.origins import Network
from harness.network.proxy import Tunnel
from harness.network.routing import Router
from harness.sandbox.calls import API_KEY, Call
from harness.sandbox.contract import (
    HOW_TO_DECLINE,
    PROBE,
    RAISED,
    ClientFactory,
    FactoryError,
    spec_of,
)
from harness.sandbox.outcomes import Outcome
from harness.sandbox.pool import EXITING, Ran, Sandbox
from harness.sandbox.wire import BUILD, CALL, Job, ordinal

#: What keeps the code under test from reaching the network, for the pytest header and diagnose.
PROTECTION = "egress refused and recorded by the socket guard in every scenario process"

#: What the child was doing when it ended early, in a failure's words.
DOING = {BUILD: "building the client", CALL: "making the call", EXITING: "running its exit hooks"}


@dataclass(frozen=True)
class Subject:
    """The code under test: a factory named ``MODULE:ATTR``, run in ``sandbox``'s children."""

    sandbox: Sandbox
    spec: str

    @classmethod
    def of(cls, sandbox: Sandbox, factory: str | ClientFactory) -> Subject:
        return cls(sandbox, spec_of(factory))

    def describe(self) -> str:
        return self.sandbox.describe(self.spec)


@dataclass(frozen=True)
class Result:
    """One scenario: what was asked, what the client got, what the origin and proxy saw."""

    endpoint: Endpoint
    call: Call
    async_client: bool
    outcome: Outcome
    observations: tuple[Observation, ...] = field(default=())
    tunnels: tuple[Tunnel, ...] = field(default=())
    condition: str = DIRECT.name
    environ: Mapping[str, str] = field(default_factory=dict)
    #: Lookups and connects off the machine the guard refused in the scenario's process.
    egress: tuple[str, ...] = field(default=())
    #: Requests the origins' backends received (Host and path), in order.
    requests: tuple[RequestSeen, ...] = field(default=())
    #: A failure the drive path saw itself (deadline, the factory's contract, the process).
    fault: Fault | None = None

    @property
    def connect_seconds(self) -> float | None:
        """From the call's start to the origin accepting the client's first direct connection
        (None: no direct connection, or the call did not start)."""
        started = self.outcome.started_at
        accepted = [o.accepted_at for o in self.observations if o.direct and o.accepted_at]
        if started is None or not accepted:
            return None
        return round(max(0.0, min(accepted) - started), 3)

    @property
    def families(self) -> tuple[str, ...]:
        """The address families of the client's direct connections to the origin, in order."""
        return tuple(dict.fromkeys(o.family for o in self.observations if o.direct))


def _ended_early(ran: Ran, what: str) -> Fault:
    said = f"; its output ends: {ran.output.splitlines()[-1][:200]}" if ran.output else ""
    doing = DOING.get(ran.phase or BUILD, "building the client")
    return Fault(
        causes.FACTORY_ENDED,
        f"the factory ended the process ({ran.how_it_ended()}) while {doing} for {what}{said}",
    )


def _breach(ran: Ran, what: str, deadline: float, connected: bool) -> Fault:
    phase = {BUILD: PHASE_BUILD, EXITING: PHASE_EXIT_HOOKS}.get(ran.breached or BUILD)
    if ran.breached == CALL:
        phase = PHASE_RESPONSE if connected else PHASE_CONNECT
    return Fault(causes.DEADLINE, f"{phase} for {what} took over {deadline:g} s")


def fault_of(ran: Ran, what: str, deadline: float, connected: bool) -> Fault | None:
    """How the child's run failed, as the drive path sees it; None if it ran to the end."""
    if ran.breached is not None:
        return _breach(ran, what, deadline, connected)
    if not ran.reported:
        return _ended_early(ran, what)
    if ran.broken is not None:
        kind, detail = ran.broken
        if kind == RAISED:
            return Fault(causes.FACTORY_RAISED, detail)
        return Fault(causes.FACTORY_RETURNED, f"the client factory {detail}")
    if not ran.done:
        return _ended_early(ran, what)
    if ran.leftovers:
        return Fault(
            causes.OUTLIVED,
            f"still running when the scenario ended (ended by the harness): "
            f"{'; '.join(ran.leftovers)}",
        )
    return None


def socks_unsupported(fault: Fault | None, environ: Mapping[str, str]) -> Fault | None:
    """A factory that raised about SOCKS while a variable names a SOCKS proxy: its stack cannot
    speak it (httpx builds a mount for every proxy variable, so even a client the variable does
    not concern fails to build), which deserves its own cause; any other fault is kept."""
    socks = sorted(name for name, value in environ.items() if value.lower().startswith("socks"))
    if fault is None or fault.cause != causes.FACTORY_RAISED or not socks:
        return fault
    if "socks" not in fault.detail.lower():
        return fault
    scheme = environ[socks[0]].partition("://")[0]
    return Fault(
        causes.NO_SOCKS,
        f"{socks[0]} names a {scheme}:// proxy and building the client raised {fault.detail}",
    )


def drive(
    network: Network,
    subject: Subject,
    endpoint: Endpoint,
    call: Call,
    *,
    async_client: bool = False,
    condition: Condition = DIRECT,
    environ: Mapping[str, str] | None = None,
    deadline: float = DEFAULT_DEADLINE,
    earlier: Sequence[Endpoint] = (),
) -> Result:
    """Run one scenario in a child: under ``condition``, with ``environ`` added to the child's
    environment; each build of a client, the call and the exit hooks each get ``deadline``
    seconds. With ``earlier``, the same process first asks the factory for those endpoints'
    clients, as a long-running program would have. A factory that declines the mode raises
    ``unittest.SkipTest`` here, with its reason."""
    mark, tunnel_mark = network.log.mark(), network.proxy.log.mark()
    request_mark = network.requests.mark()
    mode = "async" if async_client else "sync"
    with network.under(condition) as condition_env:
        env = {**condition_env, **(environ or {})}
        job = Job(
            endpoint.provider,
            endpoint.base_url,
            API_KEY,
            async_client,
            call.value,
            environ={**env, **network.authority.environ()},
            routes=network.router.table(),
            earlier=tuple((e.provider, e.base_url) for e in earlier),
        )
        ran = subject.sandbox.run(subject.spec, job, deadline)
    observations = tuple(network.log.of(endpoint.origin, mark))
    tunnels = tuple(network.proxy.log.since(tunnel_mark))
    requests = tuple(network.requests.since(request_mark))
    if ran.skip is not None and ran.breached is None:
        raise unittest.SkipTest(ran.skip)
    what = f"{endpoint.id} ({mode})"
    if ran.nth > 1 and ran.building is not None and ran.phase == BUILD:
        what = f"{ran.building} ({mode}), the {ordinal(ran.nth)} client this process asked for"
    fault = socks_unsupported(fault_of(ran, what, deadline, bool(observations or tunnels)), env)
    outcome = ran.outcome or Outcome(cause="NO_REPLY", error=fault.describe() if fault else None)
    return Result(
        endpoint,
        call,
        async_client,
        outcome,
        observations,
        tunnels,
        condition.name,
        env,
        ran.refusals,
        requests,
        fault,
    )


def vet_factory(subject: Subject, *, deadline: float = DEFAULT_DEADLINE) -> None:
    """Build one sync and one async client with the probe call, each in a child, before any
    scenario: a factory that cannot be imported, raises, returns no OpenAI client, ends its
    process, reaches for the network or runs past the deadline is a usage error naming it.
    It may decline one mode with ``harness.ModeDeclined``, not both."""
    spec = subject.spec
    declined: list[str] = []
    routes = Router().table()  # nothing is routed: every lookup is refused and recorded
    for async_client in (False, True):
        called = f"factory{PROBE!r}, async_client={async_client}"
        job = Job(*PROBE, async_client, None, environ={}, routes=routes)
        ran = subject.sandbox.run(spec, job, deadline)
        if ran.refusals:
            raise FactoryError(
                f"client factory {spec!r} tried to reach the network while building its clients "
                f"(nothing may leave the machine): {'; '.join(ran.refusals)}"
            )
        if ran.skip is not None and ran.breached is None:
            declined.append(f"async_client={async_client}: {ran.skip}")
            continue
        fault = fault_of(ran, "vetting", deadline, connected=False)
        if fault is None:
            continue
        if fault.cause == causes.DEADLINE:
            raise FactoryError(
                f"client factory {spec!r}: deadline: {PHASE_BUILD} took over {deadline:g} s "
                f"while vetting it ({called})"
            )
        if fault.cause == causes.FACTORY_RAISED:
            hint = f"; {HOW_TO_DECLINE}" if "NotImplementedError" in fault.detail else ""
            raise FactoryError(
                f"client factory {spec!r} raised {fault.detail} when called as {called}{hint}"
            )
        if fault.cause == causes.FACTORY_RETURNED:
            raise FactoryError(f"client factory {spec!r} {ran.broken[1] if ran.broken else ''}")
        raise FactoryError(f"client factory {spec!r}: {fault.detail} ({called})")
    if len(declined) == 2:
        raise FactoryError(f"client factory {spec!r} builds no client: " + "; ".join(declined))
