"""``/sim/faults``: post, list and clear fault rules (JSON, no authentication, like all of /sim).

POST   /sim/faults        a JSON list of rules (or one rule object) -> 201 {"rules": [added]}
GET    /sim/faults        {"rules": [...]} with "id", "fired" and "remaining" per rule
DELETE /sim/faults        removes every rule -> {"removed": N}
DELETE /sim/faults/{id}   removes one rule (404 if there is none with that id)
"""

from __future__ import annotations

import json

from aiohttp import web

from ai_engine.simexchange.faults.injector import FAULTS, FaultInjector
from ai_engine.simexchange.faults.rules import RuleError, parse_rule


def add_routes(app: web.Application) -> None:
    app.router.add_post("/sim/faults", post_rules)
    app.router.add_get("/sim/faults", list_rules)
    app.router.add_delete("/sim/faults", clear_rules)
    app.router.add_delete("/sim/faults/{id}", delete_rule)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def post_rules(request: web.Request) -> web.StreamResponse:
    try:
        body = json.loads(await request.text())
    except ValueError:
        return _error(400, "body is not JSON")
    items = body if isinstance(body, list) else [body]
    try:
        rules = [parse_rule(item) for item in items]
    except RuleError as exc:
        return _error(400, str(exc))
    added = _injector(request).add(rules)
    return web.json_response({"rules": [armed.to_json() for armed in added]}, status=201)


async def list_rules(request: web.Request) -> web.StreamResponse:
    return web.json_response({"rules": [armed.to_json() for armed in _injector(request).rules]})


async def clear_rules(request: web.Request) -> web.StreamResponse:
    return web.json_response({"removed": _injector(request).clear()})


async def delete_rule(request: web.Request) -> web.StreamResponse:
    text = request.match_info["id"]
    if not text.isdigit() or not _injector(request).remove(int(text)):
        return _error(404, f"no fault rule with id {text}")
    return web.json_response({"removed": 1})


def _injector(request: web.Request) -> FaultInjector:
    return request.app[FAULTS]
