"""``diagnose`` passes the reference, and names the cause for each known-bad factory."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
from collections.abc import Callable

import certifi
import httpx
import openai
import pytest

from harness.conditions import load_conditions
from harness.diagnose import Diagnosis, diagnose, render
from harness.fixtures import load_fixtures
from harness.targets import proxyless, reference, regressed


def untrusting(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    """The reference, except that the Codex client trusts certifi's bundle, not SSL_CERT_FILE."""
    if not reference.is_codex_backend(provider, base_url):
        return reference.factory(provider, base_url, api_key, async_client=async_client)
    if async_client:
        client = httpx.AsyncClient(verify=ssl.create_default_context(cafile=certifi.where()))
        return openai.AsyncOpenAI(api_key=api_key, base_url=base_url, http_client=client)
    sync = httpx.Client(verify=ssl.create_default_context(cafile=certifi.where()))
    return openai.OpenAI(api_key=api_key, base_url=base_url, http_client=sync)


FACTORIES: dict[str, Callable[..., object]] = {
    "reference": reference.factory,
    "regressed": regressed.factory,
    "proxyless": proxyless.factory,
    "untrusting": untrusting,
}


@pytest.fixture(scope="module")
def diagnoses() -> dict[str, Diagnosis]:
    fixtures, conditions = load_fixtures(), load_conditions()
    return {name: diagnose(name, f, fixtures, conditions) for name, f in FACTORIES.items()}


def test_reference_is_clean(diagnoses: dict[str, Diagnosis]) -> None:
    result = diagnoses["reference"]
    assert result.ok, render(result)
    assert {row.condition for row in result.rows} == {"direct", "https-proxy", "proxy-only"}
    assert {row.mode for row in result.rows} == {"sync", "async"}


@pytest.mark.parametrize(
    "name, cause",
    [
        ("regressed", "keepalive-sensitive origin"),
        ("proxyless", "proxy bypass"),
        ("untrusting", "TLS trust"),
    ],
)
def test_known_bad_factory_is_named(diagnoses: dict[str, Diagnosis], name: str, cause: str) -> None:
    result = diagnoses[name]
    assert not result.ok
    assert list(result.causes()) == [cause], render(result)
    assert cause in render(result)


def test_regressed_fails_only_direct_codex_rows(diagnoses: dict[str, Diagnosis]) -> None:
    failed = {(row.endpoint, row.condition) for row in diagnoses["regressed"].rows if not row.ok}
    assert failed
    assert all("chatgpt.com" in endpoint.lower() for endpoint, _ in failed)
    assert {condition for _, condition in failed} == {"direct"}


def test_json_report_round_trips(diagnoses: dict[str, Diagnosis]) -> None:
    report = json.loads(json.dumps(diagnoses["regressed"].as_json()))
    assert report["ok"] is False
    assert report["causes"] == {"keepalive-sensitive origin": report["failed"]}
    assert len(report["rows"]) == report["total"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "harness", "diagnose", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_cli_exit_codes() -> None:
    good = cli("--json", "harness.targets.reference:factory")
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["ok"] is True
    missing = cli("harness.targets.nope:factory")
    assert missing.returncode == 2
    assert "cannot import harness.targets.nope" in missing.stderr
