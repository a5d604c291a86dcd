"""The user data parsers against Binance's documented event examples (spot executionReport
and outboundAccountPosition, USD-M ORDER_TRADE_UPDATE and ACCOUNT_UPDATE, as the "User Data
Streams" pages show them), and the malformed payloads that must not stop a stream."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ai_engine.domain import (
    LiquiditySide,
    MarketType,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    Price,
    Quantity,
    Venue,
)
from ai_engine.execution import MarginType
from ai_engine.execution.stream_events import AccountUpdate, OrderUpdate, UnreadableEvent
from ai_engine.venues.binance.user_wire import ListenKeyExpired, UserEventParser

D = Decimal
SPOT = UserEventParser(Venue.BINANCE, MarketType.SPOT)
USDM = UserEventParser(Venue.BINANCE, MarketType.USDM)

EXECUTION_REPORT: dict[str, Any] = {  # Binance spot docs, "Order Update" example
    "e": "executionReport", "E": 1499405658658, "s": "ETHBTC", "c": "mUvoqJxFIILMdfAW5iGSOW",
    "S": "BUY", "o": "LIMIT", "f": "GTC", "q": "1.00000000", "p": "0.10264410",
    "P": "0.00000000", "F": "0.00000000", "g": -1, "C": "", "x": "NEW", "X": "NEW",
    "r": "NONE", "i": 4293153, "l": "0.00000000", "z": "0.00000000", "L": "0.00000000",
    "n": "0", "N": None, "T": 1499405658657, "t": -1, "v": 3, "I": 8641984, "w": True,
    "m": False, "M": False, "O": 1499405658657, "Z": "0.00000000", "Y": "0.00000000",
    "Q": "0.00000000", "W": 1499405658657, "V": "NONE",
}  # fmt: skip
ORDER_TRADE_UPDATE: dict[str, Any] = {  # Binance USD-M docs, "Event: Order Update" example
    "e": "ORDER_TRADE_UPDATE", "E": 1568879465651, "T": 1568879465650,
    "o": {
        "s": "BTCUSDT", "c": "TEST", "S": "SELL", "o": "TRAILING_STOP_MARKET", "f": "GTC",
        "q": "0.001", "p": "0", "ap": "0", "sp": "7103.04", "x": "NEW", "X": "NEW",
        "i": 8886774, "l": "0", "z": "0", "L": "0", "N": "USDT", "n": "0",
        "T": 1568879465650, "t": 0, "b": "0", "a": "9.91", "m": False, "R": False,
        "wt": "CONTRACT_PRICE", "ot": "TRAILING_STOP_MARKET", "ps": "LONG", "cp": False,
        "AP": "7476.89", "cr": "5.0", "pP": False, "si": 0, "ss": 0, "rp": "0",
        "V": "EXPIRE_TAKER", "pm": "OPPONENT", "gtd": 0,
    },
}  # fmt: skip
ACCOUNT_UPDATE: dict[str, Any] = {  # Binance USD-M docs, "Balance and Position Update"
    "e": "ACCOUNT_UPDATE", "E": 1564745798939, "T": 1564745798938,
    "a": {
        "m": "ORDER",
        "B": [{"a": "USDT", "wb": "122624.12345678", "cw": "100.12345678",
               "bc": "50.12345678"}],
        "P": [
            {"s": "BTCUSDT", "pa": "0", "ep": "0.00000", "bep": "0", "cr": "200", "up": "0",
             "mt": "isolated", "iw": "0.00000000", "ps": "BOTH"},
            {"s": "ETHUSDT", "pa": "-10", "ep": "6563.86000", "bep": "6563.6",
             "cr": "-45.04000000", "up": "-1423.15600", "mt": "cross", "iw": "0",
             "ps": "BOTH"},
        ],
    },
}  # fmt: skip


def ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def parse(parser: UserEventParser, body: object) -> Any:
    return parser.parse(json.dumps(body))


def test_spot_new_order() -> None:
    update = parse(SPOT, EXECUTION_REPORT)
    assert isinstance(update, OrderUpdate)
    report = update.report
    assert (report.client_order_id, report.venue_order_id) == ("mUvoqJxFIILMdfAW5iGSOW", "4293153")
    assert (report.side, report.order_type, report.status) == (
        OrderSide.BUY, OrderType.LIMIT, OrderStatus.ACCEPTED,
    )  # fmt: skip
    assert report.price == Price("0.10264410")
    assert report.stop_price is None
    assert report.created_at == ms(1499405658657)
    assert update.fill is None


def test_spot_trade_carries_the_fill_and_a_cancel_its_original_client_id() -> None:
    trade = {
        **EXECUTION_REPORT, "x": "TRADE", "X": "PARTIALLY_FILLED", "l": "0.4", "z": "0.4",
        "L": "0.1026", "n": "0.0004", "N": "ETH", "t": 77, "m": True, "Z": "0.04104",
    }  # fmt: skip
    update = parse(SPOT, trade)
    fill = update.fill
    assert fill is not None
    assert (fill.trade_id, fill.quantity, fill.price) == ("77", Quantity("0.4"), Price("0.1026"))
    assert (fill.fee.amount, fill.fee.asset, fill.liquidity) == (
        D("0.0004"), "ETH", LiquiditySide.MAKER,
    )  # fmt: skip
    assert update.report.filled_notional == D("0.04104")
    cancel = {**EXECUTION_REPORT, "x": "CANCELED", "X": "CANCELED", "c": "cancel-req-1",
              "C": "mUvoqJxFIILMdfAW5iGSOW"}  # fmt: skip
    assert parse(SPOT, cancel).report.client_order_id == "mUvoqJxFIILMdfAW5iGSOW"


def test_spot_account_position() -> None:
    body = {"e": "outboundAccountPosition", "E": 1564034571105, "u": 1564034571073,
            "B": [{"a": "ETH", "f": "10000.000000", "l": "0.000000"}]}  # fmt: skip
    update = parse(SPOT, body)
    assert isinstance(update, AccountUpdate)
    assert (update.balances[0].asset, update.balances[0].total) == ("ETH", D(10000))
    assert update.ts == ms(1564034571073)
    assert not update.complete


def test_usdm_order_trade_update() -> None:
    update = parse(USDM, ORDER_TRADE_UPDATE)
    report = update.report
    assert report.order_type is OrderType.TRAILING_STOP_MARKET
    assert report.stop_price == Price("7103.04")
    assert report.price is None
    assert report.instrument_id.market_type is MarketType.USDM
    assert update.fill is None
    trade = {**ORDER_TRADE_UPDATE, "o": {**ORDER_TRADE_UPDATE["o"], "o": "MARKET", "x": "TRADE",
             "X": "FILLED", "l": "0.001", "z": "0.001", "L": "7100.5", "ap": "7100.5",
             "n": "0.0028402", "t": 12345}}  # fmt: skip
    fill = parse(USDM, trade).fill
    assert fill is not None
    assert (fill.trade_id, fill.fee.asset, fill.liquidity) == ("12345", "USDT", LiquiditySide.TAKER)


def test_usdm_account_update_lists_flat_positions_too() -> None:
    update = parse(USDM, ACCOUNT_UPDATE)
    assert [b.total for b in update.balances] == [D("122624.12345678")]
    flat, short = update.positions
    assert (flat.side, flat.quantity) == (PositionSide.FLAT, Quantity(0))
    assert (short.side, short.quantity, short.margin_type) == (
        PositionSide.SHORT, Quantity(10), MarginType.CROSS,
    )  # fmt: skip
    assert short.entry_price == Price("6563.86")


def test_listen_key_expired_and_unused_events() -> None:
    assert parse(SPOT, {"e": "listenKeyExpired", "E": 1576653824250}) == ListenKeyExpired(
        ms(1576653824250)
    )
    assert parse(SPOT, {"e": "balanceUpdate", "E": 1, "a": "BTC", "d": "1", "T": 1}) is None
    assert parse(USDM, EXECUTION_REPORT) is None  # another market's event


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ("{not json", "Expecting property name"),
        ("[1, 2]", "expected an object"),
        (json.dumps({**EXECUTION_REPORT, "S": "HOLD"}), "unknown S 'HOLD'"),
        (json.dumps({k: v for k, v in EXECUTION_REPORT.items() if k != "q"}), "missing field 'q'"),
        (
            json.dumps(
                {
                    **EXECUTION_REPORT,
                    "x": "TRADE",
                    "n": "0.1",
                    "N": None,
                    "t": 5,
                    "l": "1",
                    "L": "0.1",
                }
            ),
            "commission without its asset",
        ),
    ],
)
def test_bad_payloads_become_unreadable_events(payload: str, says: str) -> None:
    event = SPOT.parse(payload)
    assert isinstance(event, UnreadableEvent)
    assert says in event.error
    assert event.payload == payload[:200]


def test_a_stream_parser_is_for_spot_or_usdm() -> None:
    with pytest.raises(ValueError, match="spot or usdm"):
        UserEventParser(Venue.BINANCE, MarketType.FOREX)
