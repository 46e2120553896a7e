"""Factories that hang or phone home cannot hang the gate or reach the network.

The egress runs happen inside a network namespace of their own with only loopback up, so a
broken guard meets "network unreachable" instead of sending a packet; strace watches the
attempts themselves (every connect() and sendto() of the inner pytest and its children), so the
test does not rely on the guard it tests.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.junit import read_cases
from harness.suites.runner import SPLIT_SUITE_MODULE

pytestmark = [pytest.mark.kernel_view, pytest.mark.fresh_process]

HOSTILE = """
import itertools
import socket
import time

import openai

from harness.targets.reference import factory as reference

_calls = itertools.count(1)


def hangs_on_fifth_call(provider, base_url, api_key, *, async_client=False):
    # vetting makes calls 1 and 2; the fifth is the third scenario
    if next(_calls) == 5:
        time.sleep(120)
    return reference(provider, base_url, api_key, async_client=async_client)


def _phone_home():
    # every way out the guard covers; each error is swallowed ("try remote config, fall back")
    attempts = [
        lambda: socket.create_connection(("203.0.113.7", 443), timeout=2).close(),
        lambda: socket.getaddrinfo("telemetry.example.com", 443),
        lambda: socket.gethostbyname("metrics.example.com"),
        lambda: socket.getfqdn("198.51.100.9"),
    ]
    for attempt in attempts:
        try:
            attempt()
        except OSError:
            pass
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        try:
            udp.sendto(b"dns?", ("203.0.113.53", 53))
        except OSError:
            pass
    with socket.socket() as raw:
        try:
            raw.connect((b"203.0.113.8", 80))
        except OSError:
            pass


def phones_home_while_building(provider, base_url, api_key, *, async_client=False):
    _phone_home()
    return reference(provider, base_url, api_key, async_client=async_client)


def raises_for_openrouter(provider, base_url, api_key, *, async_client=False):
    if provider == "openrouter":
        raise ValueError("no client for openrouter")
    return reference(provider, base_url, api_key, async_client=async_client)


def phones_home_for_openrouter(provider, base_url, api_key, *, async_client=False):
    if provider == "openrouter":
        _phone_home()
    return reference(provider, base_url, api_key, async_client=async_client)
