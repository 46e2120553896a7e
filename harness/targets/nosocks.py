"""The reference fix on a stack without SOCKS support (hermes-agent 6553, 6904, 6416): httpx
installed without its ``socks`` extra. Importing this module hides ``socksio`` from the process,
as an environment that never installed it would; every client then fails to build while a proxy
variable names a SOCKS proxy ("Using SOCKS proxy, but the 'socksio' package is not installed"),
the SDK's default client included.
"""

from __future__ import annotations

import sys

sys.modules["socksio"] = None  # type: ignore[assignment]  # an import of it now fails

from harness.targets.reference import factory  # noqa: E402

__all__ = ["factory"]
