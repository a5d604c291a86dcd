"""Binance stream messages -> typed records, at the boundary.

Input is the text of one combined-stream message, ``{"stream": name, "data": event}``. The
stream name says what the event is (spot ``bookTicker`` events carry no ``e`` field), so it
is looked up among the subscribed streams; anything else is refused. Decimal strings become
``Decimal``/``Price``/``Quantity`` exactly; epoch milliseconds become UTC datetimes.

Anything wrong -- bad JSON, a missing or mistyped field, an unknown stream, values the domain
refuses (a zero price, high below low) -- raises ``BadMessage`` naming the problem; the client
logs it with the message text and goes on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from ai_engine.domain.clock import from_epoch_ms
from ai_engine.domain.enums import OrderSide
from ai_engine.domain.errors import BadMarketData, DomainValueError
from ai_engine.domain.instruments import InstrumentId
from ai_engine.domain.market_data import Bar, BookLevel, OrderBookSnapshot, TradeTick
from ai_engine.domain.values import Price, Quantity
from ai_engine.marketdata.live.events import BookTicker, MarkPrice, TradeEvent
from ai_engine.marketdata.live.subscriptions import StreamKind, StreamSpec, Subscription

Levels = tuple[tuple[str, str], ...]


class BadMessage(ValueError):  # noqa: N818 - reads as what it is
    """A stream message that cannot be used; ``str()`` says why."""


@dataclass(frozen=True, slots=True)
class KlineMessage:
    subscription: Subscription
    bar: Bar
    closed: bool  # Binance's ``x``: the final state of the bar


@dataclass(frozen=True, slots=True, kw_only=True)
class DepthMessage:
    """One diff-depth event (``depthUpdate``); levels stay the exchange's strings."""

    symbol: str
    event_ms: int
    received_ms: int  # local wall clock
    first_id: int  # U
    final_id: int  # u
    prev_final_id: int | None  # pu, USD-M only
    bids: Levels
    asks: Levels


StreamMessage = KlineMessage | TradeEvent | BookTicker | MarkPrice | DepthMessage


class MessageParser:
    """Parses messages of the streams of ``spec``; ``received_ms`` stamps events without time."""

    def __init__(self, spec: StreamSpec) -> None:
        self._spec = spec
        self._subs = spec.by_name()
        self._ids = {s.symbol: spec.instrument(s.symbol) for s in spec.subscriptions}
        self._parsers: dict[StreamKind, Callable[[Subscription, Mapping[str, Any], int], Any]]
        self._parsers = {
            StreamKind.KLINE: self._kline,
            StreamKind.TRADE: self._trade,
            StreamKind.AGG_TRADE: self._trade,
            StreamKind.BOOK_TICKER: self._book_ticker,
            StreamKind.MARK_PRICE: self._mark_price,
            StreamKind.DEPTH: self._depth,
        }

    def parse(self, text: str | bytes, received_ms: int) -> StreamMessage:
        try:
            message = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadMessage(f"not JSON ({exc})") from None
        if not isinstance(message, dict):
            raise BadMessage("not a JSON object")
        name, data = message.get("stream"), message.get("data")
        if not isinstance(name, str) or not isinstance(data, dict):
            raise BadMessage("not a combined-stream message (no stream name and data object)")
        sub = self._subs.get(name)
        if sub is None:
            raise BadMessage(f"stream {name!r} was not subscribed")
        try:
            parsed: StreamMessage = self._parsers[sub.kind](sub, data, received_ms)
        except (KeyError, TypeError) as exc:
            raise BadMessage(f"{name}: missing or mistyped field {exc}") from None
        except (BadMarketData, DomainValueError, InvalidOperation, ValueError) as exc:
            raise BadMessage(f"{name}: {exc}") from None
        return parsed

    def _instrument(self, sub: Subscription, data: Mapping[str, Any]) -> InstrumentId:
        symbol = data.get("s")
        if symbol is not None and symbol != sub.symbol:
            raise BadMessage(f"{sub.name}: event for symbol {symbol!r}")
        return self._ids[sub.symbol]

    def _kline(self, sub: Subscription, data: Mapping[str, Any], _: int) -> KlineMessage:
        k = data["k"]
        if k["i"] != sub.interval:
            raise BadMessage(f"{sub.name}: kline of interval {k['i']!r}")
        bar = bar_of(
            self._instrument(sub, data),
            sub.step_ms,
            [
                k["t"],
                k["o"],
                k["h"],
                k["l"],
                k["c"],
                k["v"],
                k["T"],
                k["q"],
                k["n"],
                k["V"],
                k["Q"],
            ],
        )
        closed = k["x"]
        if not isinstance(closed, bool):
            raise BadMessage(f"{sub.name}: x is not a boolean")
        return KlineMessage(sub, bar, closed)

    def _trade(self, sub: Subscription, data: Mapping[str, Any], _: int) -> TradeEvent:
        aggregate = sub.kind is StreamKind.AGG_TRADE
        maker = data["m"]
        if not isinstance(maker, bool):
            raise BadMessage(f"{sub.name}: m is not a boolean")
        tick = TradeTick(
            instrument_id=self._instrument(sub, data),
            trade_id=str(_int(data["a" if aggregate else "t"], "trade id")),
            price=Price(_decimal(data["p"])),
            quantity=Quantity(_decimal(data["q"])),
            aggressor=OrderSide.SELL if maker else OrderSide.BUY,  # buyer maker: taker sold
            ts=from_epoch_ms(_int(data["T"], "T")),
        )
        return TradeEvent(tick, aggregate)

    def _book_ticker(self, sub: Subscription, data: Mapping[str, Any], received: int) -> BookTicker:
        stamp = data.get("E", received)  # spot bookTicker has no event time
        book = OrderBookSnapshot(
            instrument_id=self._instrument(sub, data),
            bids=_ticker_side(data["b"], data["B"]),
            asks=_ticker_side(data["a"], data["A"]),
            ts=from_epoch_ms(_int(stamp, "E")),
            last_update_id=_int(data["u"], "u"),
        )
        return BookTicker(book)

    def _mark_price(self, sub: Subscription, data: Mapping[str, Any], _: int) -> MarkPrice:
        return MarkPrice(
            instrument_id=self._instrument(sub, data),
            mark=_decimal(data["p"]),
            index=_decimal(data["i"]),
            funding_rate=_decimal(data["r"]),
            next_funding_time=from_epoch_ms(_int(data["T"], "T")),
            ts=from_epoch_ms(_int(data["E"], "E")),
        )

    def _depth(self, sub: Subscription, data: Mapping[str, Any], received: int) -> DepthMessage:
        self._instrument(sub, data)
        pu = data.get("pu")
        return DepthMessage(
            symbol=sub.symbol,
            event_ms=_int(data["E"], "E"),
            received_ms=received,
            first_id=_int(data["U"], "U"),
            final_id=_int(data["u"], "u"),
            prev_final_id=None if pu is None else _int(pu, "pu"),
            bids=_levels(data["b"], "b"),
            asks=_levels(data["a"], "a"),
        )


