"""pytest plugin: the harness's options, ini keys and fixtures, idle until a test asks for them.

Loaded through the ``pytest11`` entry point in every project that installs the package, so it must
change nothing there: it reads no data, registers no hypothesis profile and parametrizes nothing
until a test requests one of its ``harness_``-prefixed fixtures. Everything it adds carries that
prefix, except the two options that name the harness's own concepts (``--client-factory``,
``--keepalive-idle``). Each fixture can be overridden by defining one of the same name.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness import interrupts
from harness.errors import HarnessError
from harness.judging import settings
from harness.judging.deadline import DEFAULT_SECONDS as DEFAULT_DEADLINE
from harness.judging.expectation import DEFAULT_IDLE_SECONDS, KeepaliveExpectation
from harness.judging.junit import CATEGORIES_PROPERTY
from harness.network.edge import CHECKS, describe_demanded
from harness.sandbox.pool import DEFAULT_IMPORT_SECONDS

if TYPE_CHECKING:
    from harness.fixtures import Fixture
    from harness.judging.client_hello import ClientHelloMeasurement
    from harness.judging.drive import Result, Subject
    from harness.network.conditions import Condition
    from harness.network.observations import ObservationLog
    from harness.network.origins import Network
    from harness.network.pki import Authority
    from harness.sandbox.contract import ClientFactory
    from harness.sandbox.pool import Sandbox

Drive = Callable[..., "Result"]

LEAK_CHECK_OPTION = "--harness-leak-check"
HOW_TO_NAME_A_FACTORY = (
    f"name the client factory under test with {settings.FACTORY.option} MODULE:ATTR, the ini key "
    f"{settings.FACTORY.ini} ([tool.pytest.ini_options] in pyproject.toml), or "
    f"{settings.FACTORY.env}"
)

#: Fixtures parametrized from the origin files, and the mode switch.
ENDPOINT_FIXTURES = (
    "harness_codex_endpoint",
    "harness_non_codex_endpoint",
    "harness_non_codex_https_endpoint",
)
MODE_FIXTURE = "harness_async_client"
SCENARIO_FIXTURE = "harness_scenario"

FACTORY_FIXTURE = "harness_client_factory"

_FACTORY_KEY = pytest.StashKey[settings.Setting]()
_KEEPALIVE_KEY = pytest.StashKey[tuple[KeepaliveExpectation, str]]()
_DEADLINE_KEY = pytest.StashKey[float]()
_IMPORT_DEADLINE_KEY = pytest.StashKey[float]()
_SUBJECT_KEY = pytest.StashKey["Subject"]()
_SANDBOX_KEY = pytest.StashKey["Sandbox"]()
_SIGINT_KEY = pytest.StashKey[Callable[[], None]]()
_CLIENT_HELLO_KEY = pytest.StashKey[tuple[bool, str]]()
_IDENTITY_KEY = pytest.StashKey[tuple[tuple[str, ...], str]]()
_STREAM_IDLE_KEY = pytest.StashKey[tuple[float | None, str]]()
_CONNECT_WITHIN_KEY = pytest.StashKey[tuple[float | None, str]]()
_SLOW_CONNECT_KEY = pytest.StashKey[tuple[bool, str]]()
_FIXTURES_KEY = pytest.StashKey["list[Fixture]"]()
_LEAKS_KEY = pytest.StashKey[Any]()
_DATA_ERROR_KEY = pytest.StashKey[str]()
_CONDITIONS_KEY = pytest.StashKey["list[Condition]"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("transport-harness")
    knobs = {
        settings.FACTORY: ("MODULE:ATTR", "client factory the harness suites judge"),
        settings.KEEPALIVE_IDLE: (
            "SECONDS|off",
            "TCP keepalive idle time non-Codex clients must arm, or 'off' to leave keepalive "
            f"unjudged (default {DEFAULT_IDLE_SECONDS})",
        ),
        settings.DEADLINE: (
            "SECONDS",
            "limit on each phase of a scenario (building the client, connecting, waiting for "
            "the response, the factory's exit hooks), timed from outside the scenario's "
            f"process, and on vetting the factory (default {DEFAULT_DEADLINE:g})",
        ),
        settings.IMPORT_DEADLINE: (
            "SECONDS",
            "limit on importing the factory's module in its worker process "
            f"(default {DEFAULT_IMPORT_SECONDS:g})",
        ),
        settings.FIXTURES: (
            "DIR",
            "directory of origin files, with conditions/ beside them (default: the packaged ones)",
        ),
        settings.CLIENT_HELLO: (
            "sdk|off",
            "'sdk': a Codex client must present the TLS ClientHello (JA4) of the SDK's default "
            "client, measured once per run; 'off': not judged (default sdk)",
        ),
        settings.IDENTITY: (
            "CHECKS|off",
            "what the Codex edge's identity challenge (condition codex-edge-challenge) demands: "
            f"a comma-separated list of {', '.join(CHECKS)}, or 'off' (default all of them)",
        ),
        settings.STREAM_IDLE: (
            "SECONDS|off",
            "a client must give up within SECONDS on a stream that goes silent for longer "
            "(condition codex-stream-stall); 'off': it must wait the silence out (default off)",
        ),
        settings.CONNECT_WITHIN: (
            "SECONDS|off",
            "a client must reach the origin within SECONDS of its call (under ipv6-blackhole: "
            "it must race IPv6 and IPv4); 'off': any connect within the deadline passes "
            "(default off)",
        ),
        settings.SLOW_CONNECT: (
            "on|off",
            "'on': the matrix holds every case whose client may wait out a connect timeout "
            "(condition ipv6-blackhole, each endpoint on its hosts); 'off': one endpoint stands "
            "for the rest (default off)",
        ),
    }
    for knob, (metavar, text) in knobs.items():
        group.addoption(
            knob.option,
            dest=knob.dest,
            default=None,
            metavar=metavar,
            help=f"{text} (ini {knob.ini}, env {knob.env})",
        )
        parser.addini(knob.ini, text)
    group.addoption(
        LEAK_CHECK_OPTION,
        dest="harness_leak_check",
        action="store_true",
        help="fail the session if a thread or file descriptor outlives the fixtures",
    )


def _setting(config: pytest.Config, knob: settings.Knob) -> settings.Setting:
    """The knob's value by the one rule (:func:`harness.judging.settings.resolve`)."""
    return settings.resolve(knob, config.getoption(knob.dest), config.getini(knob.ini) or None)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Validate the harness's inputs up front (cheap, reads no data). A named factory means the
    run judges one: vet it now (in processes of its own), so a bad one stops the run before any
    test, and register the suites' hypothesis profiles before hypothesis loads
    ``--hypothesis-profile``."""
    config.addinivalue_line("markers", "harness_codex: drives the ChatGPT Codex backend")
    config.addinivalue_line(
        "markers", "harness_non_codex: drives an endpoint that is not the Codex backend"
    )
    config.addinivalue_line(
        "markers",
        "harness_fault(origin, *rules): apply fault rules (fixture syntax) at an origin's gate",
    )
    config.addinivalue_line(
        "markers",
        "harness_categories(*names): categories a generated case reports in the JUnit "
        "property harness_categories (matrix cases report their scenario's)",
    )
    try:
        idle = _setting(config, settings.KEEPALIVE_IDLE)
        config.stash[_KEEPALIVE_KEY] = (settings.keepalive(idle), idle.source)
        config.stash[_DEADLINE_KEY] = settings.deadline(_setting(config, settings.DEADLINE))
        config.stash[_IMPORT_DEADLINE_KEY] = settings.import_deadline(
            _setting(config, settings.IMPORT_DEADLINE)
        )
        factory = _setting(config, settings.FACTORY)
        settings.factory(factory)
        hello = _setting(config, settings.CLIENT_HELLO)
        config.stash[_CLIENT_HELLO_KEY] = (settings.client_hello_judged(hello), hello.source)
        identity = _setting(config, settings.IDENTITY)
        config.stash[_IDENTITY_KEY] = (settings.identity(identity), identity.source)
        idle_streams = _setting(config, settings.STREAM_IDLE)
        config.stash[_STREAM_IDLE_KEY] = (settings.stream_idle(idle_streams), idle_streams.source)
        within = _setting(config, settings.CONNECT_WITHIN)
        config.stash[_CONNECT_WITHIN_KEY] = (settings.connect_within(within), within.source)
        slow = _setting(config, settings.SLOW_CONNECT)
        config.stash[_SLOW_CONNECT_KEY] = (settings.slow_connect(slow), slow.source)
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_FACTORY_KEY] = factory
    if factory.value is not None:
        # a run that judges a factory is never green once SIGINT arrived; a host project that
        # names none keeps pytest's own handling (a test of its Ctrl-C path, pdb's prompt)
        config.stash[_SIGINT_KEY] = interrupts.watch_sigint()
        import harness.judging.profiles  # noqa: F401 (registers harness-ci and harness-dev)

        _subject(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    sandbox = config.stash.get(_SANDBOX_KEY, None)
    if sandbox is not None:
        sandbox.close()
    restore = config.stash.get(_SIGINT_KEY, None)
    if restore is not None:
        restore()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Stop before the next test once SIGINT arrived, even if its KeyboardInterrupt was
    swallowed where it landed (a garbage-collector callback, a test's ``except``)."""
    if interrupts.received() is not None:
        raise KeyboardInterrupt("SIGINT arrived during an earlier test")
    return (yield)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Which factory is judged, against which expectation, and where each came from; how it
    runs and what keeps it off the network; silent in a run that names no factory (it cannot
    be running the harness's suites)."""
    factory = config.stash[_FACTORY_KEY]
    if factory.value is None:
        return []
    from harness.judging import drive

    expectation, source = config.stash[_KEEPALIVE_KEY]
    hello_judged, hello_source = config.stash[_CLIENT_HELLO_KEY]
    hello = (
        "Codex clients must present the SDK default client's TLS ClientHello (JA4), measured "
        "at the first Codex case"
        if hello_judged
        else "the Codex ClientHello is not judged"
    )
    demanded, identity_source = config.stash[_IDENTITY_KEY]
    stream_idle, stream_idle_source = config.stash[_STREAM_IDLE_KEY]
    within, within_source = config.stash[_CONNECT_WITHIN_KEY]
    slow, slow_source = config.stash[_SLOW_CONNECT_KEY]
    from harness.judging.matrix import left_out

    unexpressed = [
        f"transport-harness: condition {name} left out: {why}"
        for name, why in left_out(harness_condition_set(config)).items()
    ]
    return [
        f"transport-harness: client factory {factory.value} (from {factory.source}); "
        f"{expectation.describe()} (from {source}); "
        f"deadline {config.stash[_DEADLINE_KEY]:g}s per phase",
        f"transport-harness: {_subject(config).describe()}; {drive.PROTECTION}",
        f"transport-harness: {hello} (from {hello_source}); the Codex edge's identity "
        f"challenge demands {describe_demanded(demanded)} (from {identity_source}); "
        f"{settings.describe_stream_idle(stream_idle)} (from {stream_idle_source})",
        f"transport-harness: {settings.describe_connect_within(within)} (from {within_source}); "
        f"{settings.describe_slow_connect(slow)} (from {slow_source})",
        *unexpressed,
    ]


def harness_sandbox_of(config: pytest.Config) -> Sandbox:
    """The run's sandbox (workers per factory), closed when pytest unconfigures."""
    if _SANDBOX_KEY not in config.stash:
        from harness.sandbox.pool import Sandbox

        config.stash[_SANDBOX_KEY] = Sandbox(import_seconds=config.stash[_IMPORT_DEADLINE_KEY])
    return config.stash[_SANDBOX_KEY]


def _subject(config: pytest.Config) -> Subject:
    """The named factory, vetted once in processes of its own (never imported here)."""
    if _SUBJECT_KEY not in config.stash:
        from harness.judging.drive import Subject, vet_factory

        spec = config.stash[_FACTORY_KEY].value
        if spec is None:
            raise pytest.UsageError(f"transport-harness: {HOW_TO_NAME_A_FACTORY}")
        try:
            subject = Subject.of(harness_sandbox_of(config), spec.strip())
            vet_factory(subject, deadline=config.stash[_DEADLINE_KEY])
        except HarnessError as exc:
            raise pytest.UsageError(str(exc)) from None
        config.stash[_SUBJECT_KEY] = subject
    return config.stash[_SUBJECT_KEY]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Origin files that did not load, or a run that collects a test judging a factory but names
    none, stop the run as one usage error rather than an error per module."""
    if _DATA_ERROR_KEY in config.stash:
        raise pytest.UsageError(config.stash[_DATA_ERROR_KEY])
    if config.stash[_FACTORY_KEY].value is not None:
        return
    needing = [item for item in items if FACTORY_FIXTURE in getattr(item, "fixturenames", ())]
    if needing:
        raise pytest.UsageError(
            f"transport-harness: {needing[0].nodeid} judges a client factory, but none is "
            f"named: {HOW_TO_NAME_A_FACTORY}"
        )


def pytest_sessionstart(session: pytest.Session) -> None:
    if session.config.getoption("harness_leak_check"):
        from harness.leaks import LeakCheck

        session.stash[_LEAKS_KEY] = LeakCheck()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the workers (their sockets and logs are the run's), then look for leaks. A run that
    SIGINT reached is never a result, whatever its tests reported."""
    sandbox = session.config.stash.get(_SANDBOX_KEY, None)
    if sandbox is not None:
        sandbox.close()
    if interrupts.received() is not None and session.exitstatus != pytest.ExitCode.INTERRUPTED:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("interrupted by SIGINT: this run is not a result", red=True)
        session.exitstatus = pytest.ExitCode.INTERRUPTED
    check = session.stash.get(_LEAKS_KEY, None)
    if check is None:
        return
    problems = check.problems()
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("leak check: " + "; ".join(problems), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def harness_fixture_dir(config: pytest.Config) -> Path:
    """The origin files' directory: option, ini key, environment, else the packaged one."""
    given = _setting(config, settings.FIXTURES)
    if given.value is not None:
        path = Path(given.value)
        if given.source.startswith("ini") and config.inipath is not None:
            return config.inipath.parent / path  # relative to the ini file, as pytest's paths
        return path
    from harness.fixtures import packaged_fixture_dir

    return packaged_fixture_dir()


def harness_fixture_set(config: pytest.Config) -> list[Fixture]:
    """The run's origin files, loaded once; a malformed file stops the run with its name."""
    if _FIXTURES_KEY not in config.stash:
        from harness.fixtures import load_fixtures

        try:
            config.stash[_FIXTURES_KEY] = load_fixtures(harness_fixture_dir(config))
        except HarnessError as exc:
            raise pytest.UsageError(f"harness origin files: {exc}") from None
    return config.stash[_FIXTURES_KEY]


def harness_condition_set(config: pytest.Config) -> list[Condition]:
    """The run's network conditions (``conditions/`` beside the origin files), loaded once."""
    if _CONDITIONS_KEY not in config.stash:
        from harness.network.conditions import load_conditions

        try:
            directory = harness_fixture_dir(config) / "conditions"
            config.stash[_CONDITIONS_KEY] = load_conditions(directory)
        except HarnessError as exc:
            raise pytest.UsageError(f"harness conditions: {exc}") from None
    return config.stash[_CONDITIONS_KEY]


def _parametrize_scenarios(metafunc: pytest.Metafunc) -> None:
    """``harness_scenario`` over the whole matrix, each case marked Codex or not."""
    from harness.judging.matrix import scenarios

    try:
        fixtures = harness_fixture_set(metafunc.config)
        matrix = scenarios(
            fixtures,
            harness_condition_set(metafunc.config),
            slow_connect=metafunc.config.stash[_SLOW_CONNECT_KEY][0],
        )
    except pytest.UsageError as exc:  # reported once, after collection
        metafunc.config.stash[_DATA_ERROR_KEY] = str(exc)
        matrix = []
    params = [
        pytest.param(
            scenario,
            id=scenario.id,
            marks=pytest.mark.harness_codex
            if scenario.endpoint.codex
            else pytest.mark.harness_non_codex,
        )
        for scenario in matrix
    ]
    metafunc.parametrize(SCENARIO_FIXTURE, params)


def pytest_itemcollected(item: pytest.Item) -> None:
    """The fault marker's fixture on the tests that carry it (no autouse fixture lands on a
    host project's tests); categories as data on each harness case, for the JUnit report."""
    fixturenames = getattr(item, "fixturenames", None)
    if item.get_closest_marker("harness_fault") is not None and fixturenames is not None:
        fixturenames.insert(0, "_harness_fault_marker")
    callspec = getattr(item, "callspec", None)
    scenario = callspec.params.get(SCENARIO_FIXTURE) if callspec is not None else None
    if scenario is not None and not hasattr(scenario, "categories"):
        return  # the empty parameter set of a matrix that did not load
    if scenario is not None:
        categories = list(scenario.categories())
    else:
        marker = item.get_closest_marker("harness_categories")
        if marker is None:
            return
        categories = [str(name) for name in marker.args]
    if callspec is not None and MODE_FIXTURE in callspec.params:
        categories.append("async" if callspec.params[MODE_FIXTURE] else "sync")
    elif scenario is not None:
        categories.append(scenario.mode)
    item.user_properties.append((CATEGORIES_PROPERTY, ",".join(categories)))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``harness_scenario`` over the matrix, the ``harness_*_endpoint`` fixtures from
    the origin files and ``harness_async_client`` over sync and async, for tests that request
    them (only those)."""
    if SCENARIO_FIXTURE in metafunc.fixturenames:
        _parametrize_scenarios(metafunc)
    wanted = [name for name in ENDPOINT_FIXTURES if name in metafunc.fixturenames]
    if wanted:
        try:
            every = [e for f in harness_fixture_set(metafunc.config) for e in f.endpoints]
        except pytest.UsageError as exc:  # reported once, after collection
            metafunc.config.stash[_DATA_ERROR_KEY] = str(exc)
            every = []
        selections = {
            "harness_codex_endpoint": [e for e in every if e.codex],
            "harness_non_codex_endpoint": [e for e in every if not e.codex],
            "harness_non_codex_https_endpoint": [
                e for e in every if not e.codex and e.base_url.lower().startswith("https://")
            ],
        }
        for name in wanted:
            endpoints = selections[name]
            metafunc.parametrize(name, endpoints, ids=[e.id for e in endpoints])
    if MODE_FIXTURE in metafunc.fixturenames:
        metafunc.parametrize(MODE_FIXTURE, [False, True], ids=["sync", "async"])


@pytest.fixture(scope="session")
def harness_client_factory_spec(pytestconfig: pytest.Config) -> str:
    """``MODULE:ATTR`` of the factory under test."""
    return _subject(pytestconfig).spec


@pytest.fixture(scope="session")
def harness_client_factory(pytestconfig: pytest.Config) -> str | ClientFactory:
    """The factory under test (``--client-factory``, ini ``harness_client_factory``, or
    ``HARNESS_CLIENT_FACTORY``), as ``MODULE:ATTR``. An override may return another spec or a
    module-level function; either runs in processes of its own."""
    return _subject(pytestconfig).spec


@pytest.fixture(scope="session")
def harness_sandbox(pytestconfig: pytest.Config) -> Sandbox:
    """The workers that run the code under test, one per factory, for the whole session."""
    return harness_sandbox_of(pytestconfig)


@pytest.fixture(scope="session")
def harness_keepalive_expectation(pytestconfig: pytest.Config) -> KeepaliveExpectation:
    """The keepalive non-Codex clients are judged against (``--keepalive-idle``)."""
    return pytestconfig.stash[_KEEPALIVE_KEY][0]


@pytest.fixture(scope="session")
def harness_client_hello(
    pytestconfig: pytest.Config,
    harness_network: Network,
    harness_sandbox: Sandbox,
    harness_fixtures: list[Fixture],
    harness_deadline: float,
) -> ClientHelloMeasurement | None:
    """The ClientHello Codex clients are judged against (``--harness-client-hello``): the SDK
    default client's JA4, measured once per session in scenario processes when the first Codex
    case of each mode asks for it; None if not judged."""
    if not pytestconfig.stash[_CLIENT_HELLO_KEY][0]:
        return None
    from harness.judging.client_hello import ClientHelloMeasurement

    return ClientHelloMeasurement(
        harness_network, harness_sandbox, harness_fixtures, harness_deadline
    )


@pytest.fixture(scope="session")
def harness_stream_idle(pytestconfig: pytest.Config) -> float | None:
    """Seconds within which a client must give up on a silent stream (``--harness-stream-idle``;
    None: it must wait the silence out)."""
    return pytestconfig.stash[_STREAM_IDLE_KEY][0]


@pytest.fixture(scope="session")
def harness_connect_within(pytestconfig: pytest.Config) -> float | None:
    """Seconds within which a client must reach the origin (``--harness-connect-within``; None:
    any connect within the deadline passes)."""
    return pytestconfig.stash[_CONNECT_WITHIN_KEY][0]


@pytest.fixture(scope="session")
def harness_deadline(pytestconfig: pytest.Config) -> float:
    """Seconds each phase of a scenario may take (``--harness-deadline``)."""
    return pytestconfig.stash[_DEADLINE_KEY]


@pytest.fixture(scope="session")
def harness_fixtures(pytestconfig: pytest.Config) -> list[Fixture]:
    """Every origin file of the run, validated."""
    return harness_fixture_set(pytestconfig)


@pytest.fixture(scope="session")
def harness_conditions(pytestconfig: pytest.Config) -> dict[str, Condition]:
    """Network conditions from ``conditions/`` beside the origin files, by name."""
    return {condition.name: condition for condition in harness_condition_set(pytestconfig)}


@pytest.fixture(scope="session")
def harness_authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    """The session CA; its bundle is what ``SSL_CERT_FILE`` points at during a scenario."""
    from harness.network.pki import Authority

    return Authority(tmp_path_factory.mktemp("harness-pki"))


@pytest.fixture(scope="session")
def harness_network(
    harness_fixtures: list[Fixture], harness_authority: Authority, pytestconfig: pytest.Config
) -> Iterator[Network]:
    """Every origin from the origin files, running for the whole session."""
    from harness.network.kernel import KernelViewUnavailable, kernel_view_available
    from harness.network.origins import Network

    if not kernel_view_available():
        pytest.skip("no kernel view of peer sockets on this system (Linux only)")
    try:
        network = Network(harness_fixtures, harness_authority)
    except KernelViewUnavailable as exc:
        pytest.skip(str(exc))
    network.identity_demanded = pytestconfig.stash[_IDENTITY_KEY][0]
    # What exists now (modules, the network, pytest's own objects) lives for the whole session:
    # keep the cyclic collector from walking it again after every few hundred scenarios. Objects
    # still free by reference count as usual; unfrozen when the network closes.
    gc.collect()
    gc.freeze()
    try:
        with network:
            yield network
    finally:
        gc.unfreeze()


@pytest.fixture
def harness_fault(
    harness_network: Network,
) -> Callable[..., contextlib.AbstractContextManager[None]]:
    """``with harness_fault("api-openai", {"when": "always", "action": "reset"}): ...`` applies
    fault rules (fixture syntax) at one origin's gate for the block."""
    from harness.network.faults import FaultRules

    def inject(
        origin: str, *rules: Mapping[str, object]
    ) -> contextlib.AbstractContextManager[None]:
        return harness_network.origin(origin).faulting(FaultRules.from_spec(list(rules)))

    return inject


@pytest.fixture
def harness_reply(
    harness_network: Network,
) -> Callable[..., contextlib.AbstractContextManager[None]]:
    """``with harness_reply("api-openai", {"method": "GET", "path_suffix": "/models",
    "status": 429, "headers": {"retry-after": "1"}, "json": {...}}): ...`` serves that reply
    (fixture syntax) ahead of the origin's own for the block."""
    from harness.fixtures import parse_reply

    def serve(origin: str, spec: Mapping[str, object]) -> contextlib.AbstractContextManager[None]:
        return harness_network.origin(origin).replying(parse_reply(spec))

    return serve


@pytest.fixture
def _harness_fault_marker(request: pytest.FixtureRequest) -> Iterator[None]:
    """``@pytest.mark.harness_fault("origin", {rule}, ...)`` applies rules for one test; added
    only to tests that carry the marker (see :func:`pytest_itemcollected`)."""
    marker = request.node.get_closest_marker("harness_fault")
    if marker is None:
        yield
        return
    from harness.network.faults import FaultRules

    if not marker.args or not isinstance(marker.args[0], str):
        raise pytest.UsageError("harness_fault marker: give the origin name, then rules")
    network: Network = request.getfixturevalue("harness_network")
    rules = FaultRules.from_spec(list(marker.args[1:]), where="harness_fault")
    with network.origin(marker.args[0]).faulting(rules):
        yield


@pytest.fixture(scope="session")
def harness_observations(harness_network: Network) -> ObservationLog:
    """What every origin observed, in order."""
    return harness_network.log


@pytest.fixture(scope="session")
def harness_drive(
    harness_network: Network,
    harness_sandbox: Sandbox,
    harness_client_factory: str | ClientFactory,
    harness_deadline: float,
) -> Drive:
    """``harness_drive(endpoint, call, async_client=False, condition=..., environ=...)`` runs one
    scenario in a process of its own, each phase bounded by ``harness_deadline``, and returns its
    :class:`~harness.judging.drive.Result`."""
    from harness.judging.drive import Subject, drive

    subject = Subject.of(harness_sandbox, harness_client_factory)
    return functools.partial(drive, harness_network, subject, deadline=harness_deadline)
