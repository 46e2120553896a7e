"""Record → fixture → replay gives the same outcomes, and nothing secret is ever written."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest

from conftest import RunCli
from harness.cli import main
from harness.errors import UsageInputError
from harness.fixtures import FIXTURE_DIR, load_fixture
from harness.network.origins import Network
from harness.record import CREDENTIAL_VARIABLES, record
from harness.redact import REDACTED, find_credentials, redact_headers, redact_json
from harness.repro import run_repro
from harness.sandbox.calls import REPORT_PAYLOAD

SECRET = "sk-harnesstest0123456789abcdefSECRET"
URL = "https://chatgpt.com/backend-api/codex/responses"


@pytest.fixture
def recorded(
    harness_network: Network, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> tuple[dict[str, object], Path]:
    monkeypatch.setenv("HARNESS_RECORD_BEARER", SECRET)
    mark = harness_network.log.mark()
    with harness_network.reachable():
        fixture = record(
            URL,
            ["default", "keepalive", "proxy"],
            method="POST",
            payload={**REPORT_PAYLOAD, "account_id": "acct_123", "note": f"Bearer {SECRET}"},
            proxy=harness_network.proxy.url,
        )
    # the origin really saw each variant: direct without keepalive, direct with, via the proxy
    seen = harness_network.log.of("chatgpt-codex", mark)
    assert [(o.direct, o.keepalive.armed, o.action) for o in seen] == [
        (True, False, "serve"),
        (True, True, "reset"),
        (False, False, "serve"),
    ]
    path = tmp_path / "recorded.json"
    path.write_text(json.dumps(fixture, indent=2))
    return fixture, path


def test_record_captures_outcomes_and_infers_the_rule(
    recorded: tuple[dict[str, object], Path],
) -> None:
    fixture, _ = recorded
    report = fixture["report"]
    assert isinstance(report, dict)
    outcomes = report["outcomes"]
    error = outcomes["keepalive"].pop("error")
    assert outcomes == {
        "default": {"status": 400, "body": {"detail": "Input must be a list"}},
        "keepalive": {"errno": "ECONNRESET"},
        "proxy": {"status": 400, "body": {"detail": "Input must be a list"}},
    }
    assert "ConnectError" in error and "Connection reset by peer" in error
    assert fixture["faults"] == [{"when": "keepalive", "action": "reset"}]


def test_recorded_fixture_holds_no_credential(recorded: tuple[dict[str, object], Path]) -> None:
    _, path = recorded
    text = path.read_text()
    assert SECRET not in text
    assert "acct_123" not in text
    assert find_credentials(text) == []
    assert REDACTED in text


def test_replay_gives_the_recorded_outcomes(recorded: tuple[dict[str, object], Path]) -> None:
    _, path = recorded
    replay = run_repro(load_fixture(path))
    assert replay.ok, [(v.variant, v.line, v.expected) for v in replay.variants]
    assert [v.variant for v in replay.variants] == ["default", "keepalive", "proxy"]


def test_redaction_rules() -> None:
    headers = redact_headers({"Authorization": "Bearer abc", "Cookie": "a=b", "Accept": "x"})
    assert headers == {"Authorization": REDACTED, "Cookie": REDACTED, "Accept": "x"}
    body = redact_json({"session_token": "t", "items": [{"api_key": "k"}, f"key {SECRET}"]})
    assert body == {"session_token": REDACTED, "items": [{"api_key": REDACTED}, f"key {REDACTED}"]}


def test_no_fixture_file_contains_a_credential() -> None:
    files = sorted(FIXTURE_DIR.rglob("*.json"))
    assert files
    found = {str(path): find_credentials(path.read_text()) for path in files}
    assert {path: hits for path, hits in found.items() if hits} == {}


def test_credential_scan_finds_what_it_must() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2ln"
    assert find_credentials(f"key {SECRET} and {jwt}") == [SECRET, jwt]
    assert find_credentials(f"Authorization: Bearer {REDACTED}") == []


def test_record_cli_refuses_proxy_variant_without_proxy(run_cli: RunCli) -> None:
    result = run_cli(
        "record",
        "https://127.0.0.1:9/",
        *("--variant", "proxy", "--anonymous"),
        unset=("https_proxy", "all_proxy"),
    )
    assert result.returncode == 2
    assert "variant 'proxy' needs a proxy URL" in result.stderr


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def _backend_requests(network: Network, origin: str) -> list[Any]:
    return [request for request, _ in network.origin(origin).backend.log]


@pytest.mark.usefixtures("no_credentials")
def test_record_refuses_without_credentials_and_sends_nothing(harness_network: Network) -> None:
    mark = harness_network.log.mark()
    before = len(_backend_requests(harness_network, "chatgpt-codex"))
    with harness_network.reachable(), pytest.raises(UsageInputError) as caught:
        record(URL, ["default"], method="POST", payload=REPORT_PAYLOAD)
    assert str(caught.value) == (
        "record: no credentials: set HARNESS_RECORD_BEARER or OPENAI_API_KEY, "
        "or pass --anonymous to record without any"
    )
    assert harness_network.log.of("chatgpt-codex", mark) == []
    assert len(_backend_requests(harness_network, "chatgpt-codex")) == before


@pytest.mark.parametrize("anonymous", [False, True], ids=["with-credentials", "anonymous"])
def test_anonymous_sends_no_credentials_even_when_set(
    harness_network: Network, monkeypatch: pytest.MonkeyPatch, anonymous: bool
) -> None:
    monkeypatch.setenv("HARNESS_RECORD_BEARER", SECRET)
    before = len(_backend_requests(harness_network, "chatgpt-codex"))
    with harness_network.reachable():
        fixture = record(
            URL, ["default"], method="POST", payload=REPORT_PAYLOAD, anonymous=anonymous
        )
    sent = [
        r.headers.get("Authorization") for r in _backend_requests(harness_network, "chatgpt-codex")
    ]
    assert sent[before:] == [None if anonymous else f"Bearer {SECRET}"]
    recorded_headers = fixture["report"]["request"]["headers"]
    assert recorded_headers == ({} if anonymous else {"Authorization": REDACTED})


NOT_URLS = {
    "no scheme": ("not-a-url", "'not-a-url' is not an http:// or https:// URL"),
    "ftp": ("ftp://x", "'ftp://x' is not an http:// or https:// URL"),
    "no host": ("https://", "'https://' has no host"),
    "no host, path only": ("https:///v1/models", "'https:///v1/models' has no host"),
    "space in the host": (
        "https://exa mple.com/v1",
        "'https://exa mple.com/v1' holds whitespace or a control character",
    ),
    "underscore host": (
        "https://exa_mple.com/v1",
        "'https://exa_mple.com/v1': 'exa_mple.com' is not a host name: label 'exa_mple'",
    ),
    "bad port": ("https://chatgpt.com:99999/", "'https://chatgpt.com:99999/': Port out of range"),
    "credentials in the URL": (
        "https://user:pw@chatgpt.com/backend-api/codex",
        "https://...@chatgpt.com: credentials come from HARNESS_RECORD_BEARER or OPENAI_API_KEY",
    ),
}


@pytest.mark.parametrize("url, message", NOT_URLS.values(), ids=list(NOT_URLS))
def test_record_refuses_what_is_not_an_http_url(
    harness_network: Network, monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.setenv("HARNESS_RECORD_BEARER", SECRET)
    mark = harness_network.log.mark()
    with harness_network.reachable(), pytest.raises(UsageInputError) as caught:  # routed: a
        record(url, ["default", "keepalive"])  # broken check still meets loopback only
    assert str(caught.value).startswith(f"record: {message}")
    assert "pw" not in str(caught.value)
    assert harness_network.log.of("chatgpt-codex", mark) == []


BAD_OPTIONS = {
    "method with a space": (
        {"method": "GE T"},
        "method 'GE T' is not an HTTP method token",
    ),
    "proxy not a URL": (
        {"variants": ["proxy"], "proxy": "not a url"},
        "proxy 'not a url' is not an http://, https://, socks5:// or socks5h:// URL",
    ),
    "proxy without a host": (
        {"variants": ["proxy"], "proxy": "http://:3128"},
        "proxy 'http://:3128' has no host",
    ),
    "no proxy for an https URL": (
        {"variants": ["proxy"], "proxy": None},
        "variant 'proxy' needs a proxy URL: --proxy, HTTPS_PROXY or ALL_PROXY (the variables "
        "for https:// URLs)",
    ),
}


@pytest.mark.parametrize("options, message", BAD_OPTIONS.values(), ids=list(BAD_OPTIONS))
def test_record_refuses_bad_options_before_any_request(
    harness_network: Network, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any], message: str
) -> None:
    monkeypatch.setenv("HARNESS_RECORD_BEARER", SECRET)
    options = {"variants": ["default"], **options}
    mark = harness_network.log.mark()
    with harness_network.reachable(), pytest.raises(UsageInputError) as caught:
        record(URL, options.pop("variants"), **options)
    assert str(caught.value).startswith(f"record: {message}")
    assert harness_network.log.of("chatgpt-codex", mark) == []


def test_a_socks_proxy_without_socksio_is_refused_naming_the_package(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """Run where socksio cannot be imported (a module of that name first on the path refuses to
    load, as an environment without it would), whether or not this one has it."""
    (tmp_path / "socksio.py").write_text("raise ImportError('socksio is not installed here')\n")
    result = run_cli(
        "record",
        "https://127.0.0.1:9/",
        *("--variant", "proxy", "--proxy", "socks5://127.0.0.1:1080", "--anonymous"),
        env={
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])
            )
        },
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: record: proxy 'socks5://127.0.0.1:1080': httpx needs the socksio package for "
        "SOCKS proxies: pip install 'httpx[socks]'"
    ]


def test_record_cli_names_the_variables_for_a_plain_http_url(run_cli: RunCli) -> None:
    result = run_cli(
        "record",
        "http://127.0.0.1:9/",
        *("--variant", "proxy", "--anonymous"),
        unset=("http_proxy", "https_proxy", "all_proxy"),
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: record: variant 'proxy' needs a proxy URL: --proxy, HTTP_PROXY or ALL_PROXY "
        "(the variables for http:// URLs), unless NO_PROXY exempts the host"
    ]


def test_record_refuses_a_bad_fixture_name(
    harness_network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_RECORD_BEARER", SECRET)
    mark = harness_network.log.mark()
    with (
        harness_network.reachable(),  # routed, so a broken check still meets loopback only
        pytest.raises(UsageInputError, match="fixture name 'My Origin': use lowercase"),
    ):
        record(URL, ["default"], name="My Origin")
    assert harness_network.log.of("chatgpt-codex", mark) == []


def _outcomes(fixture: dict[str, Any]) -> dict[str, Any]:
    report = fixture["report"]
    assert isinstance(report, dict)
    return dict(report["outcomes"])


@pytest.mark.usefixtures("no_credentials")
def test_unresolvable_host_is_recorded_by_its_resolver_code(
    harness_network: Network, tmp_path: Path
) -> None:
    # routing answers an unrouted name with EAI_NONAME: no real DNS query is made
    with harness_network.reachable():
        fixture = record(
            "https://nowhere.invalid/v1/models", ["default", "keepalive"], anonymous=True
        )
    outcomes = _outcomes(fixture)
    assert {variant: o["errno"] for variant, o in outcomes.items()} == {
        "default": "EAI_NONAME",
        "keepalive": "EAI_NONAME",
    }
    for outcome in outcomes.values():
        assert "no origin serves 'nowhere.invalid'" in outcome["error"]
    assert fixture["faults"] == [] and fixture["replies"] == []
    path = tmp_path / "recorded.json"
    path.write_text(json.dumps(fixture))
    report = load_fixture(path).report
    assert report is not None
    assert report.outcomes["default"].errno == "EAI_NONAME"


@pytest.mark.usefixtures("no_credentials")
def test_resolver_failure_is_named_by_its_own_code(
    harness_network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    def lookup_fails(*args: object, **kwargs: object) -> list[Any]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    # inside routing, so connects stay guarded; undone before routing restores the real resolver
    with harness_network.reachable(), monkeypatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", lookup_fails)
        fixture = record("https://api.example.com/v1/models", ["default"], anonymous=True)
    (outcome,) = _outcomes(fixture).values()
    assert outcome["errno"] == "EAI_AGAIN"
    assert "Temporary failure in name resolution" in outcome["error"]


@pytest.mark.usefixtures("no_credentials")
def test_record_cli_passes_anonymous_through(harness_network: Network, tmp_path: Path) -> None:
    path = tmp_path / "recorded.json"
    argv = ["record", "https://nowhere.invalid/", "--variant", "default", "--anonymous"]
    with harness_network.reachable():
        assert main([*argv, "--output", str(path)]) == 0
    outcomes = json.loads(path.read_text())["report"]["outcomes"]
    assert outcomes["default"]["errno"] == "EAI_NONAME"
