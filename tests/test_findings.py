"""Behaviour of the client stack itself that the harness surfaced, pinned so a change is noticed.

These are not requirements on client code; they document what the real libraries do today, as
observed by the proxy and the origins. If one starts failing, the library changed: update the
verdict rules that rely on it (see harness/judging/verdicts.py) and the README.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import httpx
import pytest

from harness.fixtures import Endpoint
from harness.judging.drive import Result, Subject, drive
from harness.judging.proxy_rules import expected_route
from harness.network.origins import Network
from harness.sandbox.calls import Call
from harness.sandbox.pool import Sandbox
from harness.targets import reference

OPENAI = Endpoint("openai", "https://api.openai.com/v1", codex=False, origin="api-openai")


@pytest.fixture(scope="module")
def run(harness_network: Network, harness_sandbox: Sandbox) -> Callable[..., Result]:
    """A scenario driven with the reference factory, whatever factory the run judges."""
    return functools.partial(drive, harness_network, Subject.of(harness_sandbox, reference.factory))


def test_keepalive_socket_options_do_not_reach_proxy_tunnels(
    harness_network: Network, run: Callable[..., Result]
) -> None:
    """httpcore's HTTPProxy does not pass socket_options to its tunnel connections: a keepalive
    client behind HTTPS_PROXY has no keepalive on its socket, although it does go direct."""
    direct = run(OPENAI, Call.MODELS)
    assert [o.keepalive.armed for o in direct.observations] == [True]
    proxied = run(
        OPENAI,
        Call.MODELS,
        environ={"HTTPS_PROXY": harness_network.proxy.url},
    )
    assert proxied.outcome.status == 200
    assert [t.keepalive.armed for t in proxied.tunnels] == [False], httpx.__version__


def test_star_inside_no_proxy_list_is_a_wildcard_for_httpx_only(
    harness_network: Network, run: Callable[..., Result]
) -> None:
    """``NO_PROXY="a.example,*"``: httpx bypasses the proxy for every host, urllib.request's
    rules (which the reference keepalive client follows) do not. Only a lone ``*`` agrees."""
    environ = {"HTTPS_PROXY": harness_network.proxy.url, "NO_PROXY": "a.example,*"}
    codex = Endpoint("openai-codex", "https://chatgpt.com/backend-api/codex", True, "chatgpt-codex")
    sdk_default = run(codex, Call.REPORT, environ=environ)
    keepalive = run(OPENAI, Call.MODELS, environ=environ)
    assert [o.direct for o in sdk_default.observations] == [True]
    assert [o.direct for o in keepalive.observations] == [False]


def test_port_entry_in_no_proxy_exempts_nothing(
    harness_network: Network, run: Callable[..., Result]
) -> None:
    """``NO_PROXY="host:443"`` exempts nothing for urllib.request's rules (the reference keepalive
    client: it compares the entry with the bare host name) nor for httpx (the SDK default), so
    the proxy rules the verdicts use (harness/judging/proxy_rules.py) read entries as host names
    only."""
    proxy = harness_network.proxy.url
    codex = Endpoint("openai-codex", "https://chatgpt.com/backend-api/codex", True, "chatgpt-codex")
    sdk_env = {"HTTPS_PROXY": proxy, "NO_PROXY": "chatgpt.com:443"}
    keepalive_env = {"HTTPS_PROXY": proxy, "NO_PROXY": "api.openai.com:443"}
    sdk_default = run(codex, Call.REPORT, environ=sdk_env)
    keepalive = run(OPENAI, Call.MODELS, environ=keepalive_env)
    assert [o.direct for o in keepalive.observations] == [False], "urllib: via the proxy"
    assert [o.direct for o in sdk_default.observations] == [False], httpx.__version__
    assert expected_route(codex.base_url, sdk_env).via_proxy
    assert expected_route(OPENAI.base_url, keepalive_env).via_proxy
