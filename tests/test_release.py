"""The built distribution works the way an adopter installs it: a wheel in a fresh environment.

The wheel and the sdist are built from this checkout and their contents checked; the wheel (not an
editable install, no test extra) goes into a fresh virtual environment, with pytest beside it as
``docs/adopting.md`` says. There, from directories of their own:

- an unrelated project's tests, with fixtures named ``async_client`` and ``client_factory`` and a
  test that reads hypothesis's default settings, run untouched by the installed plugin;
- the adopter project of ``docs/adopting.md``, written out as the page shows it, passes the split
  suite against its own factory, named by the ini key, run by the ``pytest`` command as the page
  runs it (not ``python -m pytest``, which would put the project on ``sys.path`` by itself);
- ``python -m harness repro`` reproduces the report outside the checkout.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from email.parser import Parser
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "adopting.md"
BLOCK = re.compile(
    r"^(?:File `(?P<path>[^`]+)`|(?P<command>Command)):\n\n```[^\n]*\n(?P<body>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)
INSTALL_BLOCK = re.compile(
    r"^ *Install:\n\n *```sh\n(?P<body>.*?)^ *```$", re.MULTILINE | re.DOTALL
)
#: The page's steps, ``### 1. Create a virtual environment`` and on, each up to the next heading.
STEP = re.compile(r"^### (?P<number>\d+)\. (?P<title>[^\n]+)\n(?P<body>.*?)(?=^##)", re.M | re.S)
SH_BLOCK = re.compile(r"^```sh\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
FACTORY_MODULE = "myproject/clients.py"
#: The host the plugin and the suites run inside; the only import they may leave undeclared.
HOST = "pytest"
#: Imported where used, only by the Hermes adapter, for projects that install Hermes themselves.
ADAPTERS = {"harness/targets/hermes.py"}
BUILD_TIMEOUT = 300
#: What a checkout holds besides its sources: tool caches, environments, earlier builds.
NOT_SOURCE = (
    ".git",
    ".tox",
    ".venv",
    ".ci-venv",
    ".bench",
    ".hypothesis",
    ".*_cache",
    "__pycache__",
    "*.egg-info",
    "build",
    "dist",
    "artifacts",
)
INSTALL_TIMEOUT = 600
RUN_TIMEOUT = 300

pytestmark = [pytest.mark.fresh_process, pytest.mark.xdist_group("release")]


@dataclass(frozen=True)
class Dists:
    wheel: Path
    sdist: Path


@dataclass(frozen=True)
class FreshEnv:
    python: Path
    environ: Mapping[str, str]

    def run(
        self, *args: str, cwd: Path, timeout: float = RUN_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        return self.script(str(self.python), *args, cwd=cwd, timeout=timeout)

    def script(
        self, name: str, *args: str, cwd: Path, timeout: float = RUN_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        """Run one of the environment's commands (``pytest``), as an activated shell would."""
        return subprocess.run(
            [str(self.python.parent / name), *args],
            cwd=cwd,
            env=dict(self.environ),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def doc_steps() -> list[tuple[str, str]]:
    """The page's numbered steps, in order: (title, text)."""
    steps = list(STEP.finditer(DOC.read_text(encoding="utf-8")))
    assert [int(step["number"]) for step in steps] == list(range(1, len(steps) + 1)), DOC
    return [(step["title"], step["body"]) for step in steps]


def doc_venv() -> list[list[str]]:
    """The commands of the page's virtual-environment step."""
    (body,) = (
        SH_BLOCK.search(text)
        for title, text in doc_steps()
        if title.startswith("Create a virtual environment")
    )
    assert body is not None, "the virtual-environment step shows no commands"
    return [shlex.split(line) for line in body["body"].splitlines() if line.strip()]


def doc_example() -> tuple[dict[str, str], list[str], list[list[str]]]:
    """The adopter project's files, its test command and its install commands, as the page
    shows them."""
    text = DOC.read_text(encoding="utf-8")
    files: dict[str, str] = {}
    commands: list[list[str]] = []
    for match in BLOCK.finditer(text):
        if match["command"]:
            commands.append(shlex.split(match["body"]))
        else:
            files[match["path"]] = match["body"]
    assert len(commands) == 1, f"{DOC} should show exactly one Command block"
    installs = [match["body"] for match in INSTALL_BLOCK.finditer(text)]
    assert len(installs) == 1, f"{DOC} should show exactly one Install block"
    install = [shlex.split(line) for line in installs[0].splitlines() if line.strip()]
    return files, commands[0], install


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """The sdist, and the wheel built from that sdist (so the sdist must be complete)."""
    out = tmp_path_factory.mktemp("dist")
    # built from a copy of the checkout: the build writes its own scratch files (egg-info, a
    # release tree) where it runs, and the checkout may be in use by other tests meanwhile
    source = tmp_path_factory.mktemp("source") / "transport-harness"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    command = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)]
    built = subprocess.run(
        command, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False
    )
    assert built.returncode == 0, built.stdout + built.stderr
    # setuptools' own warnings (a package the configuration leaves out, a deprecated field)
    warned = re.findall(r"^WARNING .*$", built.stdout + built.stderr, re.MULTILINE)
    assert not warned, warned
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return Dists(wheel, sdist)


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory: pytest.TempPathFactory, dists: Dists) -> FreshEnv:
    """A new virtual environment made and activated as the page's step 1 says, with the wheel and
    pytest installed as its step 2 says, and an environment with nothing of this run's harness
    settings or interpreter in it."""
    home = tmp_path_factory.mktemp("fresh")
    make, activate = doc_venv()
    assert make[:3] == ["python", "-m", "venv"] and len(make) == 4, make
    assert activate == [".", f"{make[3]}/bin/activate"], activate
    venv.EnvBuilder(with_pip=True, clear=True).create(home / make[3])
    python = home / make[3] / "bin" / "python"
    environ = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("HARNESS_", "PYTHON", "VIRTUAL_ENV", "PYTEST_", "TOX_"))
        and name != "HYPOTHESIS_PROFILE"
    }
    # what sourcing bin/activate does
    environ["VIRTUAL_ENV"] = str(home / make[3])
    environ["PATH"] = f"{python.parent}{os.pathsep}{environ.get('PATH', '')}"
    env = FreshEnv(python, environ)
    _, _, install = doc_example()
    pip_install = next(line for line in install if any(arg.endswith(".whl") for arg in line))
    assert pip_install[:4] == ["python", "-m", "pip", "install"], pip_install
    documented_wheel = Path(next(arg for arg in pip_install if arg.endswith(".whl")))
    assert documented_wheel.name == dists.wheel.name, "the page names another wheel"
    build = next(line for line in install if line[:3] == ["python", "-m", "build"])
    outdir = build[build.index("--outdir") + 1]
    assert Path(outdir) == documented_wheel.parent, "the page installs another wheel than it builds"
    (home / documented_wheel.parent).mkdir(parents=True)
    (home / documented_wheel).write_bytes(dists.wheel.read_bytes())
    installed = env.run(*pip_install[1:], "--quiet", cwd=home, timeout=INSTALL_TIMEOUT)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return env


