"""Fault rules: which requests they hit, how often, and what they do to them.

A rule is posted as JSON to ``POST /sim/faults`` (see docs/sim-exchange.md, "Fault injection")
and parsed here, once, into a frozen ``FaultRule``; anything malformed is a ``RuleError`` naming
the field, so a typo in a test's fault never silently injects nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    LATENCY = "latency"  # wait ms, then answer normally
    STATUS = "status"  # a 5xx with Binance's body
    RATE_LIMIT = "rate_limit"  # 429, -1003, Retry-After
    BAN = "ban"  # 418, -1003, Retry-After
    REJECT = "reject"  # a given Binance code and message, request not applied
    DROP_RESPONSE = "drop_response"  # apply the request, then close without answering
    TIMEOUT = "timeout"  # hold the request ms, then close without answering


class RuleError(ValueError):
    pass


# Binance's bodies for its own 5xx answers (execution status unknown to the client).
SERVER_ERRORS: dict[int, tuple[int, str]] = {
    500: (-1000, "An unknown error occurred while processing the request."),
    502: (-1001, "Internal error; unable to process your request. Please try again."),
    503: (-1001, "Internal error; unable to process your request. Please try again."),
    504: (
        -1007,
        "Timeout waiting for response from backend server. "
        "Send status unknown; execution status unknown.",
    ),
}
DEFAULT_TIMEOUT_MS = 15_000  # longer than python-binance's 10 s default request timeout
_MAX_MS = 600_000

_COMMON = frozenset({"action", "method", "path", "apiKey", "times", "probability", "seed"})
_EXTRA: dict[Action, frozenset[str]] = {
    Action.LATENCY: frozenset({"ms"}),
    Action.STATUS: frozenset({"status", "code", "msg", "apply"}),
    Action.RATE_LIMIT: frozenset({"retryAfter"}),
    Action.BAN: frozenset({"retryAfter"}),
    Action.REJECT: frozenset({"status", "code", "msg"}),
    Action.DROP_RESPONSE: frozenset(),
    Action.TIMEOUT: frozenset({"ms", "apply"}),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultRule:
    action: Action
    method: str | None = None  # None: any method
    path: str = "/"  # prefix of the request path; /sim/ routes are never hit
    api_key: str | None = None  # only requests carrying this X-MBX-APIKEY
    times: int | None = None  # fire this many times, then stay inert; None: unlimited
    probability: float = 1.0  # chance to fire on each matching request
    seed: int = 0  # seeds the rule's own PRNG: the same requests draw the same faults
    ms: int = 0  # latency: the delay; timeout: how long the request is held
    status: int = 0  # status and reject: the HTTP status
    code: int = 0  # status and reject: Binance's error code
    msg: str = ""
    retry_after: int = 0  # rate_limit and ban: the Retry-After header, seconds
    apply: bool = False  # status and timeout: run the request first (outcome unknown)

    def matches(self, method: str, path: str, api_key: str | None) -> bool:
        if self.method is not None and method.upper() != self.method:
            return False
        if self.api_key is not None and api_key != self.api_key:
            return False
        return path.startswith(self.path)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"action": str(self.action), "path": self.path}
        optional = {"method": self.method, "apiKey": self.api_key, "times": self.times}
        body.update({name: value for name, value in optional.items() if value is not None})
        body["probability"] = self.probability
        body["seed"] = self.seed
        for name in sorted(_EXTRA[self.action]):
            body[name] = getattr(self, _ATTRIBUTE.get(name, name))
        return body


_ATTRIBUTE = {"retryAfter": "retry_after"}


def parse_rule(body: object) -> FaultRule:
    if not isinstance(body, dict):
        raise RuleError("each rule must be a JSON object")
    try:
        action = Action(str(body.get("action")))
    except ValueError:
        raise RuleError(f"action must be one of {', '.join(Action)}") from None
    unknown = set(body) - _COMMON - _EXTRA[action]
    if unknown:
        raise RuleError(f"{action} rule: unknown or unused field(s) {', '.join(sorted(unknown))}")
    method = _text(body, "method")
    path = _text(body, "path") or "/"
    if not path.startswith("/"):
        raise RuleError("path must start with /")
    probability = body.get("probability", 1.0)
    if isinstance(probability, bool) or not isinstance(probability, int | float):
        raise RuleError("probability must be a number")
    if not 0 < probability <= 1:
        raise RuleError("probability must be in (0, 1]")
    times = body.get("times")
    return FaultRule(
        action=action,
        method=method.upper() if method else None,
        path=path,
        api_key=_text(body, "apiKey"),
        times=None if times is None else _int(body, "times", 0, 10**9),
        probability=float(probability),
        seed=_int(body, "seed", -(2**63), 2**63 - 1, 0),
        **_action_fields(action, body),
    )


def _action_fields(action: Action, body: dict[str, Any]) -> dict[str, Any]:
    apply = body.get("apply", False)
    if not isinstance(apply, bool):
        raise RuleError("apply must be true or false")
    if action is Action.LATENCY:
        return {"ms": _int(body, "ms", 0, _MAX_MS)}
    if action is Action.TIMEOUT:
        return {"ms": _int(body, "ms", 0, _MAX_MS, DEFAULT_TIMEOUT_MS), "apply": apply}
    if action in (Action.RATE_LIMIT, Action.BAN):
        default = 1 if action is Action.RATE_LIMIT else 120
        return {"retry_after": _int(body, "retryAfter", 0, 86_400, default)}
    if action is Action.STATUS:
        status = _int(body, "status", 500, 599, 503)
        if status not in SERVER_ERRORS:
            raise RuleError(f"status must be one of {', '.join(map(str, SERVER_ERRORS))}")
        code, msg = SERVER_ERRORS[status]
        return {
            "status": status,
            "code": _int(body, "code", -(10**6), 0, code),
            "msg": _text(body, "msg") or msg,
            "apply": apply,
        }
    if action is Action.REJECT:
        message = _text(body, "msg")
        if not message:
            raise RuleError("reject needs msg")
        return {
            "status": _int(body, "status", 400, 499, 400),
            "code": _int(body, "code", -(10**6), -1),
            "msg": message,
        }
    return {}


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise RuleError(f"{name} must be a string")
    return value


def _int(body: dict[str, Any], name: str, low: int, high: int, default: int | None = None) -> int:
    value = body.get(name, default)
    if value is None:
        raise RuleError(f"{name} is required")
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RuleError(f"{name} must be a whole number from {low} to {high}")
    return value
