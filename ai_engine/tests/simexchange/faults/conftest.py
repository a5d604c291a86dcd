"""Fault tests: post rules to a running server's ``/sim/faults`` the way any test would."""

from __future__ import annotations

from typing import Any

import requests

from ai_engine.simexchange import ThreadedSimExchange


def inject(sim: ThreadedSimExchange, *rules: dict[str, Any]) -> list[dict[str, Any]]:
    response = requests.post(f"{sim.base_url}/sim/faults", json=list(rules), timeout=5)
    assert response.status_code == 201, response.text
    added: list[dict[str, Any]] = response.json()["rules"]
    return added


def fault_rules(sim: ThreadedSimExchange) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = requests.get(f"{sim.base_url}/sim/faults", timeout=5).json()[
        "rules"
    ]
    return listed
