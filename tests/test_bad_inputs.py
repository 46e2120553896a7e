"""Every bad input the harness is given is one line naming the input and what is wrong: exit 2
from the command line, a usage error (exit 4) from pytest, no traceback, nothing written."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import RunCli
from harness.fixtures import FIXTURE_DIR

#: Each case builds a fixture directory (origin files plus conditions/) from the packaged one,
#: breaks it, and names what the one error line must say.
Breakage = Callable[[Path], None]


def _edit(name: str, change: Callable[[dict[str, object]], None]) -> Breakage:
    def breaking(directory: Path) -> None:
        path = directory / name
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))

    return breaking


def _write(name: str, content: bytes) -> Breakage:
    return lambda directory: (directory / name).write_bytes(content) and None


def _host(host: str) -> Callable[[dict[str, object]], None]:
    def change(data: dict[str, object]) -> None:
        data["origin"]["hosts"] = [host]  # type: ignore[index]
        data["endpoints"] = []

    return change


def _no_endpoints(directory: Path) -> None:
    for path in directory.glob("*.json"):
        data = json.loads(path.read_text())
        data.pop("endpoints", None)
        path.write_text(json.dumps(data))


BROKEN: dict[str, tuple[Breakage, str]] = {
    "invalid-utf8": (
        _write("api-openai.json", b'{"schema": 1, "name": "caf\xe9"}'),
        "api-openai.json: not UTF-8 text (byte 0xe9 at offset 26)",
    ),
    "nested-10000": (
        _write("api-openai.json", b"[" * 10_000 + b"]" * 10_000),
        "api-openai.json: not usable JSON: nested too deeply",
    ),
    "same-host-twice": (
        lambda d: (
            shutil.copy(d / "chatgpt-codex.json", d / "codex-copy.json")
            and _edit("codex-copy.json", lambda data: data.update(name="codex-copy"))(d)
        ),
        "codex-copy.json: origin.hosts: 'chatgpt.com' on port 443 is also served by",
    ),
    "host-with-space": (
        _edit("custom-https.json", _host("exa mple.com")),
        "custom-https.json: origin.hosts[0]: 'exa mple.com' is not a host name: label 'exa mple'",
    ),
    "host-twice-in-a-file": (
        _edit("openrouter.json", lambda data: data["origin"]["hosts"].append("openrouter.ai")),  # type: ignore[index]
        "openrouter.json: origin.hosts: 'openrouter.ai' is listed twice",
    ),
    "no-endpoints": (_no_endpoints, "no origin file lists an endpoint: nothing to judge"),
    "directory-is-a-file": (
        lambda d: shutil.rmtree(d) or d.write_text("{}"),
        "origin files directory is not a directory",
    ),
    "directory-missing": (shutil.rmtree, "origin files directory does not exist"),
    "no-origin-files": (
        lambda d: [path.unlink() for path in d.glob("*.json")] and None,
        "no origin files (*.json)",
    ),
}
#: Only a run that builds the matrix reads conditions/ (``repro`` does not).
BROKEN_CONDITIONS: dict[str, tuple[Breakage, str]] = {
    "conditions-missing": (
        lambda d: shutil.rmtree(d / "conditions"),
        "conditions directory does not exist (an empty one runs the direct condition only)",
    ),
    "conditions-a-file": (
        lambda d: shutil.rmtree(d / "conditions") or (d / "conditions").write_text(""),
        "conditions directory is not a directory",
    ),
}


def _broken_copy(tmp_path: Path, breakage: Breakage) -> Path:
    directory = tmp_path / "fixtures"
    shutil.copytree(FIXTURE_DIR, directory, ignore=shutil.ignore_patterns("__*"))
    breakage(directory)
    return directory


def _one_line(stderr: str, expected: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert expected in lines[0], stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("breakage, expected", BROKEN.values(), ids=list(BROKEN))
def test_repro_names_the_bad_origin_files(
    tmp_path: Path, run_cli: RunCli, breakage: Breakage, expected: str
) -> None:
    result = run_cli("repro", "--fixtures", str(_broken_copy(tmp_path, breakage)))
    assert result.returncode == 2, result.stdout + result.stderr
    _one_line(result.stderr, expected)


@pytest.mark.parametrize(
    "breakage, expected",
    [*BROKEN.values(), *BROKEN_CONDITIONS.values()],
    ids=[*BROKEN, *BROKEN_CONDITIONS],
)
def test_diagnose_names_the_bad_origin_files(
    tmp_path: Path, run_cli: RunCli, breakage: Breakage, expected: str
) -> None:
    directory = _broken_copy(tmp_path, breakage)
    report = tmp_path / "report.json"
    result = run_cli(
        "diagnose",
        "harness.targets.reference:factory",
        "--fixtures",
        str(directory),
        "--output",
        str(report),
    )
    assert result.returncode == 2, result.stdout + result.stderr
    _one_line(result.stderr, expected)
    assert not report.exists()


@pytest.mark.parametrize(
    "breakage, expected",
    [*BROKEN.values(), *BROKEN_CONDITIONS.values()],
    ids=[*BROKEN, *BROKEN_CONDITIONS],
)
def test_pytest_stops_on_the_bad_origin_files(
    pytester: pytest.Pytester, breakage: Breakage, expected: str
) -> None:
    directory = _broken_copy(pytester.path, breakage)
    pytester.makepyfile(test_inner_split="from harness.suites.split import *  # noqa: F403\n")
    result = pytester.runpytest_inprocess(
        f"--harness-fixtures={directory}", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if line.startswith("ERROR:")]
    assert len(errors) == 1 and expected in errors[0], result.errlines
    assert "Traceback" not in "\n".join(result.outlines + result.errlines)


@pytest.mark.parametrize(
    "output, expected",
    [
        ("{tmp}", "is a directory"),
        ("{tmp}/a-file/report.json", "{tmp}/a-file is not a directory"),
        ("/sys/kernel/report.json", "cannot write: "),
    ],
    ids=["a directory", "below a file", "read-only place"],
)
@pytest.mark.parametrize("command", ["diagnose", "record"])
def test_an_output_that_cannot_be_written_is_refused_before_the_run(
    tmp_path: Path, run_cli: RunCli, command: str, output: str, expected: str
) -> None:
    (tmp_path / "a-file").write_text("")
    before = sorted(tmp_path.rglob("*"))
    target = output.format(tmp=tmp_path)
    args = (
        ["diagnose", "harness.targets.reference:factory"]
        if command == "diagnose"
        else ["record", "https://127.0.0.1:9/", "--anonymous"]  # never reached: refused first
    )
    result = run_cli(*args, "--output", target, timeout=30)
    assert result.returncode == 2, result.stdout + result.stderr
    _one_line(result.stderr, f"--output {target}: {expected.format(tmp=tmp_path)}")
    assert result.stdout == ""
    assert sorted(tmp_path.rglob("*")) == before


#: Factory modules that misbehave before any client exists, and what the one error line says.
MISBEHAVING = {
    "exit-at-import": (
        "import sys\nsys.exit(3)\n",
        "client factory 'misbehaving:factory': importing misbehaving raised SystemExit(3)",
    ),
    "keyboard-interrupt-without-a-signal": (
        "def factory(provider, base_url, api_key, *, async_client=False):\n"
        "    raise KeyboardInterrupt\n",
        "client factory 'misbehaving:factory' raised KeyboardInterrupt() when called as ",
    ),
}


@pytest.mark.parametrize("source, expected", MISBEHAVING.values(), ids=list(MISBEHAVING))
def test_diagnose_names_a_factory_that_ends_or_interrupts_itself(
    tmp_path: Path, run_cli: RunCli, source: str, expected: str
) -> None:
    (tmp_path / "misbehaving.py").write_text(source)
    result = run_cli("diagnose", "misbehaving:factory", cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    _one_line(result.stderr, f"error: {expected}")
    assert result.stdout == ""


@pytest.mark.parametrize("source, expected", MISBEHAVING.values(), ids=list(MISBEHAVING))
def test_pytest_names_a_factory_that_ends_or_interrupts_itself(
    pytester: pytest.Pytester, source: str, expected: str
) -> None:
    pytester.makepyfile(misbehaving=source)
    pytester.makepyfile(test_inner_split="from harness.suites.split import *  # noqa: F403\n")
    pytester.syspathinsert()
    result = pytester.runpytest_inprocess(
        "--client-factory", "misbehaving:factory", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if line.startswith("ERROR:")]
    assert errors == [errors[0]] and expected in errors[0], result.errlines
    assert "Traceback" not in "\n".join(result.outlines + result.errlines)
    result.stdout.no_fnmatch_line("*passed*")
