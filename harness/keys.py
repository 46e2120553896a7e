"""Unknown keys and names in data files: named, with the closest valid one, so a typo never passes
silently.

A misspelt optional key (``"fault"`` for ``"faults"``) would otherwise read as "not given" and
quietly change what an origin does. Origin files, condition files and fault rules share these
words, so every reader reports the same way.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable


def unknown_keys(keys: Iterable[object], valid: Collection[str]) -> list[str]:
    """The keys not in ``valid``, in the order given."""
    return [str(key) for key in keys if key not in valid]


def suggestion(word: str, valid: Collection[str], noun: str) -> str:
    """``did you mean 'faults'?``, or the valid ``noun`` when none is close."""
    close = difflib.get_close_matches(word, sorted(valid), n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"valid {noun}: {', '.join(sorted(valid)) or 'none'}"


def unknown_key_message(key: str, valid: Collection[str]) -> str:
    """What follows the dotted path of an unknown key: ``unknown key; did you mean 'faults'?``."""
    return f"unknown key; {suggestion(key, valid, 'keys')}"
