"""Parsing of posted fault rules: defaults, Binance's bodies, and refusals that name the field."""

from __future__ import annotations

from typing import Any

import pytest

from ai_engine.simexchange.faults import Action, RuleError, parse_rule


def test_defaults_and_binance_bodies() -> None:
    rule = parse_rule({"action": "status"})
    assert (rule.status, rule.code, rule.apply, rule.path, rule.times) == (
        503,
        -1001,
        False,
        "/",
        None,
    )
    assert rule.msg == "Internal error; unable to process your request. Please try again."
    assert parse_rule({"action": "status", "status": 504}).code == -1007
    assert parse_rule({"action": "status", "status": 500}).code == -1000
    assert parse_rule({"action": "timeout"}).ms == 15_000  # past python-binance's 10 s default
    assert parse_rule({"action": "ban"}).retry_after == 120
    posted = {"action": "latency", "ms": 5, "method": "post", "apiKey": "k", "times": 2}
    rule = parse_rule(posted)
    assert (rule.action, rule.method, rule.api_key, rule.times) == (Action.LATENCY, "POST", "k", 2)
    assert rule.to_json() == {
        "action": "latency", "path": "/", "method": "POST", "apiKey": "k", "times": 2,
        "probability": 1.0, "seed": 0, "ms": 5,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ([], "JSON object"),
        ({"action": "explode"}, "action must be one of"),
        ({"action": "latency"}, "ms is required"),
        ({"action": "latency", "ms": -1}, "ms must be"),
        ({"action": "latency", "ms": 5, "status": 500}, "unknown or unused field(s) status"),
        ({"action": "status", "status": 501}, "status must be one of"),
        ({"action": "reject", "code": -2010}, "reject needs msg"),
        ({"action": "reject", "msg": "no"}, "code is required"),
        ({"action": "drop_response", "probability": 0}, "probability must be in"),
        ({"action": "drop_response", "probability": "1"}, "probability must be a number"),
        ({"action": "drop_response", "path": "api"}, "path must start with /"),
        ({"action": "drop_response", "times": True}, "times must be"),
        ({"action": "timeout", "apply": "yes"}, "apply must be true or false"),
    ],
)
def test_malformed_rules_are_refused(body: Any, complaint: str) -> None:
    with pytest.raises(RuleError, match=complaint.replace("(", r"\(").replace(")", r"\)")):
        parse_rule(body)
