"""The public /fapi market-data endpoints through python-binance 1.0.37's futures methods."""

from __future__ import annotations

from decimal import Decimal

import pytest
from binance import Client
from binance.exceptions import BinanceAPIException

from ai_engine.simexchange import ThreadedSimExchange

from .conftest import FIRST_CLOSE, MINUTE

EIGHT_HOURS = 8 * 3_600_000


def test_ping_time_and_exchange_info(fclient: Client) -> None:
    assert fclient.futures_ping() == {}
    assert fclient.futures_time()["serverTime"] > FIRST_CLOSE  # the wall clock
    info = fclient.futures_exchange_info()
    (symbol,) = info["symbols"]
    assert (symbol["symbol"], symbol["contractType"], symbol["marginAsset"]) == (
        "BTCUSDT", "PERPETUAL", "USDT",
    )  # fmt: skip
    assert (symbol["pricePrecision"], symbol["quantityPrecision"]) == (2, 3)
    filters = {f["filterType"]: f for f in symbol["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.1"
    assert filters["LOT_SIZE"]["stepSize"] == "0.001"
    assert filters["MARKET_LOT_SIZE"]["maxQty"] == "120"
    assert filters["MIN_NOTIONAL"]["notional"] == "100"
    assert "TRAILING_STOP_MARKET" in symbol["orderTypes"]
    assert "GTX" in symbol["timeInForce"]
    assert info["rateLimits"][0]["rateLimitType"] == "REQUEST_WEIGHT"


def test_klines_serve_closed_bars_only(fsim: ThreadedSimExchange, fclient: Client) -> None:
    fsim.advance(bars=9)
    rows = fclient.futures_klines(symbol="BTCUSDT", interval="1m")
    assert len(rows) == 10
    assert rows[0][0] == FIRST_CLOSE - MINUTE
    assert rows[0][1] == "108956.00000000"  # the stored open, unchanged
    five = fclient.futures_klines(symbol="BTCUSDT", interval="5m")
    assert len(five) == 2
    mark = fclient.futures_mark_price_klines(symbol="BTCUSDT", interval="1m", limit=3)
    assert [row[4] for row in mark] == [row[4] for row in rows[-3:]]
    assert {row[5] for row in mark} == {"0"}


def test_depth_and_book_ticker_show_the_synthetic_book(fclient: Client) -> None:
    depth = fclient.futures_order_book(symbol="BTCUSDT", limit=5)
    assert len(depth["bids"]) == len(depth["asks"]) == 5
    top = fclient.futures_orderbook_ticker(symbol="BTCUSDT")
    assert [top["bidPrice"], top["askPrice"]] == [depth["bids"][0][0], depth["asks"][0][0]]
    assert Decimal(top["bidPrice"]) < Decimal("108901.40") < Decimal(top["askPrice"])
    with pytest.raises(BinanceAPIException) as caught:
        fclient.futures_order_book(symbol="BTCUSDT", limit=7)
    assert caught.value.code == -4021


def test_mark_price_and_funding_come_from_the_store(
    fsim: ThreadedSimExchange, fclient: Client
) -> None:
    index = fclient.futures_mark_price(symbol="BTCUSDT")
    assert index["markPrice"] == "108901.40000000"  # the close of the first bar
    assert index["lastFundingRate"] == "0.00007331"  # settled at 00:00
    assert index["nextFundingTime"] == FIRST_CLOSE - MINUTE + EIGHT_HOURS
    assert isinstance(fclient.futures_mark_price(), list)
    history = fclient.futures_funding_rate(symbol="BTCUSDT")
    assert [row["fundingTime"] for row in history] == [FIRST_CLOSE - MINUTE]  # none ahead
    fsim.advance(ms=EIGHT_HOURS * 2)
    history = fclient.futures_funding_rate(symbol="BTCUSDT", limit=2)
    assert [row["fundingRate"] for row in history] == ["0.00010000", "0.00009782"]
    assert history[1]["fundingTime"] == 1748275200002  # Binance's own, 2 ms late
    since = fclient.futures_funding_rate(symbol="BTCUSDT", startTime=FIRST_CLOSE, limit=1)
    assert since[0]["fundingTime"] == FIRST_CLOSE - MINUTE + EIGHT_HOURS


def test_tickers(fsim: ThreadedSimExchange, fclient: Client) -> None:
    fsim.advance(bars=59)
    price = fclient.futures_symbol_ticker(symbol="BTCUSDT")  # /fapi/v2/ticker/price
    last = fclient.futures_klines(symbol="BTCUSDT", interval="1m", limit=1)[0]
    assert Decimal(price["price"]) == Decimal(last[4])
    day = fclient.futures_ticker(symbol="BTCUSDT")
    assert day["openTime"] == FIRST_CLOSE - MINUTE
    assert day["lastPrice"] == price["price"]
    assert isinstance(fclient.futures_symbol_ticker(), list)
    assert isinstance(fclient.futures_orderbook_ticker(), list)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda c: c.futures_klines(symbol="ETHUSDT", interval="1m"), -1121),
        (lambda c: c.futures_klines(symbol="BTCUSDT", interval="2m"), -1120),
        (lambda c: c.futures_mark_price(symbol="btc"), -1100),
        (lambda c: c.futures_funding_rate(symbol="BTCUSDT", foo="1"), -1104),
    ],
)
def test_market_data_errors(fclient: Client, call: object, code: int) -> None:
    with pytest.raises(BinanceAPIException) as caught:
        call(fclient)  # type: ignore[operator]
    assert caught.value.code == code
