"""Trust comes from the environment the harness sets, and everything it set is put back."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from harness.environ import CA_VARIABLES, scoped_environ
from harness.fixtures import Endpoint
from harness.network.origins import Network
from harness.network.pki import Authority
from harness.sandbox.outcomes import failure_cause


def test_scoped_environ_restores_set_and_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_A", "before")
    monkeypatch.delenv("HARNESS_B", raising=False)
    with scoped_environ({"HARNESS_B": "during"}, unset=["HARNESS_A"]):
        assert "HARNESS_A" not in os.environ
        assert os.environ["HARNESS_B"] == "during"
    assert os.environ["HARNESS_A"] == "before"
    assert "HARNESS_B" not in os.environ


def test_trusted_points_at_the_bundle_and_clears_other_ca_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in CA_VARIABLES:
        monkeypatch.setenv(name, "/nonexistent/junk")
    authority = Authority(tmp_path)
    with authority.trusted():
        assert os.environ["SSL_CERT_FILE"] == str(authority.bundle)
        assert not any(name in os.environ for name in CA_VARIABLES if name != "SSL_CERT_FILE")
    assert all(os.environ[name] == "/nonexistent/junk" for name in CA_VARIABLES)


def test_client_built_without_harness_trust_fails_as_tls_verify(harness_network: Network) -> None:
    """A trust failure is also a ConnectError; the errno-based classification tells it apart."""
    endpoint = next(e for e in harness_network.endpoints() if e.origin == "api-openai")
    with (
        harness_network.router.active(),
        httpx.Client(verify=True, trust_env=False) as client,
        pytest.raises(httpx.ConnectError) as caught,
    ):
        client.get(endpoint.base_url + "/models")
    assert failure_cause(caught.value) == "TLS_VERIFY"


def test_client_built_inside_reaches_origin(harness_network: Network) -> None:
    endpoint = Endpoint("custom", "https://api.openai.com/v1", codex=False, origin="api-openai")
    with harness_network.reachable(), httpx.Client() as client:
        response = client.get(endpoint.base_url + "/models")
    assert response.status_code == 200
    assert response.json()["data"][0]["id"] == "gpt-4o-mini"
