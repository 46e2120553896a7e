"""A hostile caller environment changes no outcome of the split suite.

Developers and CI machines often export proxy and CA variables. A harness that let them reach the
client under test would judge the caller's shell, not the factory: a stray HTTPS_PROXY would turn a
keepalive check into a proxy error, a corporate SSL_CERT_FILE into a trust failure. The suite runs
in fresh processes, clean and with every such variable set against it, and must give the same
verdict for every test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trustme

from harness.environ import CA_VARIABLES, PROXY_VARIABLES
from harness.suites.runner import run_split_suite

pytestmark = [pytest.mark.kernel_view, pytest.mark.fresh_process]

REFERENCE = "harness.targets.reference:factory"
#: Loopback port 9 (discard) has no listener: a proxy that leaks fails at once, on this machine.
REFUSING_PROXY = "http://127.0.0.1:9"

#: Records, in the inner process, what it was given, so a test cannot pass by the variables never
#: arriving there.
CONFTEST = f"""
import json
import os

NAMES = {sorted(set(CA_VARIABLES) | set(PROXY_VARIABLES) | {"Https_Proxy", "REQUEST_METHOD"})!r}


def pytest_configure(config):
    with open("environ-seen.json", "w", encoding="utf-8") as seen:
        json.dump({{name: os.environ.get(name) for name in NAMES}}, seen)
"""


def wrong_but_valid(tmp_path: Path) -> dict[str, str]:
    """What a corporate machine exports: a proxy setting and a real CA bundle, neither of them
    the harness's (a leaked proxy is refused; a leaked bundle does not trust the session CA)."""
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA(organization_name="not-the-harness").cert_pem.write_to_path(str(other_ca))
    empty_dir = tmp_path / "empty-ca-dir"
    empty_dir.mkdir()
    proxies = {name: REFUSING_PROXY for name in PROXY_VARIABLES if "no_proxy" not in name.lower()}
    return {
        **proxies,
        "NO_PROXY": "*.invalid,example.org",
        "no_proxy": "*.invalid,example.org",
        "SSL_CERT_FILE": str(other_ca),
        "SSL_CERT_DIR": str(empty_dir),
        "REQUESTS_CA_BUNDLE": str(other_ca),
        "CURL_CA_BUNDLE": str(other_ca),
        "HTTPX_SSL_CERT_FILE": str(other_ca),
        # mixed case is read by urllib and httpx alike; a CGI variable turns HTTP_PROXY off
        "Https_Proxy": REFUSING_PROXY,
        "REQUEST_METHOD": "GET",
    }


def junk(tmp_path: Path) -> dict[str, str]:
    """Values no client can use: a PEM file that is not a certificate, paths that do not exist, a
    socks proxy (httpx needs an extra for it) and a proxy URL without a scheme."""
    garbage = tmp_path / "junk-ca.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    return {
        "HTTPS_PROXY": "socks5://127.0.0.1:9",
        "https_proxy": "junk",
        "HTTP_PROXY": "junk",
        "http_proxy": "socks5://127.0.0.1:9",
        "ALL_PROXY": "socks5://127.0.0.1:9",
        "all_proxy": "junk",
        "NO_PROXY": ",,*.invalid,[::junk",
        "no_proxy": "junk..,:0",
        "SSL_CERT_FILE": str(garbage),
        "SSL_CERT_DIR": str(tmp_path / "no-such-ca-dir"),
        "REQUESTS_CA_BUNDLE": str(garbage),
        "CURL_CA_BUNDLE": str(tmp_path / "no-such-bundle.pem"),
        "HTTPX_SSL_CERT_FILE": str(garbage),
        "Https_Proxy": "socks5://127.0.0.1:9",
        "REQUEST_METHOD": "POST",
    }


def run_split(pytester: pytest.Pytester, name: str) -> tuple[dict[str, str], dict[str, str | None]]:
    """Run the split suite against the reference factory in a fresh process; per-test outcomes and
    the environment the process saw.

    The derandomized ``harness-ci`` profile gives every run the same generated spellings, so the
    environment is the only thing that differs.
    """
    pytester.makeconftest(CONFTEST)
    report = pytester.path / f"{name}.xml"
    args = (
        "--client-factory",
        REFERENCE,
        "--hypothesis-profile=harness-ci",
        "--harness-leak-check",
    )
    outcomes = {case.id: case.outcome for case in run_split_suite(pytester, report, *args)}
    seen = json.loads((pytester.path / "environ-seen.json").read_text(encoding="utf-8"))
    return outcomes, seen


def set_all(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for variable, value in values.items():
        monkeypatch.setenv(variable, value)  # the subprocess inherits os.environ


def test_wrong_proxy_and_ca_variables_change_no_outcome(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for variable in (*PROXY_VARIABLES, *CA_VARIABLES):
        monkeypatch.delenv(variable, raising=False)
    clean, clean_seen = run_split(pytester, "clean")
    assert set(clean_seen.values()) == {None}, clean_seen

    hostile = wrong_but_valid(tmp_path)
    set_all(monkeypatch, hostile)
    dirty, dirty_seen = run_split(pytester, "hostile")
    assert dirty_seen == hostile

    assert clean, "the split suite collected nothing"
    assert set(clean.values()) == {"passed"}, clean
    changed = {test: (clean.get(test), dirty.get(test)) for test in clean.keys() | dirty.keys()}
    assert {test: pair for test, pair in changed.items() if pair[0] != pair[1]} == {}


def test_junk_proxy_and_ca_variables_change_no_outcome(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The clean run of the test above passes everything, so this run must pass everything too."""
    hostile = junk(tmp_path)
    set_all(monkeypatch, hostile)
    dirty, dirty_seen = run_split(pytester, "junk")
    assert dirty_seen == hostile
    assert dirty, "the split suite collected nothing"
    assert set(dirty.values()) == {"passed"}, dirty
