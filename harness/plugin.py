"""pytest plugin: the client-factory option and the harness fixtures, each override-able by name.

Loaded through the ``pytest11`` entry point, so any project that installs the package gets
``--client-factory`` and the fixtures without copying a conftest.py.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from harness.conditions import Condition, load_conditions
from harness.factory import (
    DEFAULT_FACTORY,
    ENV_VAR,
    ClientFactory,
    FactoryError,
    load_factory,
    vet_factory,
)
from harness.faults import FaultRules
from harness.fixtures import (
    FIXTURE_DIR,
    Fixture,
    FixtureError,
    load_fixtures,
    parse_reply,
)
from harness.kernel import KernelViewUnavailable, kernel_view_available
from harness.leaks import LeakCheck
from harness.observations import ObservationLog
from harness.origins import Network
from harness.pki import Authority
from harness.profiles import load_default_profile
from harness.scenario import Result, drive

Drive = Callable[..., Result]

_SPEC_KEY = pytest.StashKey[str]()
_FACTORY_KEY = pytest.StashKey[ClientFactory]()
_FIXTURES_KEY = pytest.StashKey[list[Fixture]]()
_LEAKS_KEY = pytest.StashKey[LeakCheck]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("transport-harness")
    group.addoption(
        "--client-factory",
        default=None,
        metavar="MODULE:ATTR",
        help=f"client factory under test (env {ENV_VAR}; default {DEFAULT_FACTORY})",
    )
    group.addoption(
        "--keepalive-idle",
        type=int,
        default=None,
        metavar="SECONDS",
        help="TCP keepalive idle time non-Codex clients must arm (env HARNESS_KEEPALIVE_IDLE; "
        "default 30)",
    )
    group.addoption(
        "--leak-check",
        action="store_true",
        help="fail the session if a thread or file descriptor outlives the fixtures",
    )
    group.addoption(
        "--harness-fixtures",
        default=None,
        metavar="DIR",
        help=f"directory of fault fixtures (env HARNESS_FIXTURES; default {FIXTURE_DIR})",
    )


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    load_default_profile()
    config.addinivalue_line("markers", "codex: drives the ChatGPT Codex backend")
    config.addinivalue_line(
        "markers", "non_codex: drives an endpoint that is not the Codex backend"
    )
    config.addinivalue_line(
        "markers",
        "harness_fault(origin, *rules): apply fault rules (fixture syntax) at an origin's gate",
    )
    explicit = config.getoption("--client-factory") or os.environ.get(ENV_VAR)
    config.stash[_SPEC_KEY] = explicit or DEFAULT_FACTORY
    if explicit:  # vet a named factory now, so a bad one stops the run before any test
        _factory(config)
    harness_fixture_set(config)


def _factory(config: pytest.Config) -> ClientFactory:
    """The factory under test, loaded (and vetted) once; the default only when a test needs it,
    so projects that merely have the plugin installed do not pay for importing openai."""
    if _FACTORY_KEY not in config.stash:
        spec = config.stash[_SPEC_KEY]
        try:
            factory = load_factory(spec)
            vet_factory(spec, factory)
        except FactoryError as exc:
            raise pytest.UsageError(str(exc)) from None
        config.stash[_FACTORY_KEY] = factory
    return config.stash[_FACTORY_KEY]


def pytest_sessionstart(session: pytest.Session) -> None:
    if session.config.getoption("--leak-check"):
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


def _fixture_dir(config: pytest.Config) -> Path:
    given = config.getoption("--harness-fixtures") or os.environ.get("HARNESS_FIXTURES")
    return Path(given) if given else FIXTURE_DIR


def harness_fixture_set(config: pytest.Config) -> list[Fixture]:
    """The run's fixtures, loaded once; a malformed file stops the run with its name."""
    if _FIXTURES_KEY not in config.stash:
        try:
            config.stash[_FIXTURES_KEY] = load_fixtures(_fixture_dir(config))
        except FixtureError as exc:
            raise pytest.UsageError(f"harness fixtures: {exc}") from None
    return config.stash[_FIXTURES_KEY]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``codex_endpoint`` / ``non_codex_endpoint`` from the fixtures and
    ``async_client`` over sync and async."""
    every = [e for f in harness_fixture_set(metafunc.config) for e in f.endpoints]
    selections = {
        "codex_endpoint": [e for e in every if e.codex],
        "non_codex_endpoint": [e for e in every if not e.codex],
        "non_codex_https_endpoint": [
            e for e in every if not e.codex and e.base_url.lower().startswith("https://")
        ],
    }
    for name, endpoints in selections.items():
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, endpoints, ids=[e.id for e in endpoints])
    if "async_client" in metafunc.fixturenames:
        metafunc.parametrize("async_client", [False, True], ids=["sync", "async"])


@pytest.fixture(scope="session")
def client_factory_spec(pytestconfig: pytest.Config) -> str:
    return pytestconfig.stash[_SPEC_KEY]


@pytest.fixture(scope="session")
def client_factory(pytestconfig: pytest.Config) -> ClientFactory:
    """The factory under test (``--client-factory``)."""
    return _factory(pytestconfig)


@pytest.fixture(scope="session")
def expected_keepalive_idle(pytestconfig: pytest.Config) -> int:
    given = pytestconfig.getoption("--keepalive-idle") or os.environ.get("HARNESS_KEEPALIVE_IDLE")
    return int(given) if given else 30


@pytest.fixture(scope="session")
def harness_fixtures(pytestconfig: pytest.Config) -> list[Fixture]:
    return harness_fixture_set(pytestconfig)


@pytest.fixture(scope="session")
def harness_conditions() -> dict[str, Condition]:
    """Network conditions from ``fixtures/conditions/``, by name."""
    return {condition.name: condition for condition in load_conditions()}


@pytest.fixture(scope="session")
def harness_authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    """The session CA; its bundle is what ``SSL_CERT_FILE`` points at during a scenario."""
    return Authority(tmp_path_factory.mktemp("harness-pki"))


@pytest.fixture(scope="session")
def harness_network(
    harness_fixtures: list[Fixture], harness_authority: Authority
) -> Iterator[Network]:
    """Every origin from the fixtures, running for the whole session."""
    if not kernel_view_available():
        pytest.skip("no kernel view of peer sockets on this system (Linux only)")
    try:
        network = Network(harness_fixtures, harness_authority)
    except KernelViewUnavailable as exc:
        pytest.skip(str(exc))
    with network:
        yield network


@pytest.fixture
def harness_fault(
    harness_network: Network,
) -> Callable[..., contextlib.AbstractContextManager[None]]:
    """``with harness_fault("api-openai", {"when": "always", "action": "reset"}): ...`` applies
    fault rules (fixture syntax) at one origin's gate for the block."""

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

    def serve(origin: str, spec: Mapping[str, object]) -> contextlib.AbstractContextManager[None]:
        return harness_network.origin(origin).replying(parse_reply(spec))

    return serve


@pytest.fixture(autouse=True)
def _harness_fault_marker(request: pytest.FixtureRequest) -> Iterator[None]:
    """``@pytest.mark.harness_fault("origin", {rule}, ...)`` applies rules for one test."""
    marker = request.node.get_closest_marker("harness_fault")
    if marker is None:
        yield
        return
    if not marker.args or not isinstance(marker.args[0], str):
        raise pytest.UsageError("harness_fault marker: give the origin name, then rules")
    network: Network = request.getfixturevalue("harness_network")
    rules = FaultRules.from_spec(list(marker.args[1:]), where="harness_fault")
    with network.origin(marker.args[0]).faulting(rules):
        yield


@pytest.fixture(scope="session")
def harness_observations(harness_network: Network) -> ObservationLog:
    return harness_network.log


@pytest.fixture(scope="session")
def harness_drive(harness_network: Network, client_factory: ClientFactory) -> Drive:
    """``harness_drive(endpoint, call, async_client=False)`` runs one scenario and returns its
    :class:`~harness.scenario.Result`."""

    return functools.partial(drive, harness_network, client_factory)
