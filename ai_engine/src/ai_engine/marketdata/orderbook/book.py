"""A local L2 order book kept from a REST snapshot plus Binance's depth-diff stream.

Sequencing (Binance's "how to manage a local order book correctly"), with ``L`` the book's
update id (the snapshot's ``lastUpdateId``, then the last applied diff's ``u``):

* Spot (``U``/``u``): a diff with ``u <= L`` is stale and dropped. The first diff applied after
  a snapshot must bridge it: ``U <= L + 1 <= u``. Every later diff must start where the last one
  ended: ``U == L + 1``.
* USD-M / COIN-M futures (``U``/``u``/``pu``): the first diff applied after a snapshot is
  dropped while ``u < L`` and must then satisfy ``U <= L <= u``. Every later diff must chain:
  ``pu == L``; a later diff with ``u <= L`` is a duplicate and dropped.

States: ``WAITING_SNAPSHOT`` (no snapshot yet: diffs are buffered), ``SYNCING`` (snapshot set,
waiting for the diff that bridges it), ``LIVE`` (in sequence), ``OUT_OF_SYNC`` (a gap: a diff
that does not chain, an out-of-order diff, or a snapshot older than the diffs, i.e. the first
diff after it starts past ``L + 1``). Out of sync, the book asks for a new snapshot
(``needs_snapshot``) and buffers diffs (the one that showed the gap first) until it comes;
``apply_snapshot`` then replays the buffer through the same rules. The buffer keeps the newest
``max_buffer`` diffs. A gap is logged with the offending ids.

Bad input never raises: a diff in sequence with a level that is not a finite positive price
and a finite non-negative quantity may be half applied, so it puts the book out of sync (it is
dropped, not buffered); a snapshot with such a level is dropped and the book keeps waiting.
A snapshot not newer than a live book is ignored. ``stats`` counts all of it.

Queries answer while the book holds a consistent state (``SYNCING``: the snapshot; ``LIVE``)
and are empty otherwise. Prices and quantities come back as the exchange's strings; spread,
mid, depth and imbalance are floats (the one float conversion is the level's dict key).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from ai_engine.marketdata.captures import DepthDiff, DepthSnapshot
from ai_engine.marketdata.orderbook.side import BookSide, Level, parse_levels

logger = logging.getLogger(__name__)

DEFAULT_MAX_BUFFER = 10_000  # diffs kept while waiting for a snapshot (newest win)


class BookState(StrEnum):
    WAITING_SNAPSHOT = "waiting_snapshot"
    SYNCING = "syncing"
    LIVE = "live"
    OUT_OF_SYNC = "out_of_sync"


class DiffOutcome(StrEnum):
    APPLIED = "applied"
    STALE = "stale"  # older than the book: dropped
    BUFFERED = "buffered"  # kept until a snapshot arrives
    GAP = "gap"  # the book is now OUT_OF_SYNC (the diff is buffered unless it was bad)


@dataclass(slots=True)
class BookStats:
    """Running counts of what the book did with its input."""

    snapshots: int = 0
    applied: int = 0
    stale: int = 0
    buffered: int = 0
    gaps: int = 0  # times the book went OUT_OF_SYNC (gap, old snapshot, bad diff)
    resyncs: int = 0  # times the book went LIVE again after a gap
    buffer_dropped: int = 0  # buffered diffs pushed out by newer ones (buffer full)
    ignored_snapshots: int = 0  # snapshots not newer than the live book
    bad_snapshots: int = 0  # snapshots with a level that is not a number (dropped)


class OrderBook:
    """The L2 book of one symbol; ``futures=True`` selects the ``pu`` chaining rules.

    ``on_update``, when given, is called after the snapshot is set and after every applied
    diff, including diffs replayed from the buffer inside ``apply_snapshot``.
    """

    def __init__(
        self,
        symbol: str,
        *,
        futures: bool,
        max_buffer: int = DEFAULT_MAX_BUFFER,
        on_update: Callable[[OrderBook, DepthSnapshot | DepthDiff], None] | None = None,
    ) -> None:
        self.symbol = symbol
        self.futures = futures
        self.on_update = on_update
        self.stats = BookStats()
        self._bids = BookSide(descending=True)
        self._asks = BookSide(descending=False)
        self._state = BookState.WAITING_SNAPSHOT
        self._last_id: int | None = None
        self._buffer: deque[DepthDiff] = deque(maxlen=max_buffer)
        self._after_gap = False
        self.problem: str | None = None  # why the book is out of sync, while it is

    @property
    def state(self) -> BookState:
        return self._state

    @property
    def last_update_id(self) -> int | None:
        """The update id the book is at (``None`` before the first snapshot)."""
        return self._last_id

    @property
    def needs_snapshot(self) -> bool:
        return self._state is BookState.WAITING_SNAPSHOT or self._state is BookState.OUT_OF_SYNC

    @property
    def synced(self) -> bool:
        """True when the levels are a consistent state of the book (SYNCING or LIVE)."""
        return self._state is BookState.LIVE or self._state is BookState.SYNCING

    def continues_with(self, diff: DepthDiff) -> bool:
        """True when the book is LIVE and ``diff`` is its next diff or an already applied one."""
        last = self._last_id
        if self._state is not BookState.LIVE or last is None or diff.symbol != self.symbol:
            return False
        if diff.final_id <= last:
            return True
        return diff.prev_final_id == last if self.futures else diff.first_id == last + 1

    # -- input --------------------------------------------------------------------------------

    def apply_snapshot(self, snapshot: DepthSnapshot) -> None:
        """Set the book to ``snapshot`` and replay the buffered diffs on it."""
        last = snapshot.last_update_id
        if self._state is BookState.LIVE and self._last_id is not None and last <= self._last_id:
            self.stats.ignored_snapshots += 1
            logger.info(
                "%s: snapshot lastUpdateId=%d ignored: the live book is already at %d",
                self.symbol,
                last,
                self._last_id,
            )
            return
        try:
            bids, asks = parse_levels(snapshot.bids), parse_levels(snapshot.asks)
        except ValueError as exc:  # nothing changed: the book still waits for a good one
            self.stats.bad_snapshots += 1
            logger.warning(
                "%s: snapshot lastUpdateId=%d dropped: %s (%d bid and %d ask levels)",
                self.symbol,
                last,
                exc,
                len(snapshot.bids),
                len(snapshot.asks),
            )
            return
        self.stats.snapshots += 1
        self._bids.replace(bids)
        self._asks.replace(asks)
        self._last_id = last
        self._state = BookState.SYNCING
        self.problem = None
        if self.on_update is not None:
            self.on_update(self, snapshot)
        pending, self._buffer = self._buffer, deque(maxlen=self._buffer.maxlen)
        for diff in pending:
            self._sequence(diff)

    def apply_diff(self, diff: DepthDiff) -> DiffOutcome:
        """Apply, drop, buffer or flag ``diff`` by the sequencing rules (module docstring).

        A diff in sequence whose levels are not numbers (or not finite and positive) is
        dropped and puts the book out of sync (outcome ``GAP``): part of it may be applied.
        """
        if diff.symbol != self.symbol:
            raise ValueError(f"{diff.symbol} diff given to the {self.symbol} book")
        outcome = self._sequence(diff)
        if outcome is DiffOutcome.BUFFERED:
            self.stats.buffered += 1
        return outcome

    def _sequence(self, diff: DepthDiff) -> DiffOutcome:
        state, last = self._state, self._last_id
        if state is BookState.LIVE and last is not None:
            if diff.prev_final_id == last if self.futures else diff.first_id == last + 1:
                return DiffOutcome.APPLIED if self._apply(diff) else DiffOutcome.GAP
            if diff.final_id <= last:
                self.stats.stale += 1
                return DiffOutcome.STALE
            expected = f"pu={last}" if self.futures else f"U={last + 1}"
            return self._gap(diff, f"diff does not chain: expected {expected}")
        if state is BookState.SYNCING and last is not None:
            # Spot: drop u <= L, bridge with U <= L+1. Futures: drop u < L, bridge with U <= L.
            reach = last if self.futures else last + 1
            if diff.final_id < reach:
                self.stats.stale += 1
                return DiffOutcome.STALE
            if diff.first_id <= reach:
                if not self._apply(diff):
                    return DiffOutcome.GAP
                self._state = BookState.LIVE
                if self._after_gap:
                    self._after_gap = False
                    self.stats.resyncs += 1
                return DiffOutcome.APPLIED
            return self._gap(diff, f"snapshot lastUpdateId={last} is older than the diffs")
        if len(self._buffer) == self._buffer.maxlen:
            self.stats.buffer_dropped += 1
        self._buffer.append(diff)
        return DiffOutcome.BUFFERED

    def _apply(self, diff: DepthDiff) -> bool:
        try:
            self._bids.update(diff.bids)
            self._asks.update(diff.asks)
        except ValueError as exc:
            # Part of the diff may be in: the book cannot be trusted until a new snapshot.
            self._out_of_sync(f"bad diff dropped ({exc})", diff)
            return False
        self._last_id = diff.final_id
        self.stats.applied += 1
        if self.on_update is not None:
            self.on_update(self, diff)
        return True

    def _gap(self, diff: DepthDiff, why: str) -> DiffOutcome:
        self._out_of_sync(why, diff)
        self._buffer.append(diff)  # it may bridge the next snapshot
        return DiffOutcome.GAP

    def _out_of_sync(self, why: str, diff: DepthDiff) -> None:
        self.stats.gaps += 1
        self._state = BookState.OUT_OF_SYNC
        self._after_gap = True
        self.problem = (
            f"{why}; diff U={diff.first_id} u={diff.final_id} pu={diff.prev_final_id} "
            f"E={diff.event_ms} with {len(diff.bids)} bid and {len(diff.asks)} ask levels"
        )
        logger.warning("%s book out of sync, needs a new snapshot: %s", self.symbol, self.problem)

    # -- queries ------------------------------------------------------------------------------

    def best_bid(self) -> Level | None:
        """(price, quantity) of the highest bid, as the exchange wrote them."""
        return self._bids.best() if self.synced else None

    def best_ask(self) -> Level | None:
        return self._asks.best() if self.synced else None

    def top(self, side: Literal["bid", "ask"], n: int) -> list[Level]:
        """The ``n`` best levels of ``side``, best first."""
        if not self.synced:
            return []
        return (self._bids if side == "bid" else self._asks).top(n)

    def spread(self) -> float | None:
        prices = self._best_prices()
        return None if prices is None else prices[1] - prices[0]

    def mid(self) -> float | None:
        prices = self._best_prices()
        return None if prices is None else (prices[0] + prices[1]) / 2.0

    def depth_within_bps(self, bps: float) -> tuple[float, float]:
        """(bid quantity, ask quantity) on levels within ``bps`` basis points of the mid."""
        mid = self.mid()
        if mid is None:
            return (0.0, 0.0)
        reach = mid * bps / 10_000.0
        return (self._bids.volume_within(mid - reach), self._asks.volume_within(mid + reach))

    def imbalance(self, bps: float) -> float | None:
        """(bid - ask) / (bid + ask) of the quantity within ``bps`` of the mid, in [-1, 1]."""
        return _imbalance(*self.depth_within_bps(bps))

    def imbalance_top(self, levels: int) -> float | None:
        """The same imbalance over the ``levels`` best levels of each side."""
        if not self.synced:
            return None
        return _imbalance(self._bids.volume_top(levels), self._asks.volume_top(levels))

    def _best_prices(self) -> tuple[float, float] | None:
        if not self.synced:
            return None
        bid, ask = self._bids.best_price(), self._asks.best_price()
        return None if bid is None or ask is None else (bid, ask)


def _imbalance(bid: float, ask: float) -> float | None:
    total = bid + ask
    return None if total <= 0.0 else (bid - ask) / total
