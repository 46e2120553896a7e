"""The leak check fails a session that leaves a thread or a descriptor behind."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "body, message",
    [
        (
            "import threading\n_stop = threading.Event()\n"
            "def test_leaks():\n"
            "    t = threading.Thread(target=_stop.wait, args=(5,), name='leaky', daemon=True)\n"
            "    t.start()\n",
            "*leak check: threads still running: leaky*",
        ),
        (
            "import socket\n_kept = []\ndef test_leaks():\n    _kept.append(socket.socket())\n",
            "*leak check: 1 more file descriptors open*",
        ),
    ],
    ids=["thread", "fd"],
)
def test_leak_fails_the_session(pytester: pytest.Pytester, body: str, message: str) -> None:
    pytester.makepyfile(test_leaky=body)
    result = pytester.runpytest_subprocess("--harness-leak-check", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([message])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_clean_session_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_clean="def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("--harness-leak-check", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
