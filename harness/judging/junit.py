"""Read a pytest JUnit XML report back into per-case outcomes.

The self-check, the release verdicts, the hostile-environment check, the soak and the benchmark
all run the suite in a fresh process and judge it case by case; this is the one reader they share.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

#: The JUnit property that carries a harness case's categories (see harness.judging.matrix).
CATEGORIES_PROPERTY = "harness_categories"


@dataclass(frozen=True)
class Case:
    classname: str
    name: str
    outcome: str  # "passed", "failed" (failure or error) or "skipped"
    text: str  # the failure, error or skip message and details, empty for a pass
    time: float = 0.0  # seconds pytest spent on the case (set-up, call and teardown)
    properties: tuple[tuple[str, str], ...] = ()  # the case's user properties, in order

    @property
    def id(self) -> str:
        return f"{self.classname}::{self.name}"

    @property
    def categories(self) -> frozenset[str]:
        """The harness categories the case reported (property ``harness_categories``)."""
        found: set[str] = set()
        for name, value in self.properties:
            if name == CATEGORIES_PROPERTY:
                found.update(part for part in value.split(",") if part)
        return frozenset(found)


def read_cases(report: Path) -> list[Case]:
    cases = []
    for element in ET.parse(report).getroot().iter("testcase"):
        outcome, text = "passed", ""
        for child in element:
            if child.tag in ("failure", "error", "skipped"):
                outcome = "skipped" if child.tag == "skipped" else "failed"
                text = f"{child.get('message', '')}\n{child.text or ''}"
        properties = tuple(
            (prop.get("name", ""), prop.get("value", "")) for prop in element.iter("property")
        )
        seconds = float(element.get("time") or 0.0)
        name, classname = element.get("name", ""), element.get("classname", "")
        cases.append(Case(classname, name, outcome, text, seconds, properties))
    return cases
