"""The USD-M symbol table: ETHUSDT is listed with Binance's filters beside BTCUSDT."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from binance.exceptions import BinanceAPIException

from ai_engine.simexchange import AccountSpec, SimConfig, ThreadedSimExchange
from ai_engine.simexchange.futures.config import FuturesConfig
from ai_engine.simexchange.futures.symbols import futures_spec_for
from simexchange.conftest import KEY, SECRET, Client


def test_ethusdt_has_binances_filters_and_precision(
    two_perps_store: Path, fclient_for: Callable[..., Client]
) -> None:
    config = SimConfig(
        data_dir=two_perps_store,
        symbols=(),
        futures=FuturesConfig(symbols=("BTCUSDT", "ETHUSDT"), wallets=((KEY, Decimal(1000)),)),
        accounts=(AccountSpec(api_key=KEY, secret=SECRET),),
    )
    with ThreadedSimExchange(config) as server:
        client = fclient_for(server.base_url)
        info = client.futures_exchange_info()
        eth = next(row for row in info["symbols"] if row["symbol"] == "ETHUSDT")
        filters = {f["filterType"]: f for f in eth["filters"]}
        assert (eth["pricePrecision"], eth["quantityPrecision"]) == (2, 3)
        assert filters["PRICE_FILTER"]["tickSize"] == "0.01"
        lot = filters["LOT_SIZE"]
        assert (lot["stepSize"], lot["minQty"], lot["maxQty"]) == ("0.001", "0.001", "10000")
        assert filters["MARKET_LOT_SIZE"]["maxQty"] == "8000"
        assert filters["MIN_NOTIONAL"]["notional"] == "20"
        # 0.007 ETH at ~2,700 USDT is ~19 USDT: under ETHUSDT's 20 (BTCUSDT's 100 would not
        # decide this), so the symbol's own row is what refuses it.
        with pytest.raises(BinanceAPIException) as refused:
            client.futures_create_order(symbol="ETHUSDT", side="BUY", type="MARKET",
                                        quantity="0.007")  # fmt: skip
        assert refused.value.code == -4164
        order = client.futures_create_order(
            symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.010", newOrderRespType="RESULT"
        )
        assert order["status"] == "FILLED"


def test_ethusdt_uses_btcusdts_brackets_until_its_own_are_known() -> None:
    assert futures_spec_for("ETHUSDT").brackets is futures_spec_for("BTCUSDT").brackets
