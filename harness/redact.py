"""Redaction for recorded fixtures: no credential, cookie, token or account id is ever written.

Headers are redacted by name, JSON values by key, and any string that looks like a credential
(OpenAI-style keys, JWTs, bearer values, GitHub/AWS tokens) by its shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

REDACTED = "<redacted>"

SENSITIVE_HEADERS = {
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "openai-organization",
    "openai-project",
    "chatgpt-account-id",
}
SENSITIVE_KEY = re.compile(
    r"token|secret|passw|api[_-]?key|account[_-]?id|authori[sz]ation|cookie|session|credential",
    re.IGNORECASE,
)
CREDENTIAL = re.compile(
    r"(sk-[A-Za-z0-9_-]{16,}"  # OpenAI-style secret keys
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"  # JWTs
    r"|Bearer\s+(?!<redacted>)\S{8,}"  # bearer values
    r"|gh[pousr]_[A-Za-z0-9]{20,}"  # GitHub tokens
    r"|AKIA[0-9A-Z]{16})"  # AWS access key ids
)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return dict(redact_header_pairs(headers.items()))


def redact_header_pairs(pairs: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """Each (name, value) with a credential header's value, or a credential in any value,
    replaced; repeated headers stay repeated."""
    for name, value in pairs:
        yield name, REDACTED if name.lower() in SENSITIVE_HEADERS else redact_text(value)


def redact_text(text: str) -> str:
    return CREDENTIAL.sub(REDACTED, text)


def redact_json(value: Any) -> Any:
    """A copy of ``value`` with sensitive keys and credential-shaped strings replaced."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED if SENSITIVE_KEY.search(str(key)) else redact_json(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_json(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def find_credentials(text: str) -> list[str]:
    """Credential-shaped substrings in ``text`` (for scanning files that must hold none)."""
    return [match.group(0) for match in CREDENTIAL.finditer(text)]
