"""Fault rules: predicates over what the gate learnt before the handshake, and what to do then.

A rule reads like the fixture that holds it: ``{"when": "keepalive", "action": "reset"}``.
Predicates compose with ``all``, ``any`` and ``not``; the first matching rule wins and a
connection no rule matches is served. Actions that take a parameter name it beside the action:
``{"when": "always", "action": "stall", "seconds": 2}``, ``{"when": "tls", "action":
"reset_after", "bytes": 100}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from harness.errors import HarnessError
from harness.keys import suggestion, unknown_key_message, unknown_keys
from harness.network.ja4 import FingerprintError, fingerprints, matching
from harness.network.kernel import KeepaliveState

MAX_STALL_SECONDS = 30.0


class Action(str, Enum):
    SERVE = "serve"
    RESET = "reset"  # RST before the handshake completes
    RESET_AFTER = "reset_after"  # serve, then RST once N bytes reached the client
    STALL = "stall"  # accept, say nothing for a bounded time, then close
    ALERT = "alert"  # answer the ClientHello with a fatal handshake_failure alert


#: Parameters each action takes: name → (default, lowest, highest).
PARAMETERS: dict[Action, dict[str, tuple[float | None, float, float]]] = {
    Action.RESET_AFTER: {"bytes": (None, 0, 1 << 30)},
    Action.STALL: {"seconds": (5.0, 0, MAX_STALL_SECONDS)},
}
#: Every key a rule may hold; a parameter of another action is refused by name, not as a typo.
RULE_KEYS = ("when", "action", *sorted({name for table in PARAMETERS.values() for name in table}))


@dataclass(frozen=True)
class ConnectionFacts:
    """What is known about a connection when the gate must decide."""

    tls: bool
    sni: str | None
    alpn: tuple[str, ...]
    keepalive: KeepaliveState
    direct: bool = True
    ja4: str | None = None  # of the ClientHello, if one was read
    accepted_at: float | None = None  # time.monotonic() at accept


Predicate = Callable[[ConnectionFacts], bool]
#: Predicates written as an object with one key.
_COMPOSED = ("all", "any", "not", "sni", "alpn", "ja4", "keepalive_idle_below")


class RuleError(HarnessError, ValueError):
    """A fault rule that cannot be understood; the message names the offending part."""


_SIMPLE: dict[str, Predicate] = {
    "always": lambda facts: True,
    "never": lambda facts: False,
    "keepalive": lambda facts: facts.keepalive.armed,
    "tls": lambda facts: facts.tls,
    "direct": lambda facts: facts.direct,
    "proxied": lambda facts: not facts.direct,
}


def compile_predicate(spec: Any, where: str = "when") -> Predicate:
    """Turn a predicate from a fixture into a function; raise :class:`RuleError` if malformed."""
    if isinstance(spec, str):
        if spec not in _SIMPLE:
            raise RuleError(
                f"{where}: unknown predicate {spec!r}; {suggestion(spec, _SIMPLE, 'predicates')}"
            )
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
    if key == "ja4":
        try:
            patterns = fingerprints(value, f"{where}.ja4")
        except FingerprintError as exc:
            raise RuleError(str(exc)) from None
        return lambda facts: matching(patterns, facts.ja4) is not None
    if key == "keepalive_idle_below":
        limit = float(value)
        return lambda facts: (
            facts.keepalive.idle_seconds is not None and facts.keepalive.idle_seconds < limit
        )
    raise RuleError(
        f"{where}: unknown predicate {key!r}; {suggestion(str(key), _COMPOSED, 'predicates')}"
    )


@dataclass(frozen=True)
class Rule:
    when: Predicate
    action: Action
    text: str
    params: Mapping[str, float] = field(default_factory=dict)


def _params(item: Mapping[str, Any], action: Action, where: str) -> dict[str, float]:
    allowed = PARAMETERS.get(action, {})
    extra = set(item) - {"when", "action"} - set(allowed)
    if extra:
        raise RuleError(f"{where}: {action.value} takes no {', '.join(sorted(extra))}")
    params: dict[str, float] = {}
    for name, (default, low, high) in allowed.items():
        value = item.get(name, default)
        if value is None:
            raise RuleError(f"{where}.{name}: required for {action.value}")
        if (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or not low <= value <= high
        ):
            raise RuleError(f"{where}.{name}: expected a number from {low} to {high}")
        params[name] = float(value)
    return params


def rule(spec: Mapping[str, Any], where: str = "rule") -> Rule:
    """One rule from its fixture form; raise :class:`RuleError` naming ``where`` if malformed."""
    if not isinstance(spec, Mapping):
        raise RuleError(f"{where}: a rule is an object with the keys 'when' and 'action'")
    for key in unknown_keys(spec, RULE_KEYS):
        raise RuleError(f"{where}.{key}: {unknown_key_message(key, RULE_KEYS)}")
    if not {"when", "action"} <= set(spec):
        raise RuleError(f"{where}: a rule needs the keys 'when' and 'action'")
    try:
        action = Action(spec["action"])
    except ValueError:
        known = [a.value for a in Action]
        hint = suggestion(str(spec["action"]), known, "actions")
        raise RuleError(f"{where}.action: unknown action {spec['action']!r}; {hint}") from None
    params = _params(spec, action, where)
    predicate = compile_predicate(spec["when"], f"{where}.when")
    shown = "".join(f" {name}={value:g}" for name, value in params.items())
    return Rule(predicate, action, f"{action.value}{shown} when {_describe(spec['when'])}", params)


class FaultRules:
    """An ordered list of rules; :meth:`decide` gives the rule that chose the action."""

    def __init__(self, rules: Sequence[Rule] = ()) -> None:
        self.rules = tuple(rules)

    @classmethod
    def from_spec(cls, spec: Any, where: str = "faults") -> FaultRules:
        if not isinstance(spec, Sequence) or isinstance(spec, str):
            raise RuleError(f"{where}: expected a list of rules")
        return cls([rule(item, f"{where}[{index}]") for index, item in enumerate(spec)])

    def match(self, facts: ConnectionFacts) -> Rule | None:
        for candidate in self.rules:
            if candidate.when(facts):
                return candidate
        return None


#: The text an observation records when no fault rule matched; a fault rule's text is its spec.
NO_RULE_MATCHED = "no fault rule matched"
SERVE_BY_DEFAULT = Rule(lambda facts: True, Action.SERVE, NO_RULE_MATCHED)
#: What each action did to the connection, as an observation's summary says it.
DONE = {
    Action.SERVE: "served",
    Action.RESET: "reset",
    Action.RESET_AFTER: "served, then reset",
    Action.STALL: "stalled",
    Action.ALERT: "refused with a TLS alert",
}


def done(action: str, rule: str) -> str:
    """``served (no fault rule matched)``, ``reset (fault rule: reset when keepalive)``."""
    why = rule if rule == NO_RULE_MATCHED else f"fault rule: {rule}"
    return f"{DONE[Action(action)]} ({why})"


def decide(facts: ConnectionFacts, *rule_sets: FaultRules | None) -> Rule:
    """The first matching rule across ``rule_sets`` in order; serve if none matches."""
    for rules in rule_sets:
        if rules is not None and (found := rules.match(facts)) is not None:
            return found
    return SERVE_BY_DEFAULT


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
