"""Finding and ending a process tree on Linux, including descendants that left the session.

A scenario's child makes itself a child subreaper (``PR_SET_CHILD_SUBREAPER``), and so does the
worker that forks it: a descendant that double-forks or calls ``setsid`` is reparented to the
nearest subreaper instead of init, so it stays findable under the child while the child lives and
under the worker once the child is gone. The tree is read from ``/proc/<pid>/stat`` (the parent
pid), because ``/proc/<pid>/task/<tid>/children`` needs a kernel option these machines lack.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import time
from pathlib import Path

PROC = Path("/proc")
PR_SET_CHILD_SUBREAPER = 36
#: Rounds of "find every descendant, SIGKILL it" before giving up on a tree that keeps forking.
KILL_ROUNDS = 50
CMDLINE_TRIES = 20
CMDLINE_RETRY_SECONDS = 0.005


def _libc() -> ctypes.CDLL | None:
    # find_library runs ldconfig: looked up once, at import (in the worker, before any fork)
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name, use_errno=True) if name else None
    except OSError:
        return None


_LIBC = _libc()


def become_subreaper() -> bool:
    """Make orphaned descendants of this process reparent to it; False where unsupported."""
    if _LIBC is None:
        return False
    try:
        return int(_LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except AttributeError:
        return False


def has_children() -> bool:
    """Whether this process has any child, running or exited (no /proc scan)."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return False
    return True


def _parent(pid: int) -> int | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")"
    fields = stat[stat.rfind(")") + 2 :].split()
    return int(fields[1]) if len(fields) > 1 else None


def parents() -> dict[int, int]:
    """Every live process's parent pid."""
    table: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            parent = _parent(int(entry.name))
            if parent is not None:
                table[int(entry.name)] = parent
    return table


def children(pid: int, table: dict[int, int] | None = None) -> list[int]:
    table = parents() if table is None else table
    return sorted(child for child, parent in table.items() if parent == pid)


def descendants(pid: int, table: dict[int, int] | None = None) -> list[int]:
    """Every process below ``pid``, parents before their children."""
    table = parents() if table is None else table
    found: list[int] = []
    pending = [pid]
    while pending:
        below = children(pending.pop(0), table)
        found.extend(below)
        pending.extend(below)
    return found


def _cmdline(pid: int) -> bytes:
    """The process's command line. A process in the middle of an exec has its new name but not
    yet its arguments (an empty cmdline); it has them within milliseconds, so ask again a few
    times before settling for the name."""
    for _ in range(CMDLINE_TRIES):
        try:
            raw = (PROC / str(pid) / "cmdline").read_bytes()
        except OSError:
            return b""
        if raw or is_zombie_or_gone(pid):
            return raw
        time.sleep(CMDLINE_RETRY_SECONDS)
    return b""


def describe(pid: int) -> str:
    """``pid 123 (sleep 60)``: the pid and its command line, for a failure message."""
    raw = _cmdline(pid)
    command = raw.replace(b"\0", b" ").decode(errors="replace").strip()
    if not command:
        with contextlib.suppress(OSError):
            command = f"[{(PROC / str(pid) / 'comm').read_text().strip()}]"
    return f"pid {pid} ({command[:80] or 'gone'})"


def kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def is_zombie_or_gone(pid: int) -> bool:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return True
    return stat[stat.rfind(")") + 2 :].startswith(("Z", "X"))


def kill_below(pid: int) -> None:
    """SIGKILL every descendant of ``pid`` until none is left alive (bounded rounds)."""
    for _ in range(KILL_ROUNDS):
        alive = [p for p in descendants(pid) if not is_zombie_or_gone(p)]
        if not alive:
            return
        kill(alive)


def reap_children() -> None:
    """Collect every exited child of this process (zombies left by :func:`kill_below`)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
