"""The keepalive expectation non-Codex clients are judged against, as the adopter sets it.

Either TCP keepalive must be armed at a given idle time (the default: 30 s, what the reference fix
and Hermes Agent up to 0.18.0 set), or keepalive is not judged at all, for a codebase that dropped
TCP keepalive on purpose and still wants the Codex, proxy and NO_PROXY cases pinned. The same
spelling is read from the pytest option, the ini key, the environment variable and ``diagnose``.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import UsageInputError

DEFAULT_IDLE_SECONDS = 30
OPTION = "--keepalive-idle"
INI_KEY = "harness_keepalive_idle"
ENV_VAR = "HARNESS_KEEPALIVE_IDLE"
NOT_JUDGED = "off"
#: Linux refuses a larger TCP_KEEPIDLE (MAX_TCP_KEEPIDLE in include/net/tcp.h), so no client can
#: arm more and every case would fail as an idle mismatch.
MAX_IDLE_SECONDS = 32767
ALLOWED = (
    f"a whole number of seconds from 1 to {MAX_IDLE_SECONDS} (Linux's TCP_KEEPIDLE limit), "
    f"or {NOT_JUDGED!r} to leave keepalive unjudged"
)


@dataclass(frozen=True)
class KeepaliveExpectation:
    """``idle_seconds`` the client must arm on non-Codex connections; None: not judged."""

    idle_seconds: int | None = DEFAULT_IDLE_SECONDS

    @property
    def judged(self) -> bool:
        return self.idle_seconds is not None

    def describe(self) -> str:
        if self.idle_seconds is None:
            return "keepalive not judged"
        return f"keepalive required, idle {self.idle_seconds}s"

    def as_json(self) -> dict[str, object]:
        return {"judged": self.judged, "idle_seconds": self.idle_seconds}


def parse_keepalive_idle(value: str | int, source: str = OPTION) -> KeepaliveExpectation:
    """``30`` → required at 30 s; ``off`` → not judged; anything else is a usage error naming
    ``source`` (the option, ini key or variable the value came from) and the allowed range."""
    text = str(value).strip()
    if text.lower() == NOT_JUDGED:
        return KeepaliveExpectation(None)
    if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_IDLE_SECONDS:
        return KeepaliveExpectation(int(text))
    raise UsageInputError(f"{source}: {value!r} is not allowed; expected {ALLOWED}")
