"""The stored ticks of one symbol -- trades, L2 depth events and, for a USD-M perpetual, recorded
mark prices -- held in memory for the replay, and the rule that picks which listed symbols are
replayed tick by tick.

A symbol (spot, or USD-M perpetual) is replayed tick by tick when the store holds both its
trades and its depth in its market (``tradingbot data import`` of a WebSocket capture stores
both) and that depth covers the replay start: from its first stored snapshot to its last event.
The start is ``--start`` if given, else the first close every listed symbol (spot and USD-M)
has -- counted from its 1m bars, or for a symbol without 1m bars, from the bars its trades make.
So a store holding months of bars and a few minutes of capture for the same symbol replays bars
unless the start falls inside the capture.

Mark prices are the ``mark_price`` kind at interval ``1s`` (a capture's ``@markPrice@1s``
events, ``capture_import``): one per second, at the second Binance computed it (the kline's
open time), the kline's close being the mark. A perpetual without them has no recorded marks:
its mark is its last trade price (``matching.futures.ticks``).

Times are epoch ms on the replay clock. A depth event or a mark is visible once ``time <=
now``; a trade once its trade time ``<= now`` (REST ``trades`` keeps its own ``time < now``
rule).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ai_engine.domain import MarketType
from ai_engine.marketdata import BarStore, Trades, UnknownSeries
from ai_engine.marketdata.capture_import import MARK_INTERVAL
from ai_engine.marketdata.captures import DepthDiff, DepthSnapshot
from ai_engine.marketdata.depth import NO_ID, event_starts
from ai_engine.marketdata.frames import Depth

BAR_MS = 60_000
_NO_TIMES: npt.NDArray[np.int64] = np.empty(0, np.int64)
_NO_PRICES: npt.NDArray[np.float64] = np.empty(0, np.float64)


@dataclass(frozen=True, eq=False)
class TickData:
    symbol: str
    trades: Trades
    depth: Depth
    starts: npt.NDArray[np.intp]  # first row of each depth event, plus len(depth)
    event_time: npt.NDArray[np.int64]  # time of each depth event
    mark_time: npt.NDArray[np.int64] = field(default_factory=lambda: _NO_TIMES)
    mark: npt.NDArray[np.float64] = field(default_factory=lambda: _NO_PRICES)  # at mark_time
    market: MarketType = MarketType.SPOT

    @classmethod
    def load(
        cls, store: BarStore, symbol: str, market: MarketType = MarketType.SPOT
    ) -> TickData | None:
        """The symbol's stored ticks; None unless the store holds both trades and depth with
        at least one snapshot."""
        try:
            depth = store.load_depth(symbol, market=market)
            trades = store.load_trades(symbol, market=market)
        except UnknownSeries:
            return None
        if len(trades) == 0 or not depth.is_snapshot.any():
            return None
        starts = event_starts(depth)
        mark_time, mark = _NO_TIMES, _NO_PRICES
        if market is MarketType.USDM:
            try:
                marks = store.load_mark_price(symbol, MARK_INTERVAL, market=market)
                mark_time, mark = marks.open_time, marks.close
            except UnknownSeries:
                pass
        return cls(symbol, trades, depth, starts, depth.time[starts[:-1]], mark_time, mark, market)

    @property
    def events(self) -> int:
        return len(self.event_time)

    @property
    def marks(self) -> int:
        return len(self.mark_time)

    @property
    def first_book_ms(self) -> int:
        """Time of the first snapshot: from then on a book can be shown."""
        return int(self.depth.time[int(np.argmax(self.depth.is_snapshot))])

    @property
    def last_ms(self) -> int:
        last = max(int(self.event_time[-1]), int(self.trades.time[-1]))
        return max(last, int(self.mark_time[-1])) if self.marks else last

    def covers(self, now_ms: int) -> bool:
        return self.first_book_ms <= now_ms <= self.last_ms

    def first_trade_close(self) -> int:
        """Close of the first 1m bar its trades make."""
        return int(self.trades.time[0]) // BAR_MS * BAR_MS + BAR_MS

    def depth_event(self, k: int) -> DepthSnapshot | DepthDiff:
        """Depth event ``k`` as the capture reader's record, for an ``OrderBook``: prices and
        quantities back as ``%.8f`` strings (the stored floats of 8-decimal exchange values),
        the local stamp set to the event time."""
        depth = self.depth
        a, b = int(self.starts[k]), int(self.starts[k + 1])
        bids: list[tuple[str, str]] = []
        asks: list[tuple[str, str]] = []
        for is_bid, price, qty in zip(
            depth.is_bid[a:b].tolist(), depth.price[a:b].tolist(), depth.qty[a:b].tolist(),
            strict=True,
        ):  # fmt: skip
            if price > 0:  # 0: the marker row of an event without levels
                (bids if is_bid else asks).append((f"{price:.8f}", f"{qty:.8f}"))
        time, final = int(depth.time[a]), int(depth.final_id[a])
        if depth.is_snapshot[a]:
            return DepthSnapshot(time * 1_000_000, final, tuple(bids), tuple(asks))
        pu = int(depth.prev_final_id[a])
        return DepthDiff(
            time * 1_000_000, time, self.symbol, int(depth.first_id[a]), final,
            None if pu == NO_ID else pu, tuple(bids), tuple(asks),
        )  # fmt: skip

    def event_ids(self, k: int) -> tuple[int, int, bool]:
        """(U, pu, is a snapshot) of depth event ``k`` (pu: ``NO_ID`` where none was sent)."""
        a = int(self.starts[k])
        depth = self.depth
        return int(depth.first_id[a]), int(depth.prev_final_id[a]), bool(depth.is_snapshot[a])

    def events_until(self, now_ms: int) -> int:
        """How many depth events have ``time <= now_ms``."""
        return int(np.searchsorted(self.event_time, now_ms, side="right"))

    def trades_until(self, now_ms: int) -> int:
        """How many trades have ``time <= now_ms``."""
        return int(np.searchsorted(self.trades.time, now_ms, side="right"))

    def marks_until(self, now_ms: int) -> int:
        """How many recorded marks have ``time <= now_ms``."""
        return int(np.searchsorted(self.mark_time, now_ms, side="right"))


def tick_symbols(
    store: BarStore, listed: Mapping[MarketType, Collection[str]], start_ms: int | None
) -> dict[MarketType, dict[str, TickData]]:
    """The listed symbols of each market to replay tick by tick (see the module docstring),
    with their ticks; every market of ``listed`` has an entry."""
    found = {
        market: {s: data for s in symbols if (data := TickData.load(store, s, market)) is not None}
        for market, symbols in listed.items()
    }
    if not any(found.values()):
        return found
    if start_ms is None:
        closes = [
            _first_close(store, s, market, found[market].get(s))
            for market, symbols in listed.items()
            for s in symbols
        ]
        start_ms = max(close for close in closes if close is not None)
    return {
        market: {symbol: data for symbol, data in ticks.items() if data.covers(start_ms)}
        for market, ticks in found.items()
    }


def _first_close(
    store: BarStore, symbol: str, market: MarketType, ticks: TickData | None
) -> int | None:
    try:
        bars = store.load_bars(symbol, "1m", market=market)
    except UnknownSeries:
        bars = None
    if bars is not None and len(bars):
        return int(bars.open_time[0]) + BAR_MS
    return None if ticks is None else ticks.first_trade_close()


def next_time(data: TickData, events_done: int, trades_done: int, marks_done: int) -> float:
    """When the next unapplied depth event, trade or mark happens (``math.inf``: none left)."""
    event = float(data.event_time[events_done]) if events_done < data.events else math.inf
    trade = float(data.trades.time[trades_done]) if trades_done < len(data.trades) else math.inf
    mark = float(data.mark_time[marks_done]) if marks_done < data.marks else math.inf
    return min(event, trade, mark)
