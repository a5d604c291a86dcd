"""Thousands of random and malformed requests: the server never answers 5xx and keeps serving.

Most requests start from a valid one with a parameter or two changed, and most are signed,
so that the fuzzing reaches past authentication into parsing, filters and matching.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import time
from collections import Counter
from collections.abc import Callable
from urllib.parse import quote

import aiohttp

from ai_engine.simexchange import SimConfig, running_sim_exchange

from .conftest import KEY, SECRET

PATHS = [
    "/api/v3/ping", "/api/v3/time", "/api/v3/exchangeInfo", "/api/v3/klines", "/api/v3/depth",
    "/api/v3/ticker/price", "/api/v3/ticker/bookTicker", "/api/v3/ticker/24hr",
    "/api/v3/order", "/api/v3/order/test", "/api/v3/openOrders", "/api/v3/allOrders",
    "/api/v3/account", "/api/v3/myTrades", "/api/v3/nothing", "/api/v1/order", "/",
    "/sim/clock", "/sim/clock/advance", "/sim/accounts", "/sim/accounts/test-key", "/sim/fills",
]  # fmt: skip
METHODS = ["GET", "GET", "POST", "POST", "DELETE", "PUT", "PATCH"]
NAMES = [
    "symbol", "symbols", "side", "type", "timeInForce", "quantity", "quoteOrderQty", "price",
    "stopPrice", "newClientOrderId", "newOrderRespType", "orderId", "origClientOrderId",
    "interval", "startTime", "endTime", "limit", "fromId", "omitZeroBalances", "ms", "bars",
    "since", "recvWindow", "icebergQty", "x", "",
]  # fmt: skip
VALUES = [
    "BTCUSDT", "ETHUSDT", "btcusdt", "XRPUSDT", "BUY", "SELL", "MARKET", "LIMIT", "LIMIT_MAKER",
    "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT", "GTC", "IOC", "FOK", "ACK", "RESULT", "FULL",
    "1m", "5m", "1M", "0", "1", "-1", "0.001", "0.00001", "1e5", "NaN", "inf", "", " ", "%00",
    "27000.00", "99999999999999999999.99999999", "123456789012345678901234567890",
    "0.000000001", "5", "500", "5000", "1679529660000", '["BTCUSDT"]', '["BTCUSDT",', "true",
    "é", "\u202e", "%FF%FE", "a" * 300, "x-HNA2TXFJ1", "null",
]  # fmt: skip


# Valid requests to start from; mutating one or two parameters reaches the deeper checks.
TEMPLATES = [
    ("GET", "/api/v3/klines", "symbol=BTCUSDT&interval=1m&limit=3"),
    ("GET", "/api/v3/depth", "symbol=ETHUSDT&limit=5"),
    ("GET", "/api/v3/ticker/24hr", "symbol=BTCUSDT"),
    ("POST", "/api/v3/order",
     "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=27000"),
    ("POST", "/api/v3/order", "symbol=ETHUSDT&side=SELL&type=MARKET&quantity=0.01"),
    ("POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=20"),
    ("POST", "/api/v3/order", "symbol=BTCUSDT&side=SELL&type=STOP_LOSS_LIMIT&timeInForce=GTC"
     "&quantity=0.001&price=27000&stopPrice=27010"),
    ("POST", "/api/v3/order/test", "symbol=ETHUSDT&side=BUY&type=LIMIT_MAKER&quantity=0.01"
     "&price=1500"),
    ("GET", "/api/v3/order", "symbol=BTCUSDT&orderId=1"),
    ("DELETE", "/api/v3/order", "symbol=BTCUSDT&orderId=2"),
    ("DELETE", "/api/v3/openOrders", "symbol=BTCUSDT"),
    ("GET", "/api/v3/allOrders", "symbol=BTCUSDT&limit=5"),
    ("GET", "/api/v3/myTrades", "symbol=ETHUSDT"),
    ("GET", "/api/v3/account", ""),
    ("POST", "/sim/clock/advance", "ms=60000"),
]  # fmt: skip


def random_request(rng: random.Random) -> tuple[str, str, list[tuple[str, str]]]:
    if rng.random() < 0.6:
        method, path, query = rng.choice(TEMPLATES)
        pairs = [tuple(item.split("=", 1)) for item in query.split("&") if item]
        for _ in range(rng.randint(0, 2)):
            roll = rng.random()
            if pairs and roll < 0.4:
                index = rng.randrange(len(pairs))
                pairs[index] = (pairs[index][0], rng.choice(VALUES))
            elif pairs and roll < 0.6:
                pairs.pop(rng.randrange(len(pairs)))
            else:
                pairs.append((rng.choice(NAMES), rng.choice(VALUES)))
        if rng.random() < 0.05:
            method = rng.choice(METHODS)
        return method, path, pairs  # type: ignore[return-value]
    pairs = [(rng.choice(NAMES), rng.choice(VALUES)) for _ in range(rng.randint(0, 8))]
    return rng.choice(METHODS), rng.choice(PATHS), pairs


def encode(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(name)}={quote(value)}" for name, value in pairs)


def signed(query: str) -> str:
    payload = f"{query}&timestamp={int(time.time() * 1000)}".lstrip("&")
    signature = hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}&signature={signature}"


async def test_random_requests_never_get_a_5xx(make_config: Callable[..., SimConfig]) -> None:
    rng = random.Random(20240808)
    config = make_config(weight_limit=10**9, orders_per_10s=10**9, orders_per_day=10**9)
    statuses: Counter[int] = Counter()
    async with running_sim_exchange(config) as sim, aiohttp.ClientSession() as session:
        for _ in range(3000):
            method, path, pairs = random_request(rng)
            query = encode(pairs)
            if rng.random() < 0.7:
                query = signed(query)
            headers = {"X-MBX-APIKEY": rng.choice([KEY] * 8 + ["nope", ""])}
            if rng.random() < 0.1:
                query += "&" + rng.choice(["%", "&&", "=", "a=%zz", "signature=", "b"])
            in_body = method != "GET" and rng.random() < 0.7
            url = f"{sim.base_url}{path}" + ("" if in_body else f"?{query}")
            body = query.encode() if in_body else (b"{" if rng.random() < 0.05 else None)
            async with session.request(method, url, data=body, headers=headers) as response:
                await response.read()
                statuses[response.status] += 1
                assert response.status < 500, (method, url, body, await response.text())
        async with session.get(f"{sim.base_url}/api/v3/ping") as response:
            assert response.status == 200
            assert await response.json() == {}
    assert statuses[200] > 100  # the fuzzing reached successful paths too
