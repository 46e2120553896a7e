"""Factories that hang, end their process, fight the clock, leave processes behind or phone home
cannot hang the gate, make it look green, or reach the network: each fails exactly its own cases.

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

from harness.judging.junit import read_cases
from harness.suites.runner import SPLIT_SUITE_MODULE

pytestmark = [pytest.mark.kernel_view, pytest.mark.fresh_process]

HOSTILE = """
import atexit
import os
import signal
import socket
import subprocess
import sys
import threading

import openai

from harness.targets.reference import factory as reference


def _block_forever():
    # waits in C on a pipe nobody writes to: only the end of the process ends it
    read_end, _write_end = os.pipe()
    os.read(read_end, 1)


def hangs_for_openrouter_sync(provider, base_url, api_key, *, async_client=False):
    if provider == "openrouter" and not async_client:
        _block_forever()
    return reference(provider, base_url, api_key, async_client=async_client)


def _swallow_alarm(signum, frame):
    pass


def misbehaves(provider, base_url, api_key, *, async_client=False):
    # one misbehaviour per endpoint and mode (see EXPECTED in the test module)
    if "openrouter.ai" in base_url:
        if async_client:
            sys.exit(3)
        os._exit(0)
    if "localhost:11434" in base_url:
        if async_client:  # SIGALRM masked, then blocked in C
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            _block_forever()
        else:  # its own SIGALRM handler and interval timer, as library timeouts do
            signal.signal(signal.SIGALRM, _swallow_alarm)
            signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
            _block_forever()  # the handler runs every 50 ms; the read resumes each time
    if "llm.example.test" in base_url:
        if async_client:
            os.kill(os.getpid(), signal.SIGSEGV)
        subprocess.Popen(["sleep", "60"], start_new_session=True)
    if "codex.example.test" in base_url:
        if async_client:  # a thread that reaches out while the case runs
            thread = threading.Thread(target=_phone_home)
            thread.start()
            thread.join()
        else:  # an exit hook that reaches out when the process ends
            atexit.register(_phone_home)
    if "gateway.example.test/v1" in base_url:  # changes the environment for whoever comes next
        os.environ["REQUEST_METHOD"] = "GET"
        os.environ["HTTP_PROXY"] = "http://127.0.0.1:9"
    return reference(provider, base_url, api_key, async_client=async_client)


def exits_while_vetted(provider, base_url, api_key, *, async_client=False):
    os._exit(0)


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

#: The OpenRouter and api.openai.com cases, each in a fresh process (the long-lived rows ask
#: one process for OpenRouter's client too, so they would fail with it).
PER_SCENARIO = "(openrouter or api.openai) and not long-lived"

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


def test_factory_that_hangs_fails_its_cases_naming_the_phase(pytester: pytest.Pytester) -> None:
    # a short deadline keeps the test quick; the default (10 s) bounds it the same way
    command = _inner_pytest(
        pytester,
        *("--client-factory", "hostile:hangs_for_openrouter_sync"),
        *("--harness-deadline", "3", "--harness-leak-check"),
        *("-k", "openrouter and direct-models"),
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
    cases = read_cases(pytester.path / "report.xml")
    failed = [c for c in cases if c.outcome == "failed"]
    assert [c.id for c in failed] == [c.id for c in cases if "-sync-" in c.id], [
        c.id for c in cases
    ]
    assert "deadline: building the client for " in failed[0].text, failed[0].text
    assert "took over 3 s" in failed[0].text, failed[0].text
    assert all(c.time < 3 + 1 for c in failed), [c.time for c in failed]
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
    command = _inner_pytest(pytester, "--client-factory", spec, "-k", PER_SCENARIO)
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
        PER_SCENARIO,
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


#: What ``hostile:misbehaves`` must fail, per endpoint and mode, in the cause's words; every other
#: case (the Codex endpoints, api.openai.com, gateway.example.test) must pass.
EXPECTED = {
    ("openrouter@", "-sync-"): "process ended: the factory ended the process (exit code 0) while "
    "building the client",
    ("openrouter@", "-async-"): "process ended: the factory ended the process (exit code 3) while "
    "building the client",
    ("localhost:11434", "-sync-"): "deadline: building the client for ",
    ("localhost:11434", "-async-"): "deadline: building the client for ",
    ("llm.example.test", "-sync-"): "process outlived its case: still running when the scenario "
    "ended (ended by the harness): pid ",
    ("llm.example.test", "-async-"): "process ended: the factory ended the process (killed by "
    "SIGSEGV)",
    ("codex.example.test", "-sync-"): "network egress: harness routing: refusing to connect to "
    "203.0.113.7:443",
    ("codex.example.test", "-async-"): "network egress: harness routing: refusing to connect to "
    "203.0.113.7:443",
}
DEADLINE_SECONDS = 2


def _expected(case_id: str) -> str | None:
    for (endpoint, mode), words in EXPECTED.items():
        if endpoint in case_id and mode in case_id:
            return words
    return None


def _sleepers() -> set[int]:
    """Every ``sleep 60`` on the machine (the one the factory starts must not outlive its case)."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes() == b"sleep\x0060\x00":
                found.add(int(entry.name))
        except OSError:
            continue
    return found


def test_each_misbehaviour_fails_exactly_its_own_cases_and_the_run_exits_1(
    pytester: pytest.Pytester,
) -> None:
    """Exit codes 0 and 3, a signal, its own SIGALRM timer, SIGALRM masked while blocked in C,
    a process left running in a session of its own, a thread and an exit hook phoning home, an
    environment changed for the next case: each fails its own cases, naming it, within the
    deadline + 1 s, and the JUnit file is written. Inside a network namespace with only loopback
    up when the machine allows one, under strace, so nothing can leave even if the guard broke."""
    before = _sleepers()
    command = _inner_pytest(
        pytester,
        *("--client-factory", "hostile:misbehaves"),
        *("--harness-deadline", str(DEADLINE_SECONDS), "--harness-leak-check"),
        *("-k", "direct-models or direct-report"),
    )
    trace = pytester.path / "strace.txt"
    isolated = _namespaces_allowed() is None
    result = subprocess.run(
        _isolated(command, trace) if isolated else command,
        cwd=pytester.path,
        capture_output=True,
        text=True,
        timeout=SUITE_BOUND_SECONDS + 60,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, output
    if isolated:
        assert _off_machine(trace) == [], "attempts left the guard"
    cases = read_cases(pytester.path / "report.xml")
    matrix = [c for c in cases if "test_scenario" in c.id]
    assert len(matrix) > 20, [c.id for c in cases]
    for case in cases:
        words = _expected(case.id)
        if words is None:
            assert case.outcome == "passed", (case.id, case.text)
        else:
            assert case.outcome == "failed", case.id
            assert words in case.text, (case.id, case.text)
            assert case.time < DEADLINE_SECONDS + 1, (case.id, case.time)
    assert _sleepers() <= before, "the factory's sleep 60 outlived its case"
    assert "leak check" not in output, output


def test_factory_that_ends_its_process_while_vetted_is_a_usage_error(
    pytester: pytest.Pytester,
) -> None:
    command = _inner_pytest(pytester, "--client-factory", "hostile:exits_while_vetted")
    result = subprocess.run(
        command, cwd=pytester.path, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "hostile:exits_while_vetted" in result.stderr, result.stderr
    assert "ended the process (exit code 0) while building the client" in result.stderr
