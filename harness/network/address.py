"""The one address type of the simulated network: ``(host, port)`` as the socket module gives it."""

from __future__ import annotations

Address = tuple[str, int]
