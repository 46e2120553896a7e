"""Where the request went is judged: SNI and Host must name the endpoint's host, and each path lie
under its base path; anything else fails with a cause of its own, naming what arrived."""

from __future__ import annotations

import dataclasses
import json

import diagnose_factories
import pytest

from harness.fixtures import Endpoint, load_fixtures
from harness.judging import causes
from harness.judging.diagnose import diagnose
from harness.judging.drive import Result, Subject
from harness.judging.expectation import KeepaliveExpectation
from harness.judging.matrix import Scenario
from harness.judging.verdicts import CAUSE_WRONG_HOST, CAUSE_WRONG_PATH, judge
from harness.network.conditions import DIRECT
from harness.network.kernel import KeepaliveState
from harness.network.observations import Observation, RequestSeen
from harness.redact import REDACTED
from harness.sandbox.calls import API_KEY, Call
from harness.sandbox.outcomes import Outcome
from harness.sandbox.pool import Sandbox
from harness.targets import reference

OPENAI = Endpoint("openai", "https://api.openai.com/v1/", codex=False, origin="api-openai")
ARMED = KeepaliveState(True, 30, "sock_diag")


def served(sni: str, host: str, path: str) -> Result:
    seen = Observation(
        "api-openai",
        ("127.0.0.1", 5),
        ("127.0.43.1", 443),
        True,
        sni,
        ("http/1.1",),
        ARMED,
        True,
        "serve",
        "serve",
        0.1,
    )
    request = RequestSeen("api-openai", "GET", host, path)
    outcome = Outcome(status=200, body=["gpt-4o-mini"])
    return Result(OPENAI, Call.MODELS, False, outcome, (seen,), requests=(request,))


def verdict(result: Result) -> tuple[bool, str | None, str | None]:
    scenario = Scenario(OPENAI, False, Call.MODELS, DIRECT)
    found = judge(result, scenario.expectation(KeepaliveExpectation(30), None))
    return found.ok, found.kind, found.cause


@pytest.mark.parametrize(
    ("sni", "host", "path"),
    [
        ("api.openai.com", "api.openai.com", "/v1/models"),
        ("API.OpenAI.com.", "api.openai.com:443", "/v1/models"),
        ("api.openai.com", "api.openai.com", "/v1/deeper/models"),
    ],
)
def test_the_endpoints_own_host_and_path_pass(sni: str, host: str, path: str) -> None:
    assert verdict(served(sni, host, path)) == (True, None, None)


def test_another_sni_is_a_wrong_host() -> None:
    ok, kind, cause = verdict(served("api.openai.com.example.test", "api.openai.com", "/v1/models"))
    assert (ok, kind) == (False, CAUSE_WRONG_HOST)
    assert cause == (
        "wrong host: the TLS handshake named 'api.openai.com.example.test', "
        "expected 'api.openai.com'"
    )


def test_another_host_header_is_a_wrong_host() -> None:
    ok, kind, cause = verdict(served("api.openai.com", "gateway.example.test", "/v1/models"))
    assert (ok, kind) == (False, CAUSE_WRONG_HOST)
    assert "carried Host 'gateway.example.test'" in (cause or "")


@pytest.mark.parametrize("path", ["/models", "/v10/models", "/api/v1/models"])
def test_a_path_outside_the_base_path_is_a_wrong_path(path: str) -> None:
    ok, kind, cause = verdict(served("api.openai.com", "api.openai.com", path))
    assert (ok, kind) == (False, CAUSE_WRONG_PATH)
    assert cause == f"wrong path: GET {path} is not under the endpoint's base path '/v1/'"


