"""``/sim/faults`` over plain HTTP: post a list, read it back with counters, delete."""

from __future__ import annotations

import requests

from ai_engine.simexchange import ThreadedSimExchange

from .conftest import fault_rules, inject


def test_post_list_and_delete(sim: ThreadedSimExchange) -> None:
    url = f"{sim.base_url}/sim/faults"
    added = inject(
        sim,
        {"action": "latency", "ms": 1, "path": "/api/v3/ping", "times": 2},
        {"action": "drop_response", "method": "post", "path": "/api/v3/order", "apiKey": "k"},
    )
    assert [rule["id"] for rule in added] == [1, 2]
    assert added[1] == {
        "id": 2, "action": "drop_response", "path": "/api/v3/order", "method": "POST",
        "apiKey": "k", "probability": 1.0, "seed": 0, "fired": 0, "remaining": None,
    }  # fmt: skip
    requests.get(f"{sim.api_url}/v3/ping", timeout=5)
    assert [(r["fired"], r["remaining"]) for r in fault_rules(sim)] == [(1, 1), (0, None)]
    one = requests.post(url, json={"action": "ban", "times": 1}, timeout=5)  # a single object
    assert one.status_code == 201
    assert requests.delete(f"{url}/2", timeout=5).json() == {"removed": 1}
    assert requests.delete(f"{url}/2", timeout=5).status_code == 404
    assert requests.delete(f"{url}/x", timeout=5).status_code == 404
    assert [rule["id"] for rule in fault_rules(sim)] == [1, 3]
    assert requests.delete(url, timeout=5).json() == {"removed": 2}
    assert fault_rules(sim) == []


def test_bad_bodies_are_400_and_add_nothing(sim: ThreadedSimExchange) -> None:
    url = f"{sim.base_url}/sim/faults"
    for body in ("not json", '[{"action": "latency", "ms": 1}, {"action": "nope"}]'):
        response = requests.post(url, data=body, timeout=5)
        assert response.status_code == 400
        assert "error" in response.json()
    assert fault_rules(sim) == []
