"""The Codex edge's identity challenge: what it admits, what it answers, and what it records."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.errors import UsageInputError
from harness.fixtures import FIXTURE_DIR, FixtureError, load_fixture, load_fixtures
from harness.judging.matrix import scenarios
from harness.network.conditions import CONDITION_DIR, load_condition, load_conditions
from harness.network.edge import (
    CHECKS,
    bearer_account,
    parse_demanded,
)
from harness.network.kernel import kernel_view_available
from harness.network.origins import Network
from harness.network.pki import Authority
from harness.variants import own_ssl_context

CONDITION = load_condition(CONDITION_DIR / "codex-edge-challenge.json")
CHALLENGE = CONDITION.challenge
assert CHALLENGE is not None
URL = "https://chatgpt.com/backend-api/codex/responses"
REPORT_BODY = {"model": "gpt-5.4", "input": "hello"}
FIXED = {"originator": "codex_cli_rs", "User-Agent": "codex_cli_rs/0.0.0 (Hermes Agent)"}


def oauth_token(account: str) -> str:
    """A JWT shaped as ChatGPT OAuth access tokens are, naming ``account``."""

    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    claims = {"https://api.openai.com/auth": {"chatgpt_account_id": account}}
    return f"{part({'alg': 'none'})}.{part(claims)}.signature"


@pytest.mark.parametrize(
    ("headers", "refusal"),
    [
        ({}, "no originator header"),
        ({"User-Agent": "OpenAI/Python 2.54.0"}, "no originator header"),
        (
            {"originator": "hermes", "User-Agent": "codex_cli_rs/0.0.0"},
            "originator 'hermes' is not one the edge admits",
        ),
        (
            {"originator": "codex_cli_rs", "User-Agent": "OpenAI/Python 2.54.0"},
            "User-Agent 'OpenAI/Python 2.54.0' is not a Codex client's",
        ),
        ({"originator": "codex_cli_rs"}, "User-Agent '' is not a Codex client's"),
        (FIXED, None),
        ({"Originator": "codex_vscode", "user-agent": "codex_vscode/1.2"}, None),
        ({"originator": "Codex Desktop", "User-Agent": "Codex Desktop/0.1 (Mac)"}, None),
        ({**FIXED, "Authorization": "Bearer sk-not-a-jwt"}, None),
        (
            {**FIXED, "Authorization": f"Bearer {oauth_token('acct-1')}"},
            "no ChatGPT-Account-ID header for a ChatGPT OAuth bearer",
        ),
        (
            {
                **FIXED,
                "Authorization": f"Bearer {oauth_token('acct-1')}",
                "ChatGPT-Account-ID": "x",
            },
            "ChatGPT-Account-ID does not name the bearer's account",
        ),
        ({**FIXED, "Authorization": f"Bearer {oauth_token('a')}", "chatgpt-account-id": "a"}, None),
    ],
)
def test_what_the_edge_admits(headers: dict[str, str], refusal: str | None) -> None:
    assert CHALLENGE.refusal(headers, CHECKS) == refusal


def test_only_the_demanded_checks_are_made() -> None:
    sdk = {"User-Agent": "OpenAI/Python 2.54.0", "Authorization": f"Bearer {oauth_token('a')}"}
    assert CHALLENGE.refusal(sdk, ()) is None
    assert CHALLENGE.refusal(sdk, ("user-agent",)) == (
        "User-Agent 'OpenAI/Python 2.54.0' is not a Codex client's"
    )
    assert CHALLENGE.refusal(sdk, ("chatgpt-account-id",)) == (
        "no ChatGPT-Account-ID header for a ChatGPT OAuth bearer"
    )


def test_the_challenge_covers_the_backend_on_its_hosts_only() -> None:
    assert CHALLENGE.covers("chatgpt.com", "/backend-api/codex/responses")
    assert CHALLENGE.covers("ChatGPT.com:443", "/backend-api/codex")
    assert not CHALLENGE.covers("chatgpt.com", "/backend-api/codexx/responses")
    assert not CHALLENGE.covers("chatgpt.com.example.test", "/backend-api/codex/responses")


@pytest.mark.parametrize(
    ("authorization", "account"),
    [
        (f"Bearer {oauth_token('acct-7')}", "acct-7"),
        (f"bearer {oauth_token('acct-7')}", "acct-7"),
        ("Bearer sk-harness", None),
        ("Bearer a.b.c", None),
        (f"Basic {oauth_token('acct-7')}", None),
        ("", None),
    ],
)
def test_the_account_a_bearer_names(authorization: str, account: str | None) -> None:
    assert bearer_account(authorization) == account


@pytest.mark.parametrize(
    ("value", "demanded"),
    [
        (None, CHECKS),
        ("off", ()),
        (" OFF ", ()),
        ("originator", ("originator",)),
        ("chatgpt-account-id, originator", ("originator", "chatgpt-account-id")),
    ],
)
def test_the_setting(value: str | None, demanded: tuple[str, ...]) -> None:
    assert parse_demanded(value, "--harness-identity") == demanded


@pytest.mark.parametrize("value", ["", "origin", "originator,,user-agent", "on"])
def test_a_bad_setting_is_one_line_naming_the_choices(value: str) -> None:
    with pytest.raises(UsageInputError) as raised:
        parse_demanded(value, "env HARNESS_IDENTITY")
    assert str(raised.value) == (
        f"env HARNESS_IDENTITY: {value!r} is not allowed; expected 'off' or a comma-separated "
        "list of originator, user-agent, chatgpt-account-id, tls-fingerprint"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hosts": []}, "challenge.hosts: expected a non-empty list of strings"),
        ({"hosts": "chatgpt.com"}, "challenge.hosts: expected list, got str"),
        ({"status": 200}, "challenge.status: 200 is not an HTTP error status"),
        ({"status": "403"}, "challenge.status: expected int, got str"),
        ({"html": ""}, "challenge.html: expected the challenge page's HTML"),
        ({"path_prefix": "backend"}, "challenge.path_prefix: expected a path starting with '/'"),
        ({"headers": {"a": 1}}, "challenge.headers: expected an object of strings"),
        ({"colour": "red"}, "challenge.colour: unknown key"),
        ({"originator": ["codex_cli_rs"]}, "challenge.originator: unknown key; did you mean"),
        ({"fingerprints": "t12*"}, "challenge.fingerprints: expected list, got str"),
        ({"fingerprints": ["t13"]}, "challenge.fingerprints[0]: 't13' is not a JA4"),
        ({"fingerprints": []}, "challenge.fingerprints: expected a JA4 or a non-empty list"),
        ({"fingerprints": ["*"]}, "challenge.fingerprints[0]: '*' is not a JA4"),
    ],
)
def test_a_bad_challenge_section_names_the_file_and_its_key(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    data = json.loads((CONDITION_DIR / "codex-edge-challenge.json").read_text())
    data["challenge"].update(change)
    path = tmp_path / "edge.json"
    path.write_text(json.dumps(data))
    with pytest.raises(FixtureError) as raised:
        load_condition(path)
    assert str(raised.value).startswith(f"{path}: {message}")


def test_the_condition_adds_a_row_per_codex_endpoint_and_mode_only() -> None:
    matrix = scenarios(load_fixtures(), load_conditions())
    rows = [s for s in matrix if s.condition.name == CONDITION.name]
    codex = [e for f in load_fixtures() for e in f.endpoints if e.codex]
    assert {(s.endpoint, s.async_client) for s in rows} == {
        (e, mode) for e in codex for mode in (False, True)
    }
    assert len(rows) == 2 * len(codex)


@pytest.fixture
def network(tmp_path: Path) -> Iterator[Network]:
    if not kernel_view_available():
        pytest.skip("Linux kernel view only")
    origin = load_fixture(FIXTURE_DIR / "chatgpt-codex.json")
    with Network([origin], Authority(tmp_path)) as network:
        yield network


def post(network: Network, headers: dict[str, str], *, own_ssl: bool = False) -> httpx.Response:
    with network.reachable():
        verify = own_ssl_context() if own_ssl else True
        with httpx.Client(headers=headers, verify=verify) as client:
            return client.post(URL, json=REPORT_BODY)


def test_under_the_condition_a_request_without_the_headers_gets_the_challenge(
    network: Network,
) -> None:
    mark = network.requests.mark()
    with network.under(CONDITION):
        response = post(network, {"User-Agent": "OpenAI/Python 2.54.0"})
    assert response.status_code == 403
    assert response.headers["cf-mitigated"] == "challenge"
    assert response.headers["content-type"].startswith("text/html")
    assert "Enable JavaScript and cookies to continue" in response.text
    (seen,) = network.requests.since(mark)
    assert seen.challenged == "no originator header"
    assert "identity challenge (no originator header)" in seen.summary()


def test_under_the_condition_a_request_with_the_headers_is_served(network: Network) -> None:
    mark = network.requests.mark()
    with network.under(CONDITION):
        response = post(network, FIXED)
    assert (response.status_code, response.json()) == (400, {"detail": "Input must be a list"})
    (seen,) = network.requests.since(mark)
    assert seen.challenged is None


def test_a_fingerprinted_client_hello_gets_the_challenge_whatever_its_headers(
    network: Network,
) -> None:
    """The identity headers are all there; the connection's ClientHello (TLS 1.2 at most) is
    one the condition lists, so the edge challenges it, and the SDK default's is served."""
    assert CHALLENGE.fingerprints == ("t12*", "t11*", "t10*")
    mark = network.requests.mark()
    with network.under(CONDITION):
        refused = post(network, FIXED, own_ssl=True)
        served = post(network, FIXED)
    assert (refused.status_code, refused.headers["cf-mitigated"]) == (403, "challenge")
    assert served.status_code == 400
    first, second = network.requests.since(mark)
    (observed, _) = network.log.of("chatgpt-codex")[-2:]
    assert observed.ja4 is not None and observed.ja4.startswith("t12")
    assert first.challenged == (
        f"ClientHello JA4 {observed.ja4} is one the edge fingerprints (t12*)"
    )
    assert second.challenged is None


def test_the_fingerprint_check_is_the_adopters_to_drop(network: Network) -> None:
    network.identity_demanded = parse_demanded("originator,user-agent", "test")
    with network.under(CONDITION):
        assert post(network, FIXED, own_ssl=True).status_code == 400
    network.identity_demanded = parse_demanded("tls-fingerprint", "test")
    with network.under(CONDITION):
        assert post(network, {}, own_ssl=True).status_code == 403
        assert post(network, {}).status_code == 400


def test_outside_the_condition_or_with_nothing_demanded_nothing_is_challenged(
    network: Network,
) -> None:
    assert post(network, {}).status_code == 400
    network.identity_demanded = ()
    with network.under(CONDITION):
        assert post(network, {}).status_code == 400
    assert all(seen.challenged is None for seen in network.requests.since())
