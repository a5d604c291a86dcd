"""Bars built live from a trade stream, one trade at a time, with Binance's kline semantics.

A bar covers the bucket ``[open_time, open_time + interval)`` aligned on the UTC epoch (the
buckets of ``intervals.bucket_starts``, so 1s, 5s, 1m... as in ``bars_from_trades``);
``close_time = open_time + interval - 1 ms`` as in Binance's klines. Open, high, low and close
are trade prices by trade order; volume and quote volume (sum of price x quantity) are exact
``Decimal`` sums of the exchange's strings; taker-buy volume and quote volume sum the trades
whose taker bought (``buyer_is_maker`` False); ``trades`` counts them. The trade time used is
the trade's own time (``T``), not the event time.

A bar closes when a trade of a later bucket arrives, or when ``close_until(now_ms)`` is called
with a time at or past the bucket's end. Call it with exchange time less the delay you allow
for trades in flight: a trade that arrives for a bucket already closed is counted in
``late`` and dropped, never reopening a bar. A trade whose id is not above the last one seen is
a duplicate (a reconnect overlap) and is counted in ``duplicates`` and ignored; one whose price
or quantity is not a positive finite number is logged, counted in ``rejected`` and ignored.

Buckets without a trade produce no bar, at every interval. That is what Binance does for 1s
klines; for 1m (and longer) Binance emits a zero-volume bar at the previous close instead; this
builder does not invent one (the same rule as ``bars_from_trades`` and the store: gaps stay
gaps). ``bars_frame`` turns closed bars into the float64 ``Bars`` frame of the historical
path.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np

from ai_engine.domain.errors import DomainValueError
from ai_engine.marketdata.captures import TradeEvent
from ai_engine.marketdata.frames import Bars
from ai_engine.marketdata.intervals import interval_ms

logger = logging.getLogger(__name__)

_WEEK_OFFSET_MS = 4 * 86_400_000  # Binance weeks open on Monday; the epoch was a Thursday
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class TradeBar:
    """One bar of trades; times are int ms UTC, prices and volumes exact decimals."""

    symbol: str
    interval: str
    open_time: int
    close_time: int  # open_time + interval - 1 ms, as in Binance's klines
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    taker_buy_volume: Decimal
    taker_buy_quote_volume: Decimal
    trades: int
    first_trade_id: int
    last_trade_id: int


class _Open:
    """The bar in progress (mutable; frozen into a ``TradeBar`` when it closes)."""

    __slots__ = (
        "buy_quote",
        "buy_volume",
        "close",
        "first_id",
        "high",
        "last_id",
        "low",
        "open",
        "open_time",
        "quote",
        "trades",
        "volume",
    )

    def __init__(self, open_time: int, trade_id: int, price: Decimal) -> None:
        self.open_time = open_time
        self.first_id = self.last_id = trade_id
        self.open = self.high = self.low = self.close = price
        self.volume = self.quote = self.buy_volume = self.buy_quote = _ZERO
        self.trades = 0


class LiveBarBuilder:
    """Bars of one symbol at one ``interval`` ("1s", "5s", "1m", ...) from its trades."""

    def __init__(self, symbol: str, interval: str) -> None:
        self.symbol = symbol
        self.interval = interval
        self._step = interval_ms(interval)
        self._offset = _WEEK_OFFSET_MS if interval.endswith("w") else 0
        self._bar: _Open | None = None
        self._closed_until: int | None = None  # buckets opening before this are closed
        self._last_id: int | None = None
        self.late = 0
        self.duplicates = 0
        self.rejected = 0  # trades whose price or quantity is not a positive finite number

    def add(self, trade: TradeEvent) -> TradeBar | None:
        """Take one trade; returns the bar it closed, if it opened a later bucket."""
        if trade.symbol != self.symbol:
            raise DomainValueError(f"{trade.symbol} trade given to the {self.symbol} bar builder")
        if self._last_id is not None and trade.trade_id <= self._last_id:
            self.duplicates += 1
            return None
        try:
            price, qty = Decimal(trade.price), Decimal(trade.qty)
            valid = price.is_finite() and qty.is_finite() and price > 0 and qty > 0
        except InvalidOperation:
            valid = False
        if not valid:
            self.rejected += 1
            logger.warning(
                "%s %s: trade %d dropped: price %r, quantity %r",
                self.symbol,
                self.interval,
                trade.trade_id,
                trade.price,
                trade.qty,
            )
            return None
        start = self._bucket(trade.trade_ms)
        bar = self._bar
        closed: TradeBar | None = None
        if bar is None or start != bar.open_time:
            if (bar is not None and start < bar.open_time) or (
                self._closed_until is not None and start < self._closed_until
            ):
                self.late += 1
                logger.warning(
                    "%s %s: trade %d at %d is late for its closed bar; dropped",
                    self.symbol,
                    self.interval,
                    trade.trade_id,
                    trade.trade_ms,
                )
                return None
            if bar is not None:
                closed = self._close(bar)
            bar = self._bar = _Open(start, trade.trade_id, price)
        self._last_id = trade.trade_id
        quote = price * qty
        if price > bar.high:
            bar.high = price
        elif price < bar.low:
            bar.low = price
        bar.close = price
        bar.volume += qty
        bar.quote += quote
        if not trade.buyer_is_maker:  # the buyer was the taker
            bar.buy_volume += qty
            bar.buy_quote += quote
        bar.trades += 1
        bar.last_id = trade.trade_id
        return closed

    def add_many(self, trades: Iterable[TradeEvent]) -> list[TradeBar]:
        """Take trades in order; returns the bars they closed."""
        closed = []
        for trade in trades:
            bar = self.add(trade)
            if bar is not None:
                closed.append(bar)
        return closed

    def close_until(self, now_ms: int) -> list[TradeBar]:
        """Close the bar in progress if its bucket ended at or before ``now_ms``; from then on
        every bucket that ended by ``now_ms`` is closed (a late trade for one is dropped)."""
        bar = self._bar
        closed = []
        if bar is not None and bar.open_time + self._step <= now_ms:
            closed.append(self._close(bar))
        current = self._bucket(now_ms)
        if self._closed_until is None or current > self._closed_until:
            self._closed_until = current
        return closed

    @property
    def current(self) -> TradeBar | None:
        """The bar in progress, as it stands (not closed)."""
        return None if self._bar is None else self._freeze(self._bar)

    def _bucket(self, ms: int) -> int:
        return ms - (ms - self._offset) % self._step

    def _close(self, bar: _Open) -> TradeBar:
        self._bar = None
        self._closed_until = bar.open_time + self._step
        return self._freeze(bar)

    def _freeze(self, bar: _Open) -> TradeBar:
        return TradeBar(
            symbol=self.symbol,
            interval=self.interval,
            open_time=bar.open_time,
            close_time=bar.open_time + self._step - 1,
            open=bar.open,
            high=bar.high,
            low=bar.low,
            close=bar.close,
            volume=bar.volume,
            quote_volume=bar.quote,
            taker_buy_volume=bar.buy_volume,
            taker_buy_quote_volume=bar.buy_quote,
            trades=bar.trades,
            first_trade_id=bar.first_id,
            last_trade_id=bar.last_id,
        )


def bars_frame(bars: Sequence[TradeBar]) -> Bars:
    """Closed bars as the float64 ``Bars`` frame (the one float conversion)."""
    if not bars:
        return Bars.empty()

    def floats(name: str) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
        return np.array([float(getattr(bar, name)) for bar in bars], dtype=np.float64)

    return Bars(
        open_time=np.array([bar.open_time for bar in bars], dtype=np.int64),
        open=floats("open"),
        high=floats("high"),
        low=floats("low"),
        close=floats("close"),
        volume=floats("volume"),
        quote_volume=floats("quote_volume"),
        taker_buy_volume=floats("taker_buy_volume"),
        taker_buy_quote_volume=floats("taker_buy_quote_volume"),
        trades=np.array([bar.trades for bar in bars], dtype=np.int64),
    )
