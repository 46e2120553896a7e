"""Read a pytest JUnit XML report back into per-case outcomes.

The self-check, the release verdicts, the hostile-environment check, the soak and the benchmark
all run the suite in a fresh process and judge it case by case; this is the one reader they share.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Case:
    classname: str
    name: str
    outcome: str  # "passed", "failed" (failure or error) or "skipped"
    text: str  # the failure, error or skip message and details, empty for a pass
    time: float = 0.0  # seconds pytest spent on the case (set-up, call and teardown)

    @property
    def id(self) -> str:
        return f"{self.classname}::{self.name}"


def read_cases(report: Path) -> list[Case]:
    cases = []
    for element in ET.parse(report).getroot().iter("testcase"):
        outcome, text = "passed", ""
        for child in element:
            if child.tag in ("failure", "error", "skipped"):
                outcome = "skipped" if child.tag == "skipped" else "failed"
                text = f"{child.get('message', '')}\n{child.text or ''}"
        seconds = float(element.get("time") or 0.0)
        cases.append(
            Case(element.get("classname", ""), element.get("name", ""), outcome, text, seconds)
        )
    return cases
