"""Which request a rule hits: method, path prefix, API key, shots, seeded probability."""

from __future__ import annotations

from ai_engine.simexchange.faults import FaultInjector, parse_rule
from ai_engine.simexchange.limits import RequestWeights


def fired(injector: FaultInjector, requests: int, path: str = "/api/v3/order") -> list[bool]:
    return [injector.pick("POST", path, "k") is not None for _ in range(requests)]


def test_match_on_method_path_and_key() -> None:
    injector = FaultInjector(RequestWeights(6000, 120))
    injector.add([parse_rule({"action": "drop_response", "method": "POST", "path": "/api/v3/order",
                              "apiKey": "k"})])  # fmt: skip
    assert injector.pick("POST", "/api/v3/order", "k") is not None
    assert injector.pick("POST", "/api/v3/order/test", "k") is not None  # a prefix
    assert injector.pick("GET", "/api/v3/order", "k") is None
    assert injector.pick("POST", "/api/v3/account", "k") is None
    assert injector.pick("POST", "/api/v3/order", "other") is None
    assert injector.pick("POST", "/api/v3/order", None) is None


def test_times_then_the_next_rule_then_nothing() -> None:
    injector = FaultInjector(RequestWeights(6000, 120))
    first, second = injector.add(
        [parse_rule({"action": "ban", "times": 2}), parse_rule({"action": "status", "times": 1})]
    )
    actions = [injector.pick("GET", "/api/v3/ping", None) for _ in range(4)]
    assert [rule.action if rule else None for rule in actions] == ["ban", "ban", "status", None]
    assert (first.fired, first.remaining, second.remaining) == (2, 0, 0)


def test_probability_is_reproducible_from_the_seed() -> None:
    def run(seed: int) -> list[bool]:
        injector = FaultInjector(RequestWeights(6000, 120))
        injector.add([parse_rule({"action": "status", "probability": 0.3, "seed": seed})])
        return fired(injector, 200)

    assert run(1) == run(1)
    assert run(1) != run(2)
    assert 30 < sum(run(1)) < 90


def test_remove_and_clear() -> None:
    injector = FaultInjector(RequestWeights(6000, 120))
    one, two = injector.add([parse_rule({"action": "ban"}), parse_rule({"action": "status"})])
    assert injector.remove(one.id)
    assert not injector.remove(one.id)
    assert [armed.id for armed in injector.rules] == [two.id]
    assert injector.clear() == 1
    assert fired(injector, 1) == [False]
