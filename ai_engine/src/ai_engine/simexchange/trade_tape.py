"""Public trades for the REST trade endpoints, from the market-data store, never past "now".

A trade is visible once it happened: ``time < now`` on the replay clock (a bar's trades become
visible with the bar, never before). Windows are read from the store on demand; a store
without trades for a symbol, or for the asked window, gives an empty answer, not an error.

``from_id`` looks back at most ``LOOKBACK_MS`` of replay time for the asked id (trade ids grow
with time, so the search widens from now backwards); an older id answers from the oldest trade
of that look-back window.

Aggregate trades (``aggTrades``) group consecutive trades with the same millisecond, price and
taker side, Binance's "same order, same price, same time" seen from the public tape. The
aggregate id is the id of the group's first trade: stable across requests and increasing,
though not Binance's own separate sequence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ai_engine.domain import MarketType, from_epoch_ms
from ai_engine.marketdata import BarStore, Trades, UnknownSeries

LOOKBACK_MS = 86_400_000
_WINDOWS_MS = (600_000, 3_600_000, 21_600_000, LOOKBACK_MS)  # how recent() widens its search
HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class AggTrades:
    first_id: np.ndarray  # int64: the aggregate id and its first trade id
    last_id: np.ndarray
    time: np.ndarray
    price: np.ndarray
    qty: np.ndarray
    is_buyer_maker: np.ndarray

    def __len__(self) -> int:
        return len(self.first_id)

    def take(self, index: slice) -> AggTrades:
        return AggTrades(
            self.first_id[index], self.last_id[index], self.time[index],
            self.price[index], self.qty[index], self.is_buyer_maker[index],
        )  # fmt: skip


class TradeTape:
    def __init__(self, store: BarStore, market: MarketType = MarketType.SPOT) -> None:
        self._store = store
        self._market = market  # whose trades: spot, or USD-M (``/fapi``)

    def window(self, symbol: str, start_ms: int, end_ms: int) -> Trades:
        """Trades with ``start_ms <= time < end_ms`` (empty when the store has none)."""
        if end_ms <= start_ms:
            return _empty()
        start, end = from_epoch_ms(start_ms), from_epoch_ms(end_ms)
        try:
            return self._store.load_trades(symbol, start, end, market=self._market)
        except UnknownSeries:
            return _empty()

    def recent(self, symbol: str, now_ms: int, limit: int) -> Trades:
        """The last ``limit`` trades before ``now_ms``."""
        found = _empty()
        for width in _WINDOWS_MS:
            found = self.window(symbol, now_ms - width, now_ms)
            if len(found) >= limit:
                break
        return found.take(slice(max(0, len(found) - limit), len(found)))

    def from_id(self, symbol: str, from_id: int, now_ms: int) -> Trades:
        """Trades with ``id >= from_id`` before ``now_ms`` (see the module note on look-back)."""
        found = _empty()
        for width in _WINDOWS_MS:
            found = self.window(symbol, now_ms - width, now_ms)
            if len(found) and int(found.id[0]) <= from_id:
                break
        first = int(np.searchsorted(found.id, from_id, side="left"))
        return found.take(slice(first, len(found)))


def aggregate(trades: Trades) -> AggTrades:
    """Group runs of trades that share the millisecond, the price and the taker side."""
    if len(trades) == 0:
        empty = np.empty(0, np.int64)
        return AggTrades(empty, empty, empty, np.empty(0), np.empty(0), np.empty(0, bool))
    same = (
        (trades.time[1:] == trades.time[:-1])
        & (trades.price[1:] == trades.price[:-1])
        & (trades.is_buyer_maker[1:] == trades.is_buyer_maker[:-1])
        & (trades.id[1:] == trades.id[:-1] + 1)
    )
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    ends = np.concatenate((starts[1:], [len(trades)])) - 1
    return AggTrades(
        first_id=trades.id[starts],
        last_id=trades.id[ends],
        time=trades.time[starts],
        price=trades.price[starts],
        qty=np.add.reduceat(trades.qty, starts),
        is_buyer_maker=trades.is_buyer_maker[starts],
    )


def _empty() -> Trades:
    return Trades(
        id=np.empty(0, np.int64),
        time=np.empty(0, np.int64),
        price=np.empty(0),
        qty=np.empty(0),
        quote_qty=np.empty(0),
        is_buyer_maker=np.empty(0, bool),
    )
