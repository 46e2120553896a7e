"""The proxy-rules oracle agrees with urllib.request on every scenario of the matrix.

The oracle (harness/judging/proxy_rules.py) is written from the documented rules, not from urllib,
so the reference factory (which uses urllib's rules) does not agree with the checker by
construction. Where the libraries and the oracle disagree outside the matrix, tests/test_findings.py
pins it (``*`` inside a NO_PROXY list, ``host:port`` entries). httpx's side is checked by behaviour,
not by its internals: the self-check runs the SDK's default client (httpx with trust_env) through
the whole matrix and requires every case to pass (tests/test_selfcheck.py,
``no_keepalive_not_judged``).
"""

from __future__ import annotations

import urllib.request
from collections.abc import Mapping
from urllib.parse import urlsplit

import pytest

from harness.fixtures import load_fixtures
from harness.judging.matrix import scenarios
from harness.judging.proxy_rules import expected_route
from harness.network.conditions import load_conditions

PROXY = "http://127.0.0.1:3128"


def urllib_route(url: str, environ: Mapping[str, str]) -> str | None:
    """The proxy urllib.request's environment rules pick for ``url`` under ``environ``."""
    with pytest.MonkeyPatch.context() as patch:
        for name in list(urllib.request.getproxies_environment()):
            patch.delenv(f"{name}_proxy", raising=False)
            patch.delenv(f"{name.upper()}_PROXY", raising=False)
        for name, value in environ.items():
            patch.setenv(name, value)
        proxies = urllib.request.getproxies_environment()
        parts = urlsplit(url)
        proxy = proxies.get(parts.scheme.lower()) or proxies.get("all")
        host = (parts.hostname or "").lower()
        bypass = urllib.request.proxy_bypass_environment(host, proxies)  # type: ignore[attr-defined]
        return None if not proxy or bypass else proxy


def test_oracle_agrees_with_urllib_on_every_matrix_scenario() -> None:
    matrix = scenarios(load_fixtures(), load_conditions())
    assert matrix
    disagreements = []
    for scenario in matrix:
        environ = scenario.environ(PROXY)
        ours = expected_route(scenario.endpoint.base_url, environ).proxy
        theirs = urllib_route(scenario.endpoint.base_url, environ)
        if ours != theirs:
            disagreements.append((scenario.id, ours, theirs))
    assert disagreements == []


@pytest.mark.parametrize(
    "url, environ, proxy",
    [
        ("http://localhost:11434/v1", {"HTTPS_PROXY": PROXY}, None),
        ("http://localhost:11434/v1", {"HTTP_PROXY": PROXY}, PROXY),
        ("http://localhost:11434/v1", {"ALL_PROXY": PROXY}, PROXY),
        ("https://api.openai.com/v1", {"HTTP_PROXY": PROXY}, None),
        ("https://api.openai.com/v1", {"all_proxy": PROXY}, PROXY),
        ("https://api.openai.com/v1", {"HTTPS_PROXY": PROXY, "NO_PROXY": ".openai.com"}, None),
        ("https://api.openai.com/v1", {"HTTPS_PROXY": PROXY, "NO_PROXY": "openai.com"}, None),
        ("https://notopenai.com/v1", {"HTTPS_PROXY": PROXY, "NO_PROXY": "openai.com"}, PROXY),
        ("https://api.openai.com/v1", {"HTTPS_PROXY": PROXY, "NO_PROXY": " API.OpenAI.com "}, None),
        ("https://api.openai.com/v1", {"HTTPS_PROXY": PROXY, "NO_PROXY": "a.example,*"}, PROXY),
        ("https://api.openai.com/v1", {"HTTPS_PROXY": PROXY, "NO_PROXY": "*"}, None),
        ("https://api.openai.com/v1", {"HTTPS_PROXY": PROXY, "no_proxy": ""}, PROXY),
        ("https://api.openai.com/v1", {"https_proxy": "", "ALL_PROXY": PROXY}, PROXY),
    ],
)
def test_documented_rules(url: str, environ: dict[str, str], proxy: str | None) -> None:
    assert expected_route(url, environ).proxy == proxy
    assert urllib_route(url, environ) == proxy, "urllib agrees here"