def bar_of(instrument: InstrumentId, step_ms: int, row: list[Any]) -> Bar:
    """A bar from Binance's kline fields in REST row order: open time, o, h, l, c, volume,
    close time, quote volume, trades, taker buy base, taker buy quote."""
    open_ms, close_ms = _int(row[0], "open time"), _int(row[6], "close time")
    if close_ms != open_ms + step_ms - 1:
        raise BadMessage(f"kline {open_ms}: close time {close_ms} is not open + interval - 1 ms")
    return Bar(
        instrument_id=instrument,
        interval=timedelta(milliseconds=step_ms),
        open_time=from_epoch_ms(open_ms),
        open=Price(_decimal(row[1])),
        high=Price(_decimal(row[2])),
        low=Price(_decimal(row[3])),
        close=Price(_decimal(row[4])),
        volume=Quantity(_decimal(row[5])),
        quote_volume=_decimal(row[7]),
        trade_count=_int(row[8], "trade count"),
        taker_buy_volume=Quantity(_decimal(row[9])),
        taker_buy_quote_volume=_decimal(row[10]),
    )


def _ticker_side(price: Any, qty: Any) -> tuple[BookLevel, ...]:
    """One level, or none: Binance prints an empty side as price and quantity zero."""
    number, amount = _decimal(price), _decimal(qty)
    if number == 0 and amount == 0:
        return ()
    return (BookLevel(Price(number), Quantity(amount)),)


def _decimal(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise BadMessage(f"expected a decimal string, got {value!r}")
    number = Decimal(value)
    if not number.is_finite():
        raise BadMessage(f"not a finite number: {value!r}")
    return number


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadMessage(f"{what} is not an integer: {value!r}")
    return value


def _levels(value: Any, what: str) -> Levels:
    if not isinstance(value, list):
        raise BadMessage(f"{what} is not a list of levels")
    levels: list[tuple[str, str]] = []
    for level in value:
        if not (isinstance(level, list) and len(level) >= 2):
            raise BadMessage(f"{what}: bad level {level!r}")
        price, qty = level[0], level[1]
        _decimal(price)
        _decimal(qty)
        levels.append((price, qty))
    return tuple(levels)
