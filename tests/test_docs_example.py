"""The example project in docs/adopting.md works exactly as written.

Its files are the fenced blocks labelled ``File `path`:``; its command is the block labelled
``Command:``. They are written into an empty directory and run in a fresh pytest process, so the
page cannot drift from what works.
"""

from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "adopting.md"
BLOCK = re.compile(
    r"^(?:File `(?P<path>[^`]+)`|(?P<command>Command)):\n\n```[^\n]*\n(?P<body>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)
FACTORY_MODULE = "myproject/clients.py"


def example() -> tuple[dict[str, str], list[str]]:
    """The example's files (path to text) and its command line, as the page shows them."""
    files: dict[str, str] = {}
    commands: list[list[str]] = []
    for match in BLOCK.finditer(DOC.read_text(encoding="utf-8")):
        if match["command"]:
            commands.append(shlex.split(match["body"]))
        else:
            files[match["path"]] = match["body"]
    assert len(commands) == 1, f"{DOC} should show exactly one Command block"
    return files, commands[0]


def test_example_is_complete_and_needs_no_conftest() -> None:
    files, command = example()
    assert FACTORY_MODULE in files
    assert any(path.startswith("tests/test_") for path in files)
    assert not any(Path(path).name == "conftest.py" for path in files)
    assert command[0] == "pytest"
    workflow = next(text for path, text in files.items() if path.startswith(".github/workflows/"))
    assert shlex.join(command) in workflow, "the workflow should run the command the page shows"


def test_example_project_passes_the_split_suite(pytester: pytest.Pytester) -> None:
    files, command = example()
    for path, text in files.items():
        target = pytester.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    report = pytester.path / "report.xml"
    result = pytester.runpytest_subprocess(
        *command[1:], f"--junitxml={report}", "-p", "no:cacheprovider", "-W", "error"
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    cases = list(ET.parse(report).getroot().iter("testcase"))
    assert cases, result.stdout.str()
    assert all(len(case) == 0 for case in cases), "every case should pass, none skip"
