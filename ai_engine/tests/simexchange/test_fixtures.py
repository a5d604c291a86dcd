"""Every spot endpoint answers with exactly the keys and value types of Binance's documented
example (tests/simexchange/fixtures/<endpoint>.json), recursively."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
from binance import Client

from ai_engine.simexchange import ThreadedSimExchange

FIXTURES = Path(__file__).parent / "fixtures"


def shape_mismatches(ours: Any, theirs: Any, path: str = "$") -> list[str]:
    """Where ``ours`` differs from ``theirs`` in keys or value types (empty: same shape).

    A list whose documented elements all have one type is homogeneous: each of our elements
    is compared with the first documented one (filters are matched by ``filterType``). A list
    of mixed types (a kline row) is positional.
    """
    if type(ours) is not type(theirs):
        return [f"{path}: {type(ours).__name__} instead of {type(theirs).__name__}"]
    if isinstance(theirs, dict):
        if set(ours) != set(theirs):
            return [f"{path}: extra {set(ours) - set(theirs)}, missing {set(theirs) - set(ours)}"]
        return [
            m for key in theirs for m in shape_mismatches(ours[key], theirs[key], f"{path}.{key}")
        ]
    if isinstance(theirs, list) and theirs:
        if len({type(item) for item in theirs}) > 1:
            if len(ours) != len(theirs):
                return [f"{path}: {len(ours)} positions instead of {len(theirs)}"]
            return [m for i, (a, b) in enumerate(zip(ours, theirs, strict=True))
                    for m in shape_mismatches(a, b, f"{path}[{i}]")]  # fmt: skip
        by_filter = {item.get("filterType"): item for item in theirs if isinstance(item, dict)}
        found: list[str] = []
        for i, item in enumerate(ours):
            model = (
                by_filter.get(item.get("filterType"), theirs[0])
                if isinstance(item, dict)
                else theirs[0]
            )
            found += shape_mismatches(item, model, f"{path}[{i}]")
        return found
    return []


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def test_the_comparison_catches_differences() -> None:
    assert shape_mismatches({"a": 1, "b": [1]}, {"a": 2, "b": [3]}) == []
    assert shape_mismatches({"a": True}, {"a": 1}) == ["$.a: bool instead of int"]
    assert shape_mismatches({"a": 1}, {"b": 1}) != []
    assert shape_mismatches([[1, "x"]], [[1, "y"]]) == []
    assert shape_mismatches([[1, "x", 2]], [[1, "y"]]) != []


def test_every_endpoint_matches_binance_documented_shape(
    sim: ThreadedSimExchange, client: Client
) -> None:
    sim.advance(bars=5)
    bid = client.get_orderbook_ticker(symbol="BTCUSDT")["bidPrice"]
    limit = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
             "quantity": "0.01", "price": bid}  # fmt: skip
    market = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}
    resting = client.create_order(**limit, newOrderRespType="ACK")
    answers: dict[str, Any] = {
        "ping": client.ping(),
        "time": client.get_server_time(),
        "exchangeInfo": client.get_exchange_info(),
        "klines": client.get_klines(symbol="BTCUSDT", interval="1m"),
        "depth": client.get_order_book(symbol="BTCUSDT", limit=5),
        "ticker_price": client.get_symbol_ticker(symbol="BTCUSDT"),
        "ticker_bookTicker": client.get_orderbook_ticker(symbol="BTCUSDT"),
        "ticker_24hr": client.get_ticker(symbol="BTCUSDT"),
        "order_ack": resting,
        "order_result": client.create_order(**market, newOrderRespType="RESULT"),
        "order_full": client.create_order(**market, newOrderRespType="FULL"),
        "order_test": client.create_test_order(**market),
        "order": client.get_order(symbol="BTCUSDT", orderId=resting["orderId"]),
        "openOrders": client.get_open_orders(symbol="BTCUSDT"),
        "allOrders": client.get_all_orders(symbol="BTCUSDT"),
        "myTrades": client.get_my_trades(symbol="BTCUSDT"),
        "account": client.get_account(),
        "account_commission": client.v3_get_account_commission(symbol="BTCUSDT"),
    }
    answers["order_cancel"] = client.cancel_order(symbol="BTCUSDT", orderId=resting["orderId"])
    client.create_order(**limit)
    answers["openOrders_cancel"] = client.cancel_all_open_orders(symbol="BTCUSDT")
    answers["error"] = requests.get(f"{sim.api_url}/v3/depth?symbol=NOPE", timeout=5).json()
    assert sorted(answers) == sorted(path.stem for path in FIXTURES.glob("*.json"))
    problems = {name: shape_mismatches(answer, fixture(name)) for name, answer in answers.items()}
    assert {name: found for name, found in problems.items() if found} == {}
