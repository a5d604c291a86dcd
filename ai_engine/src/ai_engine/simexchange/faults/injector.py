"""The fault rule set of one server and the middleware that applies it.

Rules are tried in the order they were posted; the first one that matches a request, still has
shots left and wins its probability draw decides that request. Each rule draws from its own
PRNG (seeded by the rule), so the same sequence of requests meets the same faults every run.
``/sim/`` admin routes are never touched: a test must always be able to reach the controls.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from ai_engine.simexchange import errors
from ai_engine.simexchange.faults.rules import Action, FaultRule
from ai_engine.simexchange.limits import RequestWeights, wall_clock_ms

ADMIN_PREFIX = "/sim/"


@dataclass(slots=True)
class ArmedRule:
    id: int
    rule: FaultRule
    rng: random.Random = field(repr=False)
    fired: int = 0

    @property
    def remaining(self) -> int | None:
        return None if self.rule.times is None else max(0, self.rule.times - self.fired)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.rule.to_json(),
            "fired": self.fired,
            "remaining": self.remaining,
        }


WEIGHT_HEADER = "X-MBX-USED-WEIGHT-1M"


class FaultInjector:
    def __init__(self, weights: RequestWeights) -> None:
        self.weights = weights  # an injected 429 arms the ban like a real one
        self.weight_limit = weights.limit  # quoted in the rate_limit message, as Binance does
        self._rules: list[ArmedRule] = []
        self._next_id = 1

    def add(self, rules: list[FaultRule]) -> list[ArmedRule]:
        added = []
        for rule in rules:
            added.append(ArmedRule(self._next_id, rule, random.Random(rule.seed)))
            self._next_id += 1
        self._rules += added
        return added

    def remove(self, rule_id: int) -> bool:
        kept = [armed for armed in self._rules if armed.id != rule_id]
        found = len(kept) != len(self._rules)
        self._rules = kept
        return found

    def clear(self) -> int:
        count, self._rules = len(self._rules), []
        return count

    @property
    def rules(self) -> list[ArmedRule]:
        return list(self._rules)

    def pick(self, method: str, path: str, api_key: str | None) -> FaultRule | None:
        """The rule that fires on this request, if any (counting the shot)."""
        for armed in self._rules:
            rule = armed.rule
            if armed.remaining == 0 or not rule.matches(method, path, api_key):
                continue
            if rule.probability < 1 and armed.rng.random() >= rule.probability:
                continue
            armed.fired += 1
            return rule
        return None


FAULTS = web.AppKey("sim_faults", FaultInjector)


@web.middleware
async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    injector = request.app.get(FAULTS)
    if injector is None or request.path.startswith(ADMIN_PREFIX):
        return await handler(request)
    rule = injector.pick(request.method, request.path, request.headers.get("X-MBX-APIKEY"))
    if rule is None:
        return await handler(request)
    return await _perform(rule, injector, request, handler)


async def _perform(
    rule: FaultRule, injector: FaultInjector, request: web.Request, handler: Handler
) -> web.StreamResponse:
    action = rule.action
    if action is Action.LATENCY:
        await asyncio.sleep(rule.ms / 1000)
        return await handler(request)
    if action is Action.DROP_RESPONSE:
        await handler(request)  # the order IS placed; only the answer is lost
        return _drop(request)
    if action is Action.TIMEOUT:
        if rule.apply:
            await handler(request)
        await asyncio.sleep(rule.ms / 1000)
        return _drop(request)
    if action is Action.STATUS and rule.apply:
        await handler(request)  # a 5xx after the fact: Binance's "execution status unknown"
    if action is Action.RATE_LIMIT:
        # Binance's 429 carries the weight header; a request before Retry-After is banned.
        ip = request.remote or "unknown"
        error = _error(rule, injector)
        injector.weights.rate_limited(ip, rule.retry_after)
        error.headers[WEIGHT_HEADER] = str(max(injector.weights.used(ip), injector.weight_limit))
        raise error
    raise _error(rule, injector)  # the guard middleware turns it into Binance's JSON answer


def _error(rule: FaultRule, injector: FaultInjector) -> errors.BinanceError:
    if rule.action is Action.RATE_LIMIT:
        return errors.too_much_weight(injector.weight_limit, rule.retry_after)
    if rule.action is Action.BAN:
        return errors.banned(wall_clock_ms() + rule.retry_after * 1000, rule.retry_after)
    return errors.BinanceError(rule.code, rule.msg, rule.status)


def _drop(request: web.Request) -> web.StreamResponse:
    """Close the connection without sending a byte: the client sees it die mid-request.

    aiohttp then fails to write the response below to the closed transport and moves on.
    """
    protocol = request.protocol
    if protocol is not None:
        protocol.force_close()
    return web.Response(status=204)
