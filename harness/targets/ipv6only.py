"""A client that connects over IPv6 only (hermes-agent 37662, 114265): the reference fix, except
that every direct connection is bound to the IPv6 wildcard address (``local_address="::"``), as a
client pinned to one address family is. Where IPv6 works it passes; under ``ipv6-blackhole`` it
never reaches the name's IPv4 address, and its connects time out. Through a proxy (an IPv4 address
here) it builds the reference's clients, so only its direct path differs.
"""

from __future__ import annotations

import httpx
import openai

from harness.targets.keepalive import env_proxy_for, keepalive_socket_options
from harness.targets.reference import build, codex_identity_headers, is_codex_backend

IPV6_WILDCARD = "::"


def factory(
    provider: str, base_url: str, api_key: str, *, async_client: bool = False
) -> openai.OpenAI | openai.AsyncOpenAI:
    if env_proxy_for(base_url) is not None:
        return build(provider, base_url, api_key, async_client=async_client)
    codex = is_codex_backend(provider, base_url)
    options = None if codex else keepalive_socket_options()
    headers = codex_identity_headers(api_key) if codex else None
    if async_client:
        transport = httpx.AsyncHTTPTransport(socket_options=options, local_address=IPV6_WILDCARD)
        return openai.AsyncOpenAI(
            api_key=api_key,
            base_url=base_url,
            default_headers=headers,
            http_client=httpx.AsyncClient(transport=transport),
        )
    return openai.OpenAI(
        api_key=api_key,
        base_url=base_url,
        default_headers=headers,
        http_client=httpx.Client(
            transport=httpx.HTTPTransport(socket_options=options, local_address=IPV6_WILDCARD)
        ),
    )
