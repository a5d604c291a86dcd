"""python-binance's ``AsyncClient`` against the futures side, in the test's own event loop."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from binance.exceptions import BinanceAPIException

from ai_engine.simexchange import SimConfig, running_sim_exchange
from simexchange.conftest import KEY, SECRET

from .conftest import async_client_class


async def test_async_client_trades_futures(make_fconfig: Callable[..., SimConfig]) -> None:
    async with running_sim_exchange(make_fconfig()) as sim:
        client = await async_client_class(sim.base_url).create(KEY, SECRET)  # pings, reads /time
        try:
            assert abs(client.timestamp_offset) < 5_000
            assert (await client.futures_exchange_info())["symbols"][0]["symbol"] == "BTCUSDT"
            await client.futures_change_leverage(symbol="BTCUSDT", leverage=50)
            bought = await client.futures_create_order(
                symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.1",
                newOrderRespType="RESULT",
            )  # fmt: skip
            assert bought["status"] == "FILLED"
            algo = await client.futures_create_order(
                symbol="BTCUSDT", side="SELL", type="TAKE_PROFIT_MARKET", stopPrice="109500",
                closePosition=True,
            )  # fmt: skip
            assert (await client.futures_get_open_orders(conditional=True))[0]["algoId"] == algo[
                "algoId"
            ]
            sim.exchange.advance_bars(60)
            fired = await client.futures_get_order(symbol="BTCUSDT", algoId=algo["algoId"])
            assert fired["algoStatus"] == "FINISHED"
            assert await client.futures_position_information(symbol="BTCUSDT") == []
            (_, trade_close) = await client.futures_account_trades(symbol="BTCUSDT")
            assert Decimal(trade_close["realizedPnl"]) > 0
            account = await client.futures_account()
            assert Decimal(account["totalWalletBalance"]) > 10_000
            key = await client.futures_stream_get_listen_key()
            assert await client.futures_stream_keepalive(listenKey=key) == {"listenKey": key}
            with pytest.raises(BinanceAPIException) as caught:
                await client.futures_create_order(
                    symbol="BTCUSDT", side="SELL", type="MARKET", quantity="1", reduceOnly="true"
                )
            assert caught.value.code == -2022
        finally:
            await client.close_connection()
