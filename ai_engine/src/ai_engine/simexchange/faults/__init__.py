"""Fault injection for the simulated exchange's HTTP API (the idempotency test bench).

``install`` gives an application its rule set and the ``/sim/faults`` admin routes;
``middleware`` applies the rules to every non-admin request. Rules, actions and their JSON are
in ``rules``; docs/sim-exchange.md, "Fault injection", shows them as a client sees them.
"""

from __future__ import annotations

from aiohttp import web

from ai_engine.simexchange.faults import admin
from ai_engine.simexchange.faults.injector import FAULTS, ArmedRule, FaultInjector, middleware
from ai_engine.simexchange.faults.rules import Action, FaultRule, RuleError, parse_rule
from ai_engine.simexchange.limits import RequestWeights


def install(app: web.Application, weights: RequestWeights) -> FaultInjector:
    """Attach an empty rule set and its admin routes to ``app`` (faults are off until posted);
    an injected 429 is counted by ``weights`` like a real one."""
    injector = app[FAULTS] = FaultInjector(weights)
    admin.add_routes(app)
    return injector


__all__ = [
    "FAULTS",
    "Action",
    "ArmedRule",
    "FaultInjector",
    "FaultRule",
    "RuleError",
    "install",
    "middleware",
    "parse_rule",
]
