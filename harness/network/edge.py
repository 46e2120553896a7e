"""The Codex edge's identity challenge: which requests it answers with a JavaScript challenge.

Requests to the Codex backend from server addresses are let through only when they look like a
first-party Codex client: an ``originator`` the edge admits, a ``User-Agent`` that starts like
one, and, for a ChatGPT OAuth bearer (a JWT whose ``https://api.openai.com/auth`` claim names a
``chatgpt_account_id``), a ``ChatGPT-Account-ID`` header naming that account. Anything else gets
the challenge page (403, ``cf-mitigated: challenge``, HTML). The rule is data in a condition file
(:class:`Challenge`); which of the three checks the edge makes is the adopter's setting
(:func:`parse_demanded`, ``--harness-identity``), the same for the origin and the verdict.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from harness.errors import UsageInputError
from harness.network.address import host_header_name, path_is_under
from harness.network.ja4 import matching

ORIGINATOR = "originator"
USER_AGENT = "user-agent"
ACCOUNT_ID = "chatgpt-account-id"
#: The ClientHello: a connection whose JA4 matches one the edge lists is challenged whatever its
#: headers say (hermes-agent 30480, 41899, 72928).
FINGERPRINT = "tls-fingerprint"
#: How a refusal for the ClientHello starts (the others name a header).
FINGERPRINT_REFUSAL = "ClientHello JA4"
#: The checks the edge can make, in the order a failure names them.
CHECKS = (ORIGINATOR, USER_AGENT, ACCOUNT_ID, FINGERPRINT)
#: The keys a condition file's ``challenge`` section may hold.
CHALLENGE_KEYS = (
    "hosts",
    "path_prefix",
    "originators",
    "fingerprints",
    "status",
    "headers",
    "html",
)
#: The claim of a ChatGPT OAuth access token that carries the account id.
AUTH_CLAIM = "https://api.openai.com/auth"


@dataclass(frozen=True)
class Challenge:
    """Where the edge challenges and what it answers: requests to ``hosts`` whose path starts
    with ``path_prefix`` must pass the demanded checks; ``originators`` are the admitted
    ``originator`` values (an entry ending in ``*`` admits any value with that start);
    ``fingerprints`` the JA4s (or patterns, :func:`harness.network.ja4.fingerprints`) of the
    ClientHellos it challenges."""

    hosts: tuple[str, ...]
    path_prefix: str
    originators: tuple[str, ...]
    status: int
    headers: tuple[tuple[str, str], ...]
    html: str
    fingerprints: tuple[str, ...] = ()

    def covers(self, host: str, path: str) -> bool:
        return host_header_name(host) in self.hosts and path_is_under(path, self.path_prefix)

    def admits_originator(self, value: str) -> bool:
        for admitted in self.originators:
            if admitted.endswith("*"):
                if value.startswith(admitted[:-1]):
                    return True
            elif value == admitted:
                return True
        return False

    def refusal(
        self, headers: Mapping[str, str], demanded: Iterable[str], ja4: str | None = None
    ) -> str | None:
        """Why the edge challenges a request with these headers, on a connection whose
        ClientHello had this ``ja4`` (None: it lets it through), worded as the failure names it
        (``no originator header``). Header names are matched case-insensitively."""
        lower = {name.lower(): value for name, value in headers.items()}
        for check in (c for c in CHECKS if c in set(demanded)):
            problem = self._check(check, lower, ja4)
            if problem is not None:
                return problem
        return None

    def _check(self, check: str, headers: Mapping[str, str], ja4: str | None) -> str | None:
        if check == FINGERPRINT:
            pattern = matching(self.fingerprints, ja4)
            if pattern is not None:
                return f"{FINGERPRINT_REFUSAL} {ja4} is one the edge fingerprints ({pattern})"
        elif check == ORIGINATOR:
            value = headers.get(ORIGINATOR)
            if value is None:
                return "no originator header"
            if not self.admits_originator(value):
                return f"originator {value!r} is not one the edge admits"
        elif check == USER_AGENT:
            value = headers.get(USER_AGENT, "")
            product = value.split("/", 1)[0].split(" ", 1)[0]
            if not value or not self.admits_originator(product):
                return f"User-Agent {value!r} is not a Codex client's"
        elif check == ACCOUNT_ID:
            account = bearer_account(headers.get("authorization", ""))
            if account is not None and headers.get(ACCOUNT_ID) != account:
                if ACCOUNT_ID not in headers:
                    return "no ChatGPT-Account-ID header for a ChatGPT OAuth bearer"
                return "ChatGPT-Account-ID does not name the bearer's account"
        return None


def bearer_account(authorization: str) -> str | None:
    """The ``chatgpt_account_id`` a ChatGPT OAuth bearer carries (None: not such a token)."""
    scheme, _, token = authorization.partition(" ")
    parts = token.strip().split(".")
    if scheme.lower() != "bearer" or len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, binascii.Error):
        return None
    auth = claims.get(AUTH_CLAIM) if isinstance(claims, dict) else None
    account = auth.get("chatgpt_account_id") if isinstance(auth, dict) else None
    return account if isinstance(account, str) and account else None


def parse_demanded(value: str | None, source: str) -> tuple[str, ...]:
    """The checks the edge makes: ``None`` (not given) is all of them, ``off`` none, else a
    comma-separated list of :data:`CHECKS`."""
    if value is None:
        return CHECKS
    text = value.strip().lower()
    if text == "off":
        return ()
    names = [name.strip() for name in text.split(",")]
    wrong = [name for name in names if name not in CHECKS]
    if not text or wrong:
        raise UsageInputError(
            f"{source}: {value!r} is not allowed; expected 'off' or a comma-separated list of "
            f"{', '.join(CHECKS)}"
        )
    return tuple(c for c in CHECKS if c in names)


def describe_demanded(demanded: Sequence[str]) -> str:
    return ", ".join(demanded) if demanded else "off"
