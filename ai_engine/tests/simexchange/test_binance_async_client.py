"""python-binance's ``AsyncClient`` against a server running in the test's own event loop."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from binance.exceptions import BinanceAPIException

from ai_engine.simexchange import RunningSim

from .conftest import make_async_client


async def test_async_client_trades_end_to_end(async_sim: RunningSim) -> None:
    client = await make_async_client(async_sim.api_url)  # pings and reads /time
    try:
        assert abs(client.timestamp_offset) < 5_000  # /time is wall-clock time
        assert len((await client.get_exchange_info())["symbols"]) == 2
        async_sim.exchange.advance_bars(3)
        assert len(await client.get_klines(symbol="BTCUSDT", interval="1m")) == 4
        bought = await client.create_order(
            symbol="BTCUSDT", side="BUY", type="MARKET", quoteOrderQty="500"
        )
        assert bought["status"] == "FILLED"
        assert Decimal(bought["cummulativeQuoteQty"]) <= 500
        bid = Decimal((await client.get_orderbook_ticker(symbol="BTCUSDT"))["bidPrice"])
        resting = await client.order_limit_buy(
            symbol="BTCUSDT", quantity="0.01", price=str(bid - 100)
        )
        found = await client.get_order(symbol="BTCUSDT", orderId=resting["orderId"])
        assert found["status"] == "NEW"
        canceled = await client.cancel_order(symbol="BTCUSDT", orderId=resting["orderId"])
        assert canceled["status"] == "CANCELED"
        assert await client.get_open_orders(symbol="BTCUSDT") == []
        assert len(await client.get_my_trades(symbol="BTCUSDT")) == len(bought["fills"])
        account = await client.get_account()
        usdt = next(b for b in account["balances"] if b["asset"] == "USDT")
        assert Decimal(usdt["free"]) == 100_000 - Decimal(bought["cummulativeQuoteQty"])
        client.timestamp_offset = -int(time.time() * 1000) // 2
        with pytest.raises(BinanceAPIException) as caught:
            await client.get_account()
        assert caught.value.code == -1021
    finally:
        await client.close_connection()
