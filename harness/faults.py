"""Fault rules: predicates over what the gate learnt before the handshake, and what to do then.

A rule reads like the fixture that holds it: ``{"when": "keepalive", "action": "reset"}``.
Predicates compose with ``all``, ``any`` and ``not``; the first matching rule wins and a
connection no rule matches is served.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from harness.kernel import KeepaliveState


class Action(str, Enum):
    SERVE = "serve"
    RESET = "reset"


@dataclass(frozen=True)
class ConnectionFacts:
    """What is known about a connection when the gate must decide."""

    tls: bool
    sni: str | None
    alpn: tuple[str, ...]
    keepalive: KeepaliveState


Predicate = Callable[[ConnectionFacts], bool]


class RuleError(ValueError):
    """A fault rule that cannot be understood; the message names the offending part."""


_SIMPLE: dict[str, Predicate] = {
    "always": lambda facts: True,
    "never": lambda facts: False,
    "keepalive": lambda facts: facts.keepalive.armed,
    "tls": lambda facts: facts.tls,
}


def compile_predicate(spec: Any, where: str = "when") -> Predicate:
    """Turn a predicate from a fixture into a function; raise :class:`RuleError` if malformed."""
    if isinstance(spec, str):
        if spec not in _SIMPLE:
            raise RuleError(f"{where}: unknown predicate {spec!r} (known: {', '.join(_SIMPLE)})")
        return _SIMPLE[spec]
    if not isinstance(spec, Mapping) or len(spec) != 1:
        raise RuleError(f"{where}: a predicate is a name or an object with exactly one key")
    ((key, value),) = spec.items()
    if key in ("all", "any"):
        if not isinstance(value, Sequence) or isinstance(value, str) or not value:
            raise RuleError(f"{where}.{key}: expected a non-empty list of predicates")
        parts = [compile_predicate(item, f"{where}.{key}[{i}]") for i, item in enumerate(value)]
        combine = all if key == "all" else any
        return lambda facts: combine(part(facts) for part in parts)
    if key == "not":
        inner = compile_predicate(value, f"{where}.not")
        return lambda facts: not inner(facts)
    if key == "sni":
        wanted = str(value).lower()
        return lambda facts: (facts.sni or "").lower() == wanted
    if key == "alpn":
        protocol = str(value)
        return lambda facts: protocol in facts.alpn
    if key == "keepalive_idle_below":
        limit = float(value)
        return lambda facts: (
            facts.keepalive.idle_seconds is not None and facts.keepalive.idle_seconds < limit
        )
    raise RuleError(f"{where}: unknown predicate {key!r}")


@dataclass(frozen=True)
class Rule:
    when: Predicate
    action: Action
    text: str


class FaultRules:
    """An ordered list of rules; :meth:`decide` gives the action and the rule that chose it."""

    def __init__(self, rules: Sequence[Rule] = ()) -> None:
        self.rules = tuple(rules)

    @classmethod
    def from_spec(cls, spec: Any, where: str = "faults") -> FaultRules:
        if not isinstance(spec, Sequence) or isinstance(spec, str):
            raise RuleError(f"{where}: expected a list of rules")
        rules = []
        for index, item in enumerate(spec):
            here = f"{where}[{index}]"
            if not isinstance(item, Mapping) or set(item) != {"when", "action"}:
                raise RuleError(f"{here}: a rule has exactly the keys 'when' and 'action'")
            try:
                action = Action(item["action"])
            except ValueError:
                known = ", ".join(a.value for a in Action)
                raise RuleError(
                    f"{here}.action: unknown action {item['action']!r} ({known})"
                ) from None
            predicate = compile_predicate(item["when"], f"{here}.when")
            rules.append(Rule(predicate, action, f"{action.value} when {_describe(item['when'])}"))
        return cls(rules)

    def decide(self, facts: ConnectionFacts) -> tuple[Action, str]:
        for rule in self.rules:
            if rule.when(facts):
                return rule.action, rule.text
        return Action.SERVE, "serve (no rule matched)"


def _describe(spec: Any) -> str:
    if isinstance(spec, str):
        return spec
    ((key, value),) = spec.items()
    if key in ("all", "any"):
        joiner = " and " if key == "all" else " or "
        return "(" + joiner.join(_describe(item) for item in value) + ")"
    if key == "not":
        return f"not {_describe(value)}"
    return f"{key}={value}"
