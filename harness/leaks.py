"""Session leak check: no thread and no file descriptor left once every fixture is torn down.

ResourceWarning already catches a socket garbage-collected while open; this catches what a warning
cannot: a thread still running, or a descriptor still held, at the end of the session.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

FD_DIR = Path("/proc/self/fd")


def open_fds() -> int:
    return len(os.listdir(FD_DIR)) if FD_DIR.exists() else 0


class LeakCheck:
    """Snapshot threads and descriptors now; :meth:`problems` lists what is new later."""

    def __init__(self) -> None:
        self.threads = {thread.ident for thread in threading.enumerate()}
        self.fds = open_fds()

    def problems(self) -> list[str]:
        found = []
        leftover = sorted(t.name for t in threading.enumerate() if t.ident not in self.threads)
        if leftover:
            found.append(f"threads still running: {', '.join(leftover)}")
        extra = open_fds() - self.fds
        if extra > 0:
            found.append(f"{extra} more file descriptors open than at session start")
        return found
