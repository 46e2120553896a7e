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
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.deadline import DEFAULT_SECONDS as DEFAULT_DEADLINE
from harness.deadline import ENV_VAR as DEADLINE_ENV
from harness.deadline import INI_KEY as DEADLINE_INI
from harness.deadline import OPTION as DEADLINE_OPTION
from harness.deadline import parse_deadline
from harness.errors import HarnessError
from harness.expectation import (
    DEFAULT_IDLE_SECONDS,
    KeepaliveExpectation,
    parse_keepalive_idle,
)
from harness.expectation import ENV_VAR as IDLE_ENV
from harness.expectation import INI_KEY as IDLE_INI
from harness.expectation import OPTION as IDLE_OPTION
from harness.factory import ENV_VAR as FACTORY_ENV
from harness.junit import CATEGORIES_PROPERTY

if TYPE_CHECKING:
    from harness.conditions import Condition
    from harness.factory import ClientFactory
    from harness.fixtures import Fixture
    from harness.observations import ObservationLog
    from harness.origins import Network
    from harness.pki import Authority
    from harness.scenario import Result

Drive = Callable[..., "Result"]

FACTORY_OPTION = "--client-factory"
FACTORY_INI = "harness_client_factory"
FIXTURES_OPTION = "--harness-fixtures"
FIXTURES_INI = "harness_fixtures"
FIXTURES_ENV = "HARNESS_FIXTURES"
LEAK_CHECK_OPTION = "--harness-leak-check"
HOW_TO_NAME_A_FACTORY = (
    f"name the client factory under test with {FACTORY_OPTION} MODULE:ATTR, the ini key "
    f"{FACTORY_INI} ([tool.pytest.ini_options] in pyproject.toml), or {FACTORY_ENV}"
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


@dataclass(frozen=True)
class Setting:
    """A value and where it came from (option, ini key, environment variable or default)."""

    value: str | None
    source: str


_FACTORY_KEY = pytest.StashKey[Setting]()
_KEEPALIVE_KEY = pytest.StashKey[tuple[KeepaliveExpectation, str]]()
_DEADLINE_KEY = pytest.StashKey[float]()
_LOADED_FACTORY_KEY = pytest.StashKey["ClientFactory"]()
_FIXTURES_KEY = pytest.StashKey["list[Fixture]"]()
_LEAKS_KEY = pytest.StashKey[Any]()
_DATA_ERROR_KEY = pytest.StashKey[str]()
_CONDITIONS_KEY = pytest.StashKey["list[Condition]"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("transport-harness")
    group.addoption(
        FACTORY_OPTION,
        dest="harness_client_factory",
        default=None,
        metavar="MODULE:ATTR",
        help=f"client factory the harness suites judge (ini {FACTORY_INI}, env {FACTORY_ENV})",
    )
    group.addoption(
        IDLE_OPTION,
        dest="harness_keepalive_idle",
        default=None,
        metavar="SECONDS|off",
        help="TCP keepalive idle time non-Codex clients must arm, or 'off' to leave keepalive "
        f"unjudged (ini {IDLE_INI}, env {IDLE_ENV}; default {DEFAULT_IDLE_SECONDS})",
    )
    group.addoption(
        LEAK_CHECK_OPTION,
        dest="harness_leak_check",
        action="store_true",
        help="fail the session if a thread or file descriptor outlives the fixtures",
    )
    group.addoption(
        FIXTURES_OPTION,
        dest="harness_fixtures",
        default=None,
        metavar="DIR",
        help=f"directory of origin files, with conditions/ beside them (ini {FIXTURES_INI}, "
        f"env {FIXTURES_ENV}; default: the packaged ones)",
    )
    group.addoption(
        DEADLINE_OPTION,
        dest="harness_deadline",
        default=None,
        metavar="SECONDS",
        help="limit on building the client and on the call (connecting and waiting for the "
        f"response) in a scenario, and on vetting the factory (ini {DEADLINE_INI}, "
        f"env {DEADLINE_ENV}; default {DEFAULT_DEADLINE:g})",
    )
    parser.addini(FACTORY_INI, "client factory (MODULE:ATTR) the harness suites judge")
    parser.addini(DEADLINE_INI, "limit in seconds on each phase of a harness scenario")
    parser.addini(IDLE_INI, "keepalive idle seconds non-Codex clients must arm, or 'off'")
    parser.addini(FIXTURES_INI, "directory of the harness's origin files")


def _setting(config: pytest.Config, dest: str, option: str, ini: str, env: str) -> Setting:
    """The first of option, ini key and environment variable that is set, and which it was."""
    given = config.getoption(dest)
    if given:
        return Setting(str(given), option)
    from_ini = config.getini(ini)
    if from_ini:
        return Setting(str(from_ini).strip(), f"ini {ini}")
    if os.environ.get(env):
        return Setting(os.environ[env], f"env {env}")
    return Setting(None, "default")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Validate the harness's inputs up front (cheap, reads no data). A named factory means the
    run judges one: vet it now, so a bad one stops the run before any test, and register the
    suites' hypothesis profiles before hypothesis loads ``--hypothesis-profile``."""
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
    idle = _setting(config, "harness_keepalive_idle", IDLE_OPTION, IDLE_INI, IDLE_ENV)
    try:
        expectation = (
            parse_keepalive_idle(idle.value, idle.source)
            if idle.value is not None
            else KeepaliveExpectation()
        )
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_KEEPALIVE_KEY] = (expectation, idle.source)
    limit = _setting(config, "harness_deadline", DEADLINE_OPTION, DEADLINE_INI, DEADLINE_ENV)
    try:
        deadline = (
            DEFAULT_DEADLINE if limit.value is None else parse_deadline(limit.value, limit.source)
        )
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_DEADLINE_KEY] = deadline
    factory = _setting(config, "harness_client_factory", FACTORY_OPTION, FACTORY_INI, FACTORY_ENV)
    config.stash[_FACTORY_KEY] = factory
    if factory.value is not None:
        import harness.profiles  # noqa: F401 (registers harness-ci and harness-dev)

        _factory(config)


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Which factory is judged, against which expectation, and where each came from; silent in
    a run that names no factory (it cannot be running the harness's suites)."""
    factory = config.stash[_FACTORY_KEY]
    if factory.value is None:
        return []
    expectation, source = config.stash[_KEEPALIVE_KEY]
    return [
        f"transport-harness: client factory {factory.value} (from {factory.source}); "
        f"{expectation.describe()} (from {source}); "
        f"deadline {config.stash[_DEADLINE_KEY]:g}s per phase"
    ]


def _factory(config: pytest.Config) -> ClientFactory:
    """The named factory, loaded and vetted once."""
    if _LOADED_FACTORY_KEY not in config.stash:
        from harness.factory import load_factory, vet_factory

        spec = config.stash[_FACTORY_KEY].value
        if spec is None:
            raise pytest.UsageError(f"transport-harness: {HOW_TO_NAME_A_FACTORY}")
        try:
            factory = load_factory(spec)
            vet_factory(spec, factory, deadline=config.stash[_DEADLINE_KEY])
        except HarnessError as exc:
            raise pytest.UsageError(str(exc)) from None
        config.stash[_LOADED_FACTORY_KEY] = factory
    return config.stash[_LOADED_FACTORY_KEY]


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
    given = _setting(config, "harness_fixtures", FIXTURES_OPTION, FIXTURES_INI, FIXTURES_ENV)
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
        from harness.conditions import load_conditions

        try:
            directory = harness_fixture_dir(config) / "conditions"
            config.stash[_CONDITIONS_KEY] = load_conditions(directory)
        except HarnessError as exc:
            raise pytest.UsageError(f"harness conditions: {exc}") from None
    return config.stash[_CONDITIONS_KEY]


def _parametrize_scenarios(metafunc: pytest.Metafunc) -> None:
    """``harness_scenario`` over the whole matrix, each case marked Codex or not."""
    from harness.matrix import scenarios

    try:
        fixtures = harness_fixture_set(metafunc.config)
        matrix = scenarios(fixtures, harness_condition_set(metafunc.config))
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
    _factory(pytestconfig)
    spec = pytestconfig.stash[_FACTORY_KEY].value
    assert spec is not None  # _factory raised otherwise
    return spec


@pytest.fixture(scope="session")
def harness_client_factory(pytestconfig: pytest.Config) -> ClientFactory:
    """The factory under test (``--client-factory``, ini ``harness_client_factory``, or
    ``HARNESS_CLIENT_FACTORY``)."""
    return _factory(pytestconfig)


@pytest.fixture(scope="session")
def harness_keepalive_expectation(pytestconfig: pytest.Config) -> KeepaliveExpectation:
    """The keepalive non-Codex clients are judged against (``--keepalive-idle``)."""
    return pytestconfig.stash[_KEEPALIVE_KEY][0]


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
    from harness.pki import Authority

    return Authority(tmp_path_factory.mktemp("harness-pki"))


@pytest.fixture(scope="session")
def harness_network(
    harness_fixtures: list[Fixture], harness_authority: Authority
) -> Iterator[Network]:
    """Every origin from the origin files, running for the whole session."""
    from harness.kernel import KernelViewUnavailable, kernel_view_available
    from harness.origins import Network

    if not kernel_view_available():
        pytest.skip("no kernel view of peer sockets on this system (Linux only)")
    try:
        network = Network(harness_fixtures, harness_authority)
    except KernelViewUnavailable as exc:
        pytest.skip(str(exc))
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
    from harness.faults import FaultRules

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
    from harness.faults import FaultRules

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
    harness_network: Network, harness_client_factory: ClientFactory, harness_deadline: float
) -> Drive:
    """``harness_drive(endpoint, call, async_client=False)`` runs one scenario, each phase
    bounded by ``harness_deadline``, and returns its :class:`~harness.scenario.Result`."""
    from harness.scenario import drive

    return functools.partial(
        drive, harness_network, harness_client_factory, deadline=harness_deadline
    )
