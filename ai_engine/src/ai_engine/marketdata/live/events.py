"""What a live client hands its sinks: immutable records, and their one JSON shape.

Every event renders (``to_json``) as a flat JSON object with ``type``, ``instrument``
(``binance:spot:BTCUSDT``), ``symbol``, ``market`` and fields of its own. Times are integer
milliseconds since the epoch, UTC (Binance's unit); prices and quantities are the exchange's
decimal strings, never floats. Shapes:

    bar.closed   interval, open_time, close_time (exclusive: open + interval), open, high,
                 low, close, volume, quote_volume, trades, taker_buy_volume,
                 taker_buy_quote_volume, source ("stream" or "backfill")
    bar.update   the same for the bar in progress (x false), without source
    trade        trade_id, price, quantity, aggressor ("buy"/"sell"), time, aggregate (bool)
    book.ticker  update_id, bid, bid_qty, ask, ask_qty, time (event time; receive time on spot)
    mark.price   mark, index, funding_rate, next_funding_time, time
    book.top     best bid/ask of the local L2 book after a depth update: update_id, bid,
                 bid_qty, ask, ask_qty, time; ``null`` for an empty side

A closed bar is published once per series and open time, in open-time order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ai_engine.domain.clock import to_epoch_ms
from ai_engine.domain.instruments import InstrumentId
from ai_engine.domain.market_data import Bar, BookLevel, OrderBookSnapshot, TradeTick

BarSource = Literal["stream", "backfill"]


@dataclass(frozen=True, slots=True)
class BarClosed:
    bar: Bar
    interval: str  # Binance's name of ``bar.interval``: "1m"
    source: BarSource

    @property
    def instrument_id(self) -> InstrumentId:
        return self.bar.instrument_id


@dataclass(frozen=True, slots=True)
class BarUpdated:
    """The bar in progress changed (Binance sends these every second or two)."""

    bar: Bar
    interval: str

    @property
    def instrument_id(self) -> InstrumentId:
        return self.bar.instrument_id


@dataclass(frozen=True, slots=True)
class TradeEvent:
    tick: TradeTick
    aggregate: bool  # an aggTrade (several fills of one taker order at one price)

    @property
    def instrument_id(self) -> InstrumentId:
        return self.tick.instrument_id


@dataclass(frozen=True, slots=True)
class BookTicker:
    """Best bid and ask (one level each) as the ``bookTicker`` stream sends them."""

    book: OrderBookSnapshot

    @property
    def instrument_id(self) -> InstrumentId:
        return self.book.instrument_id


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkPrice:
    instrument_id: InstrumentId
    mark: Decimal
    index: Decimal
    funding_rate: Decimal
    next_funding_time: datetime
    ts: datetime


@dataclass(frozen=True, slots=True)
class BookTop:
    """Top of a local L2 book kept from the diff-depth stream, after an update."""

    book: OrderBookSnapshot

    @property
    def instrument_id(self) -> InstrumentId:
        return self.book.instrument_id


MarketEvent = BarClosed | BarUpdated | TradeEvent | BookTicker | MarkPrice | BookTop


def event_type(event: MarketEvent) -> str:
    return _TYPES[type(event)]


def to_json(event: MarketEvent) -> dict[str, Any]:
    """The event's JSON object (see the module docstring)."""
    instrument = event.instrument_id
    head: dict[str, Any] = {
        "type": event_type(event),
        "instrument": str(instrument),
        "symbol": instrument.symbol,
        "market": str(instrument.market_type),
    }
    if isinstance(event, BarClosed | BarUpdated):
        body = _bar(event.bar, event.interval)
        if isinstance(event, BarClosed):
            body["source"] = event.source
    elif isinstance(event, TradeEvent):
        tick = event.tick
        body = {
            "trade_id": tick.trade_id,
            "price": str(tick.price),
            "quantity": str(tick.quantity),
            "aggressor": str(tick.aggressor),
            "time": to_epoch_ms(tick.ts),
            "aggregate": event.aggregate,
        }
    elif isinstance(event, BookTicker | BookTop):
        body = _top(event.book)
    else:
        body = {
            "mark": str(event.mark),
            "index": str(event.index),
            "funding_rate": str(event.funding_rate),
            "next_funding_time": to_epoch_ms(event.next_funding_time),
            "time": to_epoch_ms(event.ts),
        }
    return head | body


def _bar(bar: Bar, interval: str) -> dict[str, Any]:
    return {
        "interval": interval,
        "open_time": to_epoch_ms(bar.open_time),
        "close_time": to_epoch_ms(bar.close_time),
        "open": str(bar.open),
        "high": str(bar.high),
        "low": str(bar.low),
        "close": str(bar.close),
        "volume": str(bar.volume),
        "quote_volume": str(bar.quote_volume),
        "trades": bar.trade_count,
        "taker_buy_volume": str(bar.taker_buy_volume),
        "taker_buy_quote_volume": str(bar.taker_buy_quote_volume),
    }


def _top(book: OrderBookSnapshot) -> dict[str, Any]:
    def side(level: BookLevel | None) -> tuple[str | None, str | None]:
        return (None, None) if level is None else (str(level.price), str(level.quantity))

    bid, bid_qty = side(book.best_bid)
    ask, ask_qty = side(book.best_ask)
    return {
        "update_id": book.last_update_id,
        "bid": bid,
        "bid_qty": bid_qty,
        "ask": ask,
        "ask_qty": ask_qty,
        "time": to_epoch_ms(book.ts),
    }


_TYPES: dict[type, str] = {
    BarClosed: "bar.closed",
    BarUpdated: "bar.update",
    TradeEvent: "trade",
    BookTicker: "book.ticker",
    MarkPrice: "mark.price",
    BookTop: "book.top",
}
