"""Every /fapi endpoint and user data event answers with exactly the keys and value types of
its fixture (tests/simexchange/futures/fixtures/<endpoint>.json), recursively. The fixtures
pin Binance's documented field names and types (see fixtures/README.md)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from binance import Client
from binance.exceptions import BinanceAPIException

from ai_engine.simexchange import ThreadedSimExchange
from ai_engine.simexchange.streams.bus import user_channel
from simexchange.conftest import KEY
from simexchange.test_fixtures import shape_mismatches

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def answers(sim: ThreadedSimExchange, client: Client) -> dict[str, Any]:
    queue: asyncio.Queue[Any] = sim.call(lambda ex: ex.bus.subscribe(user_channel("usdm", KEY)))
    sim.advance(bars=5)
    symbol = {"symbol": "BTCUSDT"}
    got: dict[str, Any] = {
        "ping": client.futures_ping(),
        "time": client.futures_time(),
        "exchangeInfo": client.futures_exchange_info(),
        "depth": client.futures_order_book(**symbol, limit=5),
        "klines": client.futures_klines(**symbol, interval="1m", limit=2),
        "markPriceKlines": client.futures_mark_price_klines(**symbol, interval="1m", limit=2),
        "premiumIndex": client.futures_mark_price(**symbol),
        "fundingRate": client.futures_funding_rate(**symbol),
        "ticker_price": client.futures_symbol_ticker(**symbol),
        "ticker_bookTicker": client.futures_orderbook_ticker(**symbol),
        "ticker_24hr": client.futures_ticker(**symbol),
        "trades": client.futures_recent_trades(**symbol, limit=5),
        "aggTrades": client.futures_aggregate_trades(**symbol, limit=5),
        "leverage": client.futures_change_leverage(**symbol, leverage=10),
        "marginType": client.futures_change_margin_type(**symbol, marginType="ISOLATED"),
    }
    got["order"] = client.futures_create_order(
        **symbol, side="BUY", type="MARKET", quantity="0.02", newOrderRespType="RESULT"
    )
    resting = client.futures_create_order(
        **symbol, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price="100000"
    )
    got["order_get"] = client.futures_get_order(**symbol, orderId=resting["orderId"])
    got["openOrders"] = client.futures_get_open_orders(**symbol)
    got["order_cancel"] = client.futures_cancel_order(**symbol, orderId=resting["orderId"])
    got["allOrders"] = client.futures_get_all_orders(**symbol)
    got["allOpenOrders"] = client.futures_cancel_all_open_orders(**symbol)
    got["countdownCancelAll"] = client.futures_countdown_cancel_all(**symbol, countdownTime=0)
    got["userTrades"] = client.futures_account_trades(**symbol)
    got["algoOrder"] = client.futures_create_order(
        **symbol, side="SELL", type="STOP_MARKET", stopPrice="100000", closePosition=True
    )
    algo_id = got["algoOrder"]["algoId"]
    got["algoOrder_get"] = client.futures_get_order(**symbol, algoId=algo_id)
    got["openAlgoOrders"] = client.futures_get_open_orders(conditional=True)
    got["algoOrder_cancel"] = client.futures_cancel_order(**symbol, algoId=algo_id)
    got["allAlgoOrders"] = client.futures_get_all_orders(**symbol, conditional=True)
    got["algoOpenOrders"] = client.futures_cancel_all_open_orders(**symbol, conditional=True)
    got["positionRisk_v3"] = client.futures_position_information(**symbol)
    got["positionRisk_v2"] = client.futures_position_information(**symbol, version=2)
    got["account_v2"] = client.futures_account()
    got["account_v3"] = client.futures_account(version=3)
    got["balance_v3"] = client.futures_account_balance()
    got["balance_v2"] = client.futures_account_balance(version=2)
    got["income"] = client.futures_income_history()
    got["commissionRate"] = client.futures_commission_rate(**symbol)
    got["listenKey"] = {"listenKey": client.futures_stream_get_listen_key()}
    try:
        client.futures_create_order(**symbol, side="SELL", type="MARKET", quantity="0")
    except BinanceAPIException as exc:
        got["error"] = {"code": exc.code, "msg": exc.message}
    events = sim.call(lambda ex: [queue.get_nowait() for _ in range(queue.qsize())])
    for event in events:
        got.setdefault(f"event_{event['e']}", event)
    return got


def test_every_endpoint_matches_the_documented_shape(
    fsim: ThreadedSimExchange, fclient: Client
) -> None:
    got = answers(fsim, fclient)
    names = sorted(path.stem for path in FIXTURES.glob("*.json"))
    assert sorted(got) == names
    problems = {name: shape_mismatches(got[name], fixture(name)) for name in names}
    assert {name: found for name, found in problems.items() if found} == {}
