"""Hypothesis strategies for endpoint spellings.

Codex spellings are different texts for the same URL (scheme and host case, an explicit default
port, a trailing slash or a deeper path) under any provider name. Look-alikes mention codex or
chatgpt in host or path but are not the Codex backend. Trailing root dots and percent-encoded
paths are left out: TLS name checks and servers treat those as different names and paths.
"""

from __future__ import annotations

from hypothesis import strategies as st

CODEX_PROVIDERS = ("openai-codex", "custom", "openai", "openrouter")
LOOKALIKE_PROVIDERS = ("custom", "openai", "openai-codex-proxy", "codex")
LOOKALIKE_PATHS = ("/v1", "/backend-api/codex", "/chatgpt.com/backend-api/codex", "/codex/v1")


def _random_case(text: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(text), max_size=len(text)).map(
        lambda flips: "".join(c.upper() if f else c for c, f in zip(text, flips, strict=True))
    )


@st.composite
def codex_base_urls(draw: st.DrawFn) -> str:
    scheme = draw(_random_case("https"))
    host = draw(_random_case("chatgpt.com"))
    port = draw(st.sampled_from(["", ":443"]))
    tail = draw(st.sampled_from(["", "/", "/v1"]))
    return f"{scheme}://{host}{port}/backend-api/codex{tail}"


def codex_providers() -> st.SearchStrategy[str]:
    return st.sampled_from(CODEX_PROVIDERS)


@st.composite
def lookalike_base_urls(draw: st.DrawFn, hosts: tuple[str, ...]) -> str:
    host = draw(st.sampled_from(hosts).flatmap(_random_case))
    path = draw(st.sampled_from(LOOKALIKE_PATHS))
    slash = draw(st.sampled_from(["", "/"]))
    return f"https://{host}{path}{slash}"


def lookalike_providers() -> st.SearchStrategy[str]:
    return st.sampled_from(LOOKALIKE_PROVIDERS)
