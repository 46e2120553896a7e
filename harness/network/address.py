"""Addresses on the simulated network: ``(host, port)`` as the socket module gives it, and the
two readings of a request's address that the edge and the verdicts must make alike."""

from __future__ import annotations

from urllib.parse import urlsplit

Address = tuple[str, int]


def host_header_name(host: str) -> str:
    """The name a ``Host`` header carries, port and brackets dropped, lowercase, without a
    trailing dot (``ChatGPT.com:443`` and ``[::1]`` read as ``chatgpt.com`` and ``::1``)."""
    return (urlsplit(f"//{host}").hostname or "").rstrip(".")


def path_is_under(path: str, base: str) -> bool:
    """Whether a request path lies under a base path, segment by segment (``/v1x`` is not under
    ``/v1``; empty segments and the query do not count)."""
    segments = [s for s in path.split("?", 1)[0].split("/") if s]
    prefix = [s for s in base.split("/") if s]
    return segments[: len(prefix)] == prefix
