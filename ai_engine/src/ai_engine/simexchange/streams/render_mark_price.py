"""USD-M ``<symbol>@markPrice[@1s]`` and ``!markPrice@arr[@1s]``: ``markPriceUpdate`` events.

Binance sends them every 3 s (every second with ``@1s``); the replay has 1m bars, so each
closed bar sends one, at its close. The values are the futures venue's, as REST
``premiumIndex`` would answer at that moment:

    p (mark), i (index), P (estimated settle)   the bar's close on the tick: the venue has no
                                                separate mark or index series
    r (funding rate)                            the last funding event settled by the bar's
                                                close (Binance shows a live estimate of the
                                                next one, which would need the future)
    T (next funding time)                       the first stored funding time after the close

Only bars closed by the window's end are read and only funding events at or before each
bar's close: nothing looks ahead. (The next funding *time* is a schedule known in advance.)
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import numpy as np

from ai_engine.domain import Rounding
from ai_engine.domain.decimals import snap_to_step
from ai_engine.simexchange.futures.funding import FundingSchedule
from ai_engine.simexchange.market import BAR_MS, ReplayMarket, to_decimal
from ai_engine.simexchange.streams.names import MarketStream
from ai_engine.simexchange.streams.replay_bars import BarWindow, Events, bar_key

_EVENT = '{"e":"markPriceUpdate","E":%d,"s":"%s","p":"%s","i":"%s","P":"%s","r":"%s","T":%d}'
_ZERO = Decimal(0)


def mark_event(symbol: str, close_ms: int, mark: Decimal, funding: FundingSchedule) -> str:
    """The markPriceUpdate of ``symbol`` at ``close_ms`` with mark price ``mark``."""
    last = funding.last(close_ms)
    rate = last.rate if last is not None else _ZERO
    price = f"{mark:.8f}"
    return _EVENT % (
        close_ms,
        symbol,
        price,
        price,
        price,
        f"{rate:.8f}",
        funding.next_time(close_ms),
    )


class MarkPrices:
    def __init__(
        self, stream: MarketStream, market: ReplayMarket, funding: FundingSchedule
    ) -> None:
        self.stream = stream
        self._market = market
        self._funding = funding
        self._tick = market.instruments[stream.symbol].tick_size

    def render(self, start_ms: int, end_ms: int) -> Events:
        symbol = self.stream.symbol
        window = BarWindow.closed_between(self._market, symbol, start_ms, end_ms)
        keys: list[int] = []
        payloads: list[bytes] = []
        for opened, close in zip(
            window.bars.open_time.tolist(), window.bars.close.tolist(), strict=True
        ):
            closed = opened + BAR_MS
            mark = snap_to_step(to_decimal(close), self._tick, Rounding.NEAREST)
            keys.append(bar_key(closed))
            payloads.append(mark_event(symbol, closed, mark, self._funding).encode())
        return keys, payloads


class AllMarkPrices:
    """One array per bar close of any listed perpetual, with every perpetual's latest mark."""

    def __init__(
        self,
        stream: MarketStream,
        market: ReplayMarket,
        funding: Mapping[str, FundingSchedule],
    ) -> None:
        self.stream = stream
        self._market = market
        self._funding = funding

    def render(self, start_ms: int, end_ms: int) -> Events:
        market = self._market
        history = {symbol: market.closed(symbol, end_ms) for symbol in market.symbols}
        closes = {symbol: bars.open_time + BAR_MS for symbol, bars in history.items()}
        times = sorted({int(t) for column in closes.values() for t in column[column > start_ms]})
        keys: list[int] = []
        payloads: list[bytes] = []
        for closed in times:
            events = []
            for symbol, column in closes.items():
                index = int(np.searchsorted(column, closed, side="right")) - 1
                if index < 0:
                    continue  # not trading yet at that time
                tick = market.instruments[symbol].tick_size
                mark = snap_to_step(
                    to_decimal(history[symbol].close[index]), tick, Rounding.NEAREST
                )
                events.append(mark_event(symbol, closed, mark, self._funding[symbol]))
            keys.append(bar_key(closed))
            payloads.append(("[" + ",".join(events) + "]").encode())
        return keys, payloads
