"""What stream renderers read: the replayed 1m bars of a symbol that closed in a time window.

Reading through ``ReplayMarket.closed(symbol, end_ms)`` means a renderer can only ever see
bars closed by the replay time it was asked for: no look-ahead by construction.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ai_engine.marketdata import Bars
from ai_engine.simexchange.market import ReplayMarket

Events = tuple[list[int], list[bytes]]  # (sort keys, JSON payloads), in order
NO_EVENTS: Events = ([], [])


def bar_key(close_ms: int) -> int:
    """Sort key of an event caused by a bar closing: before anything else at that time."""
    return close_ms * 2


def change_key(time_ms: int) -> int:
    """Sort key of an event caused by a request at ``time_ms`` (after that time's bars)."""
    return time_ms * 2 + 1


class BarWindow:
    """Rows ``[first, first + len)`` of ``history`` (a symbol's 1m bars closed by some time)."""

    __slots__ = ("bars", "first", "history")

    def __init__(self, history: Bars, first: int, stop: int) -> None:
        self.history = history
        self.first = first
        self.bars: Bars = history.take(slice(first, stop))

    @classmethod
    def closed_between(
        cls, market: ReplayMarket, symbol: str, start_ms: int, end_ms: int
    ) -> BarWindow:
        """The bars of ``symbol`` that closed in ``(start_ms, end_ms]``."""
        history = market.closed(symbol, end_ms)  # every bar closed by end_ms, nothing later
        first = min(market.closed_count(symbol, start_ms), len(history))
        return cls(history, first, len(history))

    def __len__(self) -> int:
        return len(self.bars)


def trade_counts(bars: Bars) -> npt.NDArray[np.int64]:
    """Trades per bar, counting a bar with volume but no trade count as one trade: some data
    sets lack the count (the sample's USD-M bars carry 0), and a bar that traded had at least
    one trade."""
    counts = bars.trades.astype(np.int64)
    return np.where((counts == 0) & (bars.volume > 0), 1, counts)


class TradeIds:
    """Synthetic trade ids: bar i's trades are numbered after all trades of bars before it
    (kline ``f``/``L``, trade ``t``, aggTrade ``f``/``l``). Keeps a running count so each
    window costs only its own bars."""

    def __init__(self) -> None:
        self._row = 0
        self._count = 0  # trades in rows [0, _row)

    def ranges(self, window: BarWindow) -> tuple[list[int], list[int]]:
        """(first, last) trade id per bar of ``window``; -1, -1 for a bar without trades."""
        if window.first < self._row:  # not expected (windows move forward): recount
            self._row, self._count = 0, 0
        skipped = window.history.take(slice(self._row, window.first))
        self._count += int(trade_counts(skipped).sum())
        counts = trade_counts(window.bars)
        last = np.cumsum(counts) + self._count
        first = last - counts + 1
        empty = counts == 0
        self._row = window.first + len(counts)
        self._count = int(last[-1]) if len(last) else self._count
        return (
            np.where(empty, -1, first).tolist(),
            np.where(empty, -1, last).tolist(),
        )
