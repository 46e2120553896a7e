"""Read `tox config -e ALL -k env_python` on stdin and check what `tox` would run with
one Python on PATH (argv[1], e.g. 3.12): every env on tox's list must run on it, except the
py3X envs of other versions and, below 3.11, the Hermes release envs (Hermes Agent requires
Python 3.11 or newer), which must be skipped. Prints one line per env; exits 1 on any other."""

import configparser
import re
import sys

version = sys.argv[1]
ini = configparser.ConfigParser(interpolation=None)
ini.read("tox.ini")
env_list = [name.strip() for name in ini["tox"]["env_list"].split(",")]

found: dict[str, str] = {}
env = None
for line in sys.stdin:
    if section := re.fullmatch(r"\[testenv:(.+)\]\n?", line):
        env = section.group(1)
    elif env and line.startswith("env_python = "):
        found[env] = line.removeprefix("env_python = ").strip()


def should_run(name: str) -> bool:
    if re.fullmatch(r"py3\d+", name):
        return name == "py" + version.replace(".", "")
    if name.startswith("hermes"):
        return tuple(map(int, version.split("."))) >= (3, 11)
    return True


bad = 0
for name in env_list:
    value = found.get(name, "(not shown)")
    runs = value.startswith("/")
    skipped = "failed to find interpreter" in value
    ok = runs if should_run(name) else skipped
    bad += not ok
    outcome = "runs" if runs else "skipped" if skipped else value
    print(f"{'ok' if ok else 'WRONG'}: {name} {outcome}")
sys.exit(1 if bad else 0)
