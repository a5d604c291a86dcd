"""The parsers against recorded venue payloads: Binance's documented spot examples and the
USD-M answers pinned in tests/simexchange (one file per endpoint), plus malformed answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ai_engine.domain import (
    InstrumentId,
    LiquiditySide,
    MarketType,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    Price,
    Venue,
)
from ai_engine.execution import MarginType
from ai_engine.venues.binance import BadVenueAnswer, spot_wire, usdm_wire
from ai_engine.venues.binance.instruments_wire import parse_exchange_info
from ai_engine.venues.binance.wire import wire_decimal

TESTS = Path(__file__).resolve().parents[2]
SPOT = TESTS / "simexchange" / "fixtures"
USDM = TESTS / "simexchange" / "futures" / "fixtures"
D = Decimal


def load(folder: Path, name: str) -> Any:
    return json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))


def iid(symbol: str, market: MarketType = MarketType.SPOT) -> InstrumentId:
    return InstrumentId(Venue.BINANCE, market, symbol)


def ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def test_spot_full_answer_carries_its_fills_as_taker_fills() -> None:
    body = load(SPOT, "order_full")
    report = spot_wire.order_report(body, iid("BTCUSDT"), "order")
    assert (report.client_order_id, report.venue_order_id) == (body["clientOrderId"], "28")
    assert (report.side, report.order_type, report.status) == (
        OrderSide.SELL, OrderType.MARKET, OrderStatus.FILLED,
    )  # fmt: skip
    assert report.price is None  # "0.00000000" on a market order
    assert report.filled_quantity.value == D(body["executedQty"])
    assert report.filled_notional == D(body["cummulativeQuoteQty"])
    assert [f.trade_id for f in report.fills] == [str(f["tradeId"]) for f in body["fills"]]
    assert sum(f.quantity.value for f in report.fills) == D("6")
    assert {(f.fee.asset, f.liquidity) for f in report.fills} == {("USDT", LiquiditySide.TAKER)}
    assert report.fills[1].fee.amount == D("19.995")
    assert all(f.ts == ms(body["transactTime"]) for f in report.fills)


def test_spot_query_and_open_orders() -> None:
    for body in (load(SPOT, "order"), load(SPOT, "openOrders")[0]):
        report = spot_wire.order_report(body, iid("LTCBTC"), "order")
        assert report.status is OrderStatus.ACCEPTED
        assert report.price == Price("0.1")
        assert report.stop_price is None  # "0.0"
        assert report.created_at == ms(body["time"])
        assert report.fills == ()


def test_spot_cancel_answer_is_reported_under_the_order_s_own_client_id() -> None:
    body = load(SPOT, "order_cancel")
    report = spot_wire.order_report(body, iid("LTCBTC"), "cancel")
    assert body["clientOrderId"] != body["origClientOrderId"]
    assert report.client_order_id == body["origClientOrderId"]
    assert report.status is OrderStatus.CANCELED


def test_spot_trade_and_account() -> None:
    row = load(SPOT, "myTrades")[0]
    fill = spot_wire.trade_fill(row, iid("BNBBTC"), "mine")
    assert (fill.client_order_id, fill.venue_order_id, fill.trade_id) == ("mine", "100234", "28457")
    assert (fill.side, fill.liquidity) == (OrderSide.BUY, LiquiditySide.TAKER)
    assert (fill.fee.amount, fill.fee.asset) == (D("10.1"), "BNB")
    assert fill.quote_amount() == D("4.00000100") * 12
    account = spot_wire.account_snapshot(load(SPOT, "account"))
    btc = account.balance("BTC")
    assert (btc.total, btc.available, btc.locked) == (D("4723846.89208129"),) * 2 + (0,)
    assert account.balance("DOGE").total == 0


def test_spot_exchange_info_filters() -> None:
    (eth,) = parse_exchange_info(
        load(SPOT, "exchangeInfo"), venue=Venue.BINANCE, market=MarketType.SPOT
    )
    assert eth.id == iid("ETHBTC")
    assert (eth.tick_size, eth.lot_step, eth.min_quantity, eth.max_quantity) == (
        D("0.000001"), D("0.001"), D("0.001"), D("100000"),
    )  # fmt: skip
    assert (eth.min_notional, eth.settlement_asset) == (D("10"), "BTC")


def test_usdm_exchange_info_filters() -> None:
    (btc,) = parse_exchange_info(
        load(USDM, "exchangeInfo"), venue=Venue.BINANCE, market=MarketType.USDM
    )
    assert (btc.tick_size, btc.lot_step, btc.min_notional, btc.settlement_asset) == (
        D("0.1"), D("0.001"), D("100"), "USDT",
    )  # fmt: skip


def test_exchange_info_leaves_out_symbols_not_asked_for_or_not_trading() -> None:
    body = load(SPOT, "exchangeInfo")
    assert parse_exchange_info(body, venue=Venue.SIM, market=MarketType.SPOT, symbols=[]) == []
    body["symbols"][0]["status"] = "BREAK"
    assert parse_exchange_info(body, venue=Venue.SIM, market=MarketType.SPOT) == []


def test_usdm_orders_and_algo_orders() -> None:
    perp = iid("BTCUSDT", MarketType.USDM)
    order = usdm_wire.order_report(load(USDM, "order"), perp, "order")
    assert (order.status, order.order_type, order.filled_notional) == (
        OrderStatus.FILLED, OrderType.MARKET, D("2178.45"),
    )  # fmt: skip
    assert order.avg_fill_price == D("108922.5")
    working = usdm_wire.order_report(load(USDM, "order_get"), perp, "order")
    assert (working.status, working.price) == (OrderStatus.ACCEPTED, Price("100000"))
    algo = usdm_wire.algo_report(load(USDM, "algoOrder_get"), perp, "algoOrder")
    assert algo.venue_order_id == "algo-1"
    assert (algo.is_conditional, algo.close_position, algo.quantity) == (True, True, None)
    assert (algo.order_type, algo.stop_price, algo.triggered_order_id) == (
        OrderType.STOP_MARKET, Price("100000"), None,
    )  # fmt: skip


def test_usdm_trades_balances_and_positions() -> None:
    perp = iid("BTCUSDT", MarketType.USDM)
    fill = usdm_wire.trade_fill(load(USDM, "userTrades")[0], perp, "mine")
    assert (fill.side, fill.liquidity, fill.fee.amount) == (
        OrderSide.BUY, LiquiditySide.TAKER, D("1.089225"),
    )  # fmt: skip
    usdt = usdm_wire.balances(load(USDM, "balance_v3")).balance("USDT")
    assert (usdt.total, usdt.available) == (D("9998.910775"), D("9781.065775"))
    settings = usdm_wire.position_settings(load(USDM, "account_v2"))
    assert settings == {"BTCUSDT": (10, MarginType.ISOLATED)}
    position = usdm_wire.position_report(load(USDM, "positionRisk_v3")[0], perp, settings)
    assert position is not None
    assert (position.side, position.quantity.value, position.leverage) == (
        PositionSide.LONG, D("0.02"), 10,
    )  # fmt: skip
    assert position.liquidation_price == Price("98423.94578313")


@pytest.mark.parametrize(
    ("drop", "message"),
    [("executedQty", "missing field 'executedQty'"), ("status", "missing field 'status'")],
)
def test_a_missing_field_is_named(drop: str, message: str) -> None:
    body = load(SPOT, "order_full")
    del body[drop]
    with pytest.raises(BadVenueAnswer, match=f"order: {message}"):
        spot_wire.order_report(body, iid("BTCUSDT"), "order")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("status", "WEIRD", "unknown status 'WEIRD'"),
        ("origQty", 10.0, "decimal string"),
        ("origQty", "ten", "not a number"),
        ("transactTime", "now", "transactTime. should be an integer"),
    ],
)
def test_a_malformed_field_is_named(field: str, value: object, message: str) -> None:
    body = load(SPOT, "order_full")
    body[field] = value
    with pytest.raises(BadVenueAnswer, match=message):
        spot_wire.order_report(body, iid("BTCUSDT"), "order")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("0.0100"), "0.01"),
        (D("100"), "100"),
        (D("1E-7"), "0.0000001"),
        (D("27000.50"), "27000.5"),
    ],
)
def test_decimals_go_out_plain_without_trailing_zeros(value: Decimal, text: str) -> None:
    assert wire_decimal(value) == text