def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_carries_the_package_and_every_origin_file(dists: Dists) -> None:
    names = wheel_files(dists.wheel)
    sources = {
        f"harness/{p.relative_to(ROOT / 'harness')}" for p in (ROOT / "harness").rglob("*.py")
    }
    assert sources <= names, sorted(sources - names)
    data = sorted((ROOT / "fixtures").rglob("*.json"))
    assert data, "no origin files in the checkout"
    shipped = {f"harness/fault_fixtures/{p.relative_to(ROOT / 'fixtures')}" for p in data}
    assert shipped <= names, sorted(shipped - names)
    assert not any(name.startswith(("tests/", "bench/", "fixtures/")) for name in names)
    assert "conftest.py" not in names
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    with zipfile.ZipFile(dists.wheel) as archive:
        assert "transport_harness = harness.plugin" in archive.read(entry_points).decode()


def test_sdist_carries_what_the_tests_and_docs_need(dists: Dists) -> None:
    with tarfile.open(dists.sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    expected = {
        "pyproject.toml",
        "conftest.py",
        "tox.ini",
        "README.md",
        "docs/adopting.md",
        *(str(p.relative_to(ROOT)) for p in (ROOT / "fixtures").rglob("*.json")),
        *(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_*.py")),
    }
    assert expected <= names, sorted(expected - names)


def _top_level_imports(path: Path) -> set[str]:
    """Modules a file imports at module level (not inside functions)."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_every_module_level_import_is_a_declared_dependency(dists: Dists) -> None:
    with zipfile.ZipFile(dists.wheel) as archive:
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        message = Parser().parsestr(archive.read(metadata).decode())
    declared = {
        Requirement(line).name.lower().replace("_", "-")
        for line in message.get_all("Requires-Dist") or []
        if "extra ==" not in line
    }
    distributions = packages_distributions()
    missing = {}
    for path in sorted((ROOT / "harness").rglob("*.py")):
        relative = str(path.relative_to(ROOT))
        if relative in ADAPTERS:
            continue
        for module in _top_level_imports(path):
            if module in sys.stdlib_module_names or module in ("harness", HOST):
                continue
            owners = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
            if not owners & declared:
                missing[f"{relative}: {module}"] = sorted(owners)
    assert not missing, f"imported at module level but not a runtime dependency: {missing}"


UNRELATED_CONFTEST = """
import pytest


@pytest.fixture
def async_client():
    return "the host's own async_client"


@pytest.fixture
def client_factory():
    return "the host's own client_factory"
"""

UNRELATED_TESTS = """
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.errors import InvalidArgument


def test_host_fixtures_are_the_hosts(async_client, client_factory):
    assert async_client == "the host's own async_client"
    assert client_factory == "the host's own client_factory"


def test_hypothesis_settings_are_hypothesis_defaults():
    # hypothesis loads "ci" by itself when it detects CI; either way, nothing of the harness's
    assert settings.get_current_profile_name() in ("default", "ci")
    assert settings.default.max_examples == 100
    for name in ("harness-ci", "harness-dev"):
        with pytest.raises(InvalidArgument):
            settings.get_profile(name)


@given(st.integers())
def test_generated(number):
    assert isinstance(number, int)
"""


def test_unrelated_project_runs_untouched(fresh_env: FreshEnv, tmp_path: Path) -> None:
    project = tmp_path / "unrelated"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "conftest.py").write_text(UNRELATED_CONFTEST, encoding="utf-8")
    (project / "tests" / "test_host.py").write_text(UNRELATED_TESTS, encoding="utf-8")
    # Reading any origin file would now fail the run: the plugin must not read one.
    environ = {**fresh_env.environ, "HARNESS_FIXTURES": str(tmp_path / "no-such-directory")}
    env = FreshEnv(fresh_env.python, environ)
    result = env.run("-m", "pytest", "-p", "no:cacheprovider", "-v", "tests", cwd=project)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"^plugins:.*transport-harness", output, re.MULTILINE), output
    assert "transport-harness:" not in output, "the plugin spoke in a run that does not use it"
    assert output.count("PASSED") == 3, output
    plan = env.run("-m", "pytest", "-p", "no:cacheprovider", "--setup-plan", "tests", cwd=project)
    assert plan.returncode == 0 and "SETUP" in plan.stdout, plan.stdout + plan.stderr
    setups = [line for line in plan.stdout.splitlines() if "SETUP" in line]
    assert setups and not [line for line in setups if "harness" in line], setups


def test_every_step_shows_what_it_does() -> None:
    """Each step holds its own commands or files, where it stands, not only further down."""
    steps = doc_steps()
    assert len(steps) >= 5, steps
    empty = [title for title, text in steps if "```" not in text]
    assert not empty, f"steps that show nothing: {empty}"
    shown = {
        title: [m["path"] or m["command"] for m in BLOCK.finditer(text)] for title, text in steps
    }
    wheres = {path: title for title, paths in shown.items() for path in paths}
    assert wheres.get("tests/test_transport.py", "").startswith("Add one test module"), wheres
    assert wheres.get("Command", "").startswith("Add one test module"), wheres
    assert wheres.get(".github/workflows/transport.yml", "").startswith("Add the workflow"), wheres


def test_adopter_project_passes_from_its_own_directory(fresh_env: FreshEnv, tmp_path: Path) -> None:
    files, command, install = doc_example()
    assert FACTORY_MODULE in files
    assert not any(Path(path).name == "conftest.py" for path in files)
    assert command[0] == "pytest"
    workflow = next(text for path, text in files.items() if path.startswith(".github/workflows/"))
    assert shlex.join(command) in workflow, "the workflow should run the command the page shows"
    wheel = next(arg for line in install for arg in line if arg.endswith(".whl"))
    assert f" {wheel}" in workflow, "the workflow should install the wheel the page builds"
    project = tmp_path / "adopter"
    for path, text in files.items():
        target = project / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    report = project / "report.xml"
    result = fresh_env.script(
        *command,
        f"--junitxml={report}",
        "-p",
        "no:cacheprovider",
        "-W",
        "error",
        cwd=project,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert (
        "transport-harness: client factory myproject.clients:build_client "
        "(from ini harness_client_factory); keepalive required, idle 30s (from default); "
        "deadline 10s per phase"
    ) in output, output
    counts = re.search(r"(\d+) passed", output)
    assert counts and int(counts[1]) >= 200 and " failed" not in output, output


def test_repro_outside_the_checkout(fresh_env: FreshEnv, tmp_path: Path) -> None:
    result = fresh_env.run("-m", "harness", "repro", cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "default transport: 400" in output, output
    assert "keepalive transport: ConnectError" in output, output
    assert "reproduced in" in output, output
