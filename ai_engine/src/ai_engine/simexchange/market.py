"""The replay market source: stored 1m bars of the listed symbols, seen only up to "now".

A symbol replayed tick by tick (``tick_data``) has the 1m bars its stored trades make
(``BarStore.load_trade_bars``), so klines and kline streams agree with its trade stream; minutes
without a trade have no bar, and the first and last bars of a capture cover part of a minute.

A bar is visible once it has closed (``open_time + 1 min <= now``): market data and matching
never look ahead. Prices arrive as float64 from the store and become ``Decimal`` here, once,
snapped to the symbol's tick (``Decimal(repr(x))`` recovers the exchange's decimal string).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from decimal import Decimal

import numpy as np

from ai_engine.domain import Bar, Instrument, MarketType, Price, Quantity, Rounding, from_epoch_ms
from ai_engine.domain.decimals import snap_to_step
from ai_engine.marketdata import Bars, BarStore, resample
from ai_engine.marketdata.intervals import interval_ms

BAR_MS = 60_000
_ONE_MINUTE = timedelta(minutes=1)


def to_decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))


class ReplayMarket:
    """1m bars per symbol held in memory (numpy columns), converted to domain bars on demand."""

    def __init__(
        self,
        store: BarStore,
        instruments: dict[str, Instrument],
        *,
        market: MarketType = MarketType.SPOT,  # USDM: the perpetuals' own bars
        from_trades: Collection[str] = (),  # symbols whose bars come from their stored trades
    ) -> None:
        self.instruments = instruments
        self._bars: dict[str, Bars] = {}
        self._close: dict[str, np.ndarray] = {}
        for symbol in instruments:
            if symbol in from_trades:
                bars = store.load_trade_bars(symbol, "1m", market=market)
            else:
                bars = store.load_bars(symbol, "1m", market=market)
            if len(bars) == 0:
                raise ValueError(f"no {market} 1m bars of {symbol} in {store.root}")
            self._bars[symbol] = bars
            self._close[symbol] = bars.open_time + BAR_MS

    @property
    def symbols(self) -> list[str]:
        return list(self._bars)

    def first_common_close(self) -> int:
        """The close of the first bar every symbol has: the default replay start."""
        return max(int(self._close[symbol][0]) for symbol in self._bars)

    def last_close(self) -> int:
        """The close of the last stored bar of any symbol: where the replay clock stops."""
        return max(int(self._close[symbol][-1]) for symbol in self._bars)

    def first_open(self) -> int:
        return min(int(self._bars[symbol].open_time[0]) for symbol in self._bars)

    def count(self, symbol: str) -> int:
        return len(self._bars[symbol])

    def closed_count(self, symbol: str, now_ms: int) -> int:
        """How many bars of ``symbol`` have closed at ``now_ms``."""
        return int(np.searchsorted(self._close[symbol], now_ms, side="right"))

    def close_time(self, symbol: str, index: int) -> int:
        return int(self._close[symbol][index])

    def open_time(self, symbol: str, index: int) -> int:
        return int(self._bars[symbol].open_time[index])

    def bar(self, symbol: str, index: int) -> Bar:
        """Row ``index`` as a domain ``Bar`` with Decimal prices on the tick grid."""
        bars, inst = self._bars[symbol], self.instruments[symbol]

        def price(column: np.ndarray) -> Price:
            return Price(snap_to_step(to_decimal(column[index]), inst.tick_size, Rounding.NEAREST))

        volume = to_decimal(bars.volume[index])
        buy_volume = min(to_decimal(bars.taker_buy_volume[index]), volume)
        quote = to_decimal(bars.quote_volume[index])
        return Bar(
            instrument_id=inst.id,
            interval=_ONE_MINUTE,
            open_time=from_epoch_ms(int(bars.open_time[index])),
            open=price(bars.open),
            high=price(bars.high),
            low=price(bars.low),
            close=price(bars.close),
            volume=Quantity(volume),
            quote_volume=quote,
            trade_count=int(bars.trades[index]),
            taker_buy_volume=Quantity(buy_volume),
            taker_buy_quote_volume=min(to_decimal(bars.taker_buy_quote_volume[index]), quote),
        )

    def closed(self, symbol: str, now_ms: int, last: int | None = None) -> Bars:
        """The bars closed at ``now_ms`` (the ``last`` of them when given)."""
        count = self.closed_count(symbol, now_ms)
        first = 0 if last is None else max(0, count - last)
        return self._bars[symbol].take(slice(first, count))

    def interesting_from(
        self, symbol: str, start: int, stop: int, thresholds: Thresholds
    ) -> int | None:
        """First index in ``[start, stop)`` whose bar may fill or trigger a resting order."""
        if start >= stop:
            return None
        bars = self._bars[symbol]
        low, high = bars.low[start:stop], bars.high[start:stop]
        hit = (low <= thresholds.low_at_or_below) | (high >= thresholds.high_at_or_above)
        found = np.flatnonzero(hit)
        return start + int(found[0]) if len(found) else None

    def klines(
        self,
        symbol: str,
        interval: str,
        now_ms: int,
        *,
        start_ms: int | None,
        end_ms: int | None,
        limit: int,
    ) -> tuple[Bars, int]:
        """Closed bars of ``interval`` selected as Binance does; returns (bars, interval ms).

        Only whole buckets that closed by ``now_ms`` are served (never the bar in progress).
        """
        step = interval_ms(interval)
        source = self.closed(symbol, now_ms)
        bars = resample(source, interval) if step != BAR_MS else source
        if len(bars) and int(bars.open_time[-1]) + step > now_ms:
            bars = bars.take(slice(0, len(bars) - 1))
        opens = bars.open_time
        lo = 0 if start_ms is None else int(np.searchsorted(opens, start_ms, side="left"))
        hi = len(bars) if end_ms is None else int(np.searchsorted(opens, end_ms, side="right"))
        if start_ms is None and end_ms is not None:
            lo = max(lo, hi - limit)
        elif start_ms is None:
            lo = max(0, hi - limit)
        hi = min(hi, lo + limit)
        return bars.take(slice(lo, max(lo, hi))), step


class Thresholds:
    """Price levels beyond which a bar matters to some resting order (numpy-friendly floats).

    A bar matters if its low is at or below ``low_at_or_below`` or its high at or above
    ``high_at_or_above``; both are conservative (a superset of what the fill rules need).
    """

    __slots__ = ("high_at_or_above", "low_at_or_below")

    def __init__(self, low_at_or_below: float, high_at_or_above: float) -> None:
        self.low_at_or_below = low_at_or_below
        self.high_at_or_above = high_at_or_above