def test_a_client_for_a_sibling_host_behind_the_same_origin_fails_wrong_host(
    harness_sandbox: Sandbox,
) -> None:
    """The origin serves both names, so only SNI and Host tell the rows of the endpoint whose
    client went to its sibling from the others."""
    fixtures = [f for f in load_fixtures() if f.name == "custom-https"]
    subject = Subject.of(harness_sandbox, diagnose_factories.sibling_host)
    found = diagnose(subject, fixtures, [], select=lambda s: s.label == DIRECT.name)
    failed = {row.endpoint for row in found.rows if not row.ok}
    assert failed == {"custom@https://codex.example.test/v1"}, failed
    wrong = [row for row in found.rows if not row.ok]
    assert {row.kind for row in wrong} == {CAUSE_WRONG_HOST}
    assert all(
        "named 'llm.example.test', expected 'codex.example.test'" in (row.cause or "")
        for row in wrong
    ), wrong[0].cause


def test_the_origin_records_the_headers_sent_with_credentials_redacted(
    harness_sandbox: Sandbox,
) -> None:
    """What the client sent, as the origin received it: in the row, its JSON and the failure
    message; the API key never, in any of them."""
    fixtures = [f for f in load_fixtures() if f.name == "chatgpt-codex"]
    found = diagnose(
        Subject.of(harness_sandbox, reference.factory),
        fixtures,
        [],
        select=lambda s: s.label == DIRECT.name and s.mode == "sync",
    )
    served = [row for row in found.rows if row.request_headers]
    assert served, "no row reached the backend"
    headers = dict(served[0].request_headers)
    assert headers["Authorization"] == REDACTED
    # the reference's Codex client names itself as a Codex client (the edge's identity check)
    assert headers["User-Agent"].startswith("codex_cli_rs/")
    assert headers["Originator"] == "codex_cli_rs"
    assert headers["Host"] == "chatgpt.com"
    assert served[0].ja4 is not None and served[0].ja4.startswith("t13d")
    assert f"ja4 {served[0].ja4}" in served[0].observed
    document = json.dumps(found.as_json())
    assert API_KEY not in document
    assert ["Authorization", REDACTED] in json.loads(document)["rows"][0]["request_headers"]


def test_a_failure_message_names_the_request_and_its_headers() -> None:
    request = RequestSeen(
        "api-openai",
        "GET",
        "api.openai.com",
        "/models",
        (("Host", "api.openai.com"), ("Authorization", REDACTED)),
    )
    result = dataclasses.replace(
        served("api.openai.com", "api.openai.com", "/models"), requests=(request,)
    )
    scenario = Scenario(OPENAI, False, Call.MODELS, DIRECT)
    found = judge(result, scenario.expectation(KeepaliveExpectation(30), None))
    assert not found.ok
    message = found.explain(result)
    assert (
        f"  request: GET api.openai.com/models with headers Host: api.openai.com, "
        f"Authorization: {REDACTED}"
    ) in message.splitlines()


JA4 = "t13d1812h1_85036bcba153_d41ae481755e"


@pytest.mark.parametrize(
    ("ja4", "cause"),
    [
        (JA4, None),
        ("t12d0805h1_3e1c6e3ba1c5_d41ae481755e", "JA4 t12d0805h1_3e1c6e3ba1c5_d41ae481755e, the"),
        (None, "JA4 unreadable, the"),
    ],
    ids=["the same", "another", "unreadable"],
)
def test_a_client_hello_is_judged_only_when_its_ja4_is_the_expected_one(
    ja4: str | None, cause: str | None
) -> None:
    """A ClientHello the gate could not read cannot be shown to match, so it fails too."""
    result = served("api.openai.com", "api.openai.com", "/v1/models")
    observation = dataclasses.replace(result.observations[0], ja4=ja4)
    result = dataclasses.replace(result, observations=(observation,))
    scenario = Scenario(OPENAI, False, Call.MODELS, DIRECT)
    expect = scenario.expectation(KeepaliveExpectation(30), None)
    found = judge(result, dataclasses.replace(expect, client_hello=JA4))
    assert found.ok is (cause is None), found
    if cause is not None:
        assert found.kind == causes.CLIENT_HELLO
        assert cause in (found.cause or "")
