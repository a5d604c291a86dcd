"""The replay market and clock, made live: bars arrive while the exchange runs.

``LiveMarket`` keeps the replay market's interface (the exchange, the endpoints and the
streams read it unchanged) over arrays that grow as closed bars come in. ``LiveClock`` is the
wall clock: in paper trading the market's "now" is the real now, it never ends and cannot be
advanced. Bars are still only visible once closed, so nothing here can look ahead.

Memory grows by one bar per symbol per minute (about 40 MB per symbol-year); a paper-trading
process is not expected to run for years without a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime

import numpy as np

from ai_engine.domain import Instrument, to_epoch_ms
from ai_engine.marketdata import Bars
from ai_engine.simexchange.clock import ReplayClock
from ai_engine.simexchange.limits import wall_clock_ms
from ai_engine.simexchange.market import BAR_MS, ReplayMarket

NEVER_MS = to_epoch_ms(datetime(9999, 1, 1, tzinfo=UTC))  # the live clock's "end of data"


class LiveMarket(ReplayMarket):
    def __init__(self, instruments: dict[str, Instrument], history: dict[str, Bars]) -> None:
        # Not ReplayMarket.__init__: these bars come from the network, not from the store.
        self.instruments = instruments
        self._bars = {}
        self._close = {}
        for symbol in instruments:
            bars = history.get(symbol, Bars.empty())
            if len(bars) == 0:
                raise ValueError(f"no closed 1m bars of {symbol} to start from")
            self._set(symbol, bars)

    def last_open(self, symbol: str) -> int:
        return int(self._bars[symbol].open_time[-1])

    def append(self, symbol: str, bars: Bars) -> int:
        """Add the bars that are newer than the last one held; returns how many were added."""
        fresh = bars.take(np.flatnonzero(bars.open_time > self.last_open(symbol)))
        if len(fresh) == 0:
            return 0
        held = self._bars[symbol]
        joined = {
            f.name: np.concatenate((getattr(held, f.name), getattr(fresh, f.name)))
            for f in fields(Bars)
        }
        self._set(symbol, Bars(**joined))
        return len(fresh)

    def _set(self, symbol: str, bars: Bars) -> None:
        if np.any(np.diff(bars.open_time) <= 0):
            raise ValueError(f"{symbol}: bars out of time order")
        self._bars[symbol] = bars
        self._close[symbol] = bars.open_time + BAR_MS


class LiveClock(ReplayClock):
    """Wall time, read through ``now_ms`` (injectable, so tests can say what "now" is)."""

    def __init__(self, now_ms: Callable[[], int] = wall_clock_ms) -> None:
        self._now = now_ms
        super().__init__(now_ms(), NEVER_MS, 1.0)

    def now_ms(self) -> int:
        return self._now()

    def advance(self, ms: int) -> int:
        """Live time moves by itself: an admin "advance" changes nothing."""
        return self.now_ms()
