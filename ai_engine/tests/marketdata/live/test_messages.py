"""Wire messages -> typed records: Binance's real payloads parse exactly; anything malformed is a
``BadMessage`` that says what is wrong (the client logs it and goes on)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ai_engine.domain.clock import to_epoch_ms
from ai_engine.domain.enums import MarketType, OrderSide
from ai_engine.marketdata.live import BookTicker, MarkPrice, StreamKind, StreamSpec, TradeEvent
from ai_engine.marketdata.live.messages import BadMessage, DepthMessage, KlineMessage, MessageParser

from .conftest import dumps

MESSAGES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "binance_stream_messages.json").read_text()
)["messages"]
SPOT = StreamSpec.of(
    MarketType.SPOT, ["BTCUSDT"], intervals=["1m"],
    kinds=[StreamKind.TRADE, StreamKind.AGG_TRADE, StreamKind.BOOK_TICKER, StreamKind.DEPTH],
)  # fmt: skip
USDM = StreamSpec.of(
    MarketType.USDM,
    ["BTCUSDT"],
    kinds=[StreamKind.MARK_PRICE, StreamKind.BOOK_TICKER, StreamKind.DEPTH],
)
RECEIVED = 1_680_652_800_123


def parse(spec: StreamSpec, message: dict[str, Any] | str) -> Any:
    text = message if isinstance(message, str) else dumps(message)
    return MessageParser(spec).parse(text.encode(), RECEIVED)


def test_a_closed_kline_becomes_a_bar_with_the_exchange_decimals() -> None:
    parsed = parse(SPOT, MESSAGES["spot_kline"])
    assert isinstance(parsed, KlineMessage)
    bar = parsed.bar
    assert parsed.closed
    assert str(bar.instrument_id) == "binance:spot:BTCUSDT"
    assert bar.interval == timedelta(minutes=1)
    assert to_epoch_ms(bar.open_time) == 1679655600000
    assert (str(bar.open), str(bar.high), str(bar.low), str(bar.close)) == (
        "28039.71000000", "28039.71000000", "28025.02000000", "28025.03000000",
    )  # fmt: skip
    assert bar.volume.value == Decimal("41.09611000")
    assert bar.quote_volume == Decimal("1151962.04634360")
    assert (bar.trade_count, str(bar.taker_buy_volume)) == (847, "18.59627000")
    assert bar.taker_buy_quote_volume == Decimal("521245.25007770")


def test_trades_and_aggregate_trades() -> None:
    data = MESSAGES["spot_trade"]["data"]
    trade = parse(SPOT, MESSAGES["spot_trade"])
    assert isinstance(trade, TradeEvent)
    assert not trade.aggregate
    assert (trade.tick.trade_id, str(trade.tick.price), str(trade.tick.quantity)) == (
        str(data["t"]), data["p"], data["q"],
    )  # fmt: skip
    assert data["m"] is True
    assert trade.tick.aggressor is OrderSide.SELL  # m: the buyer was the maker
    assert to_epoch_ms(trade.tick.ts) == data["T"]  # trade time, not event time E
    assert data["T"] != data["E"]
    agg = parse(SPOT, MESSAGES["spot_aggTrade"])
    assert agg.aggregate
    assert agg.tick.trade_id == "2391155017"


def test_book_tickers_spot_without_event_time_and_futures_with() -> None:
    data = MESSAGES["spot_bookTicker"]["data"]
    spot = parse(SPOT, MESSAGES["spot_bookTicker"])
    assert isinstance(spot, BookTicker)
    assert spot.book.last_update_id == data["u"]
    assert "E" not in data
    assert to_epoch_ms(spot.book.ts) == RECEIVED  # spot sends no E: stamped on receipt
    assert (str(spot.book.bids[0].price), str(spot.book.asks[0].quantity)) == (data["b"], data["A"])
    futures = parse(USDM, MESSAGES["usdm_bookTicker"])
    assert to_epoch_ms(futures.book.ts) == MESSAGES["usdm_bookTicker"]["data"]["E"]


def test_an_empty_side_of_a_book_ticker_is_no_level() -> None:
    message = json.loads(dumps(MESSAGES["spot_bookTicker"]))
    message["data"].update(b="0.00000000", B="0.00000000")
    parsed = parse(SPOT, message)
    assert parsed.book.bids == ()
    assert parsed.book.best_ask is not None


def test_mark_price() -> None:
    data = MESSAGES["usdm_markPrice"]["data"]
    parsed = parse(USDM, MESSAGES["usdm_markPrice"])
    assert isinstance(parsed, MarkPrice)
    assert (str(parsed.mark), str(parsed.index), str(parsed.funding_rate)) == (
        data["p"], data["i"], data["r"],
    )  # fmt: skip
    assert (to_epoch_ms(parsed.next_funding_time), to_epoch_ms(parsed.ts)) == (data["T"], data["E"])


@pytest.mark.parametrize(
    ("spec", "name", "futures"), [(SPOT, "spot_depth", False), (USDM, "usdm_depth", True)]
)
def test_depth_diffs_keep_the_exchange_strings(spec: StreamSpec, name: str, futures: bool) -> None:
    message = json.loads(dumps(MESSAGES[name]))
    message["stream"] = "btcusdt@depth@100ms"  # the capture's futures stream ran at @0ms
    parsed = parse(spec, message)
    data = MESSAGES[name]["data"]
    assert isinstance(parsed, DepthMessage)
    assert (parsed.first_id, parsed.final_id) == (data["U"], data["u"])
    assert parsed.prev_final_id == (data["pu"] if futures else None)
    assert parsed.bids == tuple((p, q) for p, q in data["b"])


def broken(name: str, change: Any) -> dict[str, Any]:
    message = json.loads(dumps(MESSAGES[name]))
    change(message)
    return message


@pytest.mark.parametrize(
    ("message", "says"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (dumps({"result": None, "id": 1}), "not a combined-stream message"),
        (dumps({"stream": "dogeusdt@trade", "data": {}}), "was not subscribed"),
        (broken("spot_kline", lambda m: m["data"]["k"].pop("c")), "missing or mistyped field"),
        (broken("spot_kline", lambda m: m["data"]["k"].update(h="1.0")), "outside low-high"),
        (broken("spot_kline", lambda m: m["data"]["k"].update(o="0.00")), "price must be positive"),
        (broken("spot_kline", lambda m: m["data"]["k"].update(x="true")), "x is not a boolean"),
        (broken("spot_kline", lambda m: m["data"]["k"].update(i="5m")), "interval"),
        (broken("spot_kline", lambda m: m["data"]["k"].update(T=1)), "close time"),
        (broken("spot_kline", lambda m: m["data"]["k"].update(v=41.1)), "decimal string"),
        (broken("spot_kline", lambda m: m["data"]["k"].update(v="NaN")), "not a finite number"),
        (broken("spot_trade", lambda m: m["data"].update(s="ETHUSDT")), "symbol"),
        (broken("spot_trade", lambda m: m["data"].update(q="0.0")), "zero quantity"),
        (broken("spot_trade", lambda m: m["data"].update(t="12")), "trade id is not an integer"),
        (broken("spot_depth", lambda m: m["data"].update(b=[["1.0"]])), "bad level"),
    ],
)
def test_malformed_messages_say_what_is_wrong(message: Any, says: str) -> None:
    with pytest.raises(BadMessage, match=says):
        parse(SPOT, message)