"""

#: connect()/sendto() to an IPv4 or IPv6 address, as strace prints them.
INET_ADDRESS = re.compile(r'inet_(?:addr|pton)\((?:AF_INET6, )?"(?P<address>[^"]+)"')
SUITE_BOUND_SECONDS = 100


def _inner_pytest(pytester: pytest.Pytester, *args: str) -> list[str]:
    pytester.makepyfile(hostile=HOSTILE, test_inner_split=SPLIT_SUITE_MODULE)
    return [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        f"--junitxml={pytester.path / 'report.xml'}",
        *args,
    ]


def test_factory_that_hangs_fails_one_case_naming_the_phase(pytester: pytest.Pytester) -> None:
    # a short deadline keeps the test quick; the default (10 s) bounds it the same way
    command = _inner_pytest(
        pytester,
        *("--client-factory", "hostile:hangs_on_fifth_call"),
        *("--harness-deadline", "3", "--harness-leak-check"),
    )
    started = time.monotonic()
    result = subprocess.run(
        command,
        cwd=pytester.path,
        capture_output=True,
        text=True,
        timeout=SUITE_BOUND_SECONDS + 60,
        check=False,
    )
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, output
    assert elapsed < SUITE_BOUND_SECONDS, f"{elapsed:.0f} s"
    failed = [c for c in read_cases(pytester.path / "report.xml") if c.outcome == "failed"]
    assert len(failed) == 1, [c.id for c in failed]
    assert "deadline: building the client for " in failed[0].text, failed[0].text
    assert "took over 3 s" in failed[0].text, failed[0].text
    assert "leak check" not in output, "the interrupted factory left something behind"


def _isolated(command: list[str], trace: Path) -> list[str]:
    """``command`` in a new network namespace with only loopback up, under strace (a user
    namespace as well, so it needs no root where unprivileged namespaces are allowed)."""
    inner = " ".join(
        [
            "ip link set lo up &&",
            "exec strace -f -qq -e trace=connect,sendto,sendmsg -o",
            str(trace),
            *(f"'{part}'" for part in command),
        ]
    )
    return ["unshare", "--map-root-user", "--net", "sh", "-c", inner]


def _namespaces_allowed() -> str | None:
    for tool in ("unshare", "strace", "ip"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    probe = subprocess.run(
        ["unshare", "--map-root-user", "--net", "sh", "-c", "ip link set lo up"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    if probe.returncode != 0:
        return f"no network namespace here: {probe.stderr.strip()}"
    return None


def _off_machine(trace: Path) -> list[str]:
    """Every non-loopback address the traced processes tried to reach."""
    found = []
    for line in trace.read_text(encoding="utf-8").splitlines():
        for match in INET_ADDRESS.finditer(line):
            address = match["address"]
            if not (address.startswith("127.") or address == "::1"):
                found.append(line.strip())
    return found


@pytest.mark.parametrize(
    "spec, expected_exit, where",
    [
        ("hostile:phones_home_while_building", pytest.ExitCode.USAGE_ERROR, "vetting"),
        ("hostile:phones_home_for_openrouter", pytest.ExitCode.TESTS_FAILED, "openrouter cases"),
    ],
    ids=["while_vetting", "in_scenarios"],
)
def test_factory_that_phones_home_sends_nothing_and_fails(
    pytester: pytest.Pytester, spec: str, expected_exit: int, where: str
) -> None:
    reason = _namespaces_allowed()
    if reason is not None:
        pytest.skip(reason)
    trace = pytester.path / "strace.txt"
    command = _inner_pytest(pytester, "--client-factory", spec, "-k", "openrouter or api.openai")
    result = subprocess.run(
        _isolated(command, trace),
        cwd=pytester.path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert trace.exists(), f"strace did not run: {output}"
    assert _off_machine(trace) == [], "attempts left the guard"
    assert result.returncode == expected_exit, output
    named = (
        "refusing to connect to 203.0.113.7:443",
        "no origin serves 'telemetry.example.com'",
        "no origin serves 'metrics.example.com'",
        "no reverse lookup of 198.51.100.9",
        "refusing to connect to 203.0.113.53:53",
        "refusing to connect to 203.0.113.8:80",
    )
    if where == "vetting":
        assert all(words in output for words in named), output
        return
    # the scenarios connected to the origins on loopback, and strace saw those connects
    assert "127.0.43." in trace.read_text(encoding="utf-8"), "strace saw no origin connects"
    cases = read_cases(pytester.path / "report.xml")
    failed = {c.id for c in cases if c.outcome == "failed"}
    assert failed and all("openrouter" in case for case in failed), failed
    assert all("openrouter" not in c.id for c in cases if c.outcome == "passed")
    text = next(c.text for c in cases if c.outcome == "failed")
    assert "network egress" in text, text
    assert all(words in text for words in named), text


def test_factory_that_raises_for_one_provider_fails_those_cases_in_diagnose_words(
    pytester: pytest.Pytester,
) -> None:
    command = _inner_pytest(
        pytester,
        "--client-factory",
        "hostile:raises_for_openrouter",
        "-k",
        "openrouter or api.openai",
    )
    result = subprocess.run(
        command, cwd=pytester.path, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout + result.stderr
    cases = read_cases(pytester.path / "report.xml")
    failed = [case for case in cases if case.outcome == "failed"]
    assert failed and all("openrouter" in case.id for case in failed)
    assert all(c.outcome == "passed" for c in cases if "openrouter" not in c.id)
    words = "likely cause: factory raised: ValueError('no client for openrouter')"
    assert all(words in case.text for case in failed), failed[0].text
