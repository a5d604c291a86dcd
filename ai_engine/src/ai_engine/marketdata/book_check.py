"""Rebuild L2 books from raw WebSocket captures and check them against the captured bookTicker.

For each capture (``captures.read_capture``): its symbol and market are taken from its first
depth diff (futures when the diff carries ``pu``); events of any other symbol are counted and
ignored. The REST snapshot and the diffs drive an
``OrderBook``; every book state (after the snapshot, after each applied diff) and every
bookTicker go to a ``TickerMatcher``, which compares them by update id (rules in
``orderbook.ticker_match``).

Captures given one after another can form a chain: when a capture has no snapshot of its own,
has the previous capture's symbol and market, and its first diff continues that capture's live
book (``pu`` or ``U`` in sequence), the book and the tickers still waiting for their diff carry
over. Otherwise the capture starts a fresh book; without a snapshot it is reported as
"no snapshot, not synced" rather than failing. Counts are attributed to the file each event
came from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ai_engine.marketdata.captures import (
    BookTickerEvent,
    CaptureEvent,
    DepthDiff,
    DepthSnapshot,
    MarkPriceEvent,
    TradeEvent,
    read_capture,
)
from ai_engine.marketdata.orderbook import BookState, BookStats, OrderBook
from ai_engine.marketdata.orderbook.ticker_match import MatchCounts, TickerMatcher

_STAT_NAMES = ("snapshots", "applied", "stale", "buffered", "gaps", "resyncs")


@dataclass(slots=True)
class CaptureCheck:
    """What the check found in one capture file."""

    path: str
    symbol: str | None = None
    futures: bool | None = None
    events: Counter[str] = field(default_factory=Counter)
    malformed_lines: int = 0
    other_symbol: int = 0
    first_local_ns: int | None = None
    last_local_ns: int | None = None
    diffs: int = 0
    book: dict[str, int] = field(default_factory=dict)  # BookStats deltas in this file
    continued: bool = False  # the book came synced from the previous capture and chained on
    state: str = BookState.WAITING_SNAPSHOT.value
    status: str = ""
    tickers: MatchCounts = field(default_factory=MatchCounts)

    @property
    def ok(self) -> bool:
        """No compared ticker and no checked book state disagreed."""
        counts = self.tickers
        return counts.mismatched == 0 and counts.states_matched == counts.states_checked

    def to_dict(self) -> dict[str, Any]:
        counts = self.tickers
        span = (
            None
            if self.first_local_ns is None or self.last_local_ns is None
            else (self.last_local_ns - self.first_local_ns) / 1e9
        )
        return {
            "capture": self.path,
            "symbol": self.symbol,
            "market": None if self.futures is None else ("futures" if self.futures else "spot"),
            "events": sum(self.events.values()),
            "events_by_type": dict(sorted(self.events.items())),
            "malformed_lines": self.malformed_lines,
            "other_symbol_events": self.other_symbol,
            "first_local_time": _iso(self.first_local_ns),
            "last_local_time": _iso(self.last_local_ns),
            "span_s": span,
            "book": {
                "status": self.status,
                "state": self.state,
                "continued_from_previous": self.continued,
                "diffs": self.diffs,
                **self.book,
            },
            "book_ticker": {
                "events": counts.tickers,
                "compared": counts.compared,
                "matched": counts.matched,
                "mismatched": counts.mismatched,
                "match_rate": counts.match_rate,
                "not_comparable": {
                    "superseded_within_diff": counts.superseded,
                    "unsynced": counts.unsynced,
                    "after_last_diff": counts.after_end,
                    "out_of_order": counts.out_of_order,
                },
                "book_states_checked": counts.states_checked,
                "book_states_matched": counts.states_matched,
                "mismatch_examples": list(counts.mismatches),
            },
        }


class _Chain:
    """The book and matcher shared by consecutive captures of one symbol and market."""

    def __init__(self, symbol: str, futures: bool) -> None:
        self.symbol, self.futures = symbol, futures
        self.matcher = TickerMatcher()
        self.book = OrderBook(symbol, futures=futures, on_update=self._on_update)
        self.source = 0  # index of the capture being read
        self.sources: list[int] = []

    def _on_update(self, book: OrderBook, update: DepthSnapshot | DepthDiff) -> None:
        if isinstance(update, DepthSnapshot):
            first, last = None, update.last_update_id
        else:
            first, last = update.first_id, update.final_id
        self.matcher.add_state(first, last, (book.best_bid(), book.best_ask()), self.source)


def check_captures(paths: Sequence[Path]) -> list[CaptureCheck]:
    """Check each capture in order (chaining consecutive ones of the same symbol and market)."""
    results = [CaptureCheck(path=str(path)) for path in paths]
    chains: list[_Chain] = []
    for index, path in enumerate(paths):
        _check_file(path, index, results[index], chains)
    for chain in chains:
        chain.matcher.finish()
        for index in chain.sources:
            results[index].tickers = chain.matcher.counts_of(index)
    return results


def _check_file(path: Path, index: int, result: CaptureCheck, chains: list[_Chain]) -> None:
    def skipped(_line_no: int, _reason: str) -> None:
        result.malformed_lines += 1

    chain: _Chain | None = None
    held: list[CaptureEvent] = []  # events before the first depth diff names symbol and market
    for event in read_capture(path, on_skip=skipped):
        _note_event(result, event)
        if chain is not None:
            _feed(chain, event, result)
            continue
        if not isinstance(event, DepthDiff):
            if isinstance(event, (DepthSnapshot, BookTickerEvent)):
                held.append(event)  # trades and mark prices do not touch the book
            continue
        held.append(event)
        result.symbol, result.futures = event.symbol, event.prev_final_id is not None
        chain = _attach(chains, event, held, index, result)
        for early in held:
            _feed(chain, early, result)
        held.clear()
    if chain is None:
        result.status = "no depth diff: no book"
        result.tickers.tickers = result.tickers.unsynced = result.events["book_ticker"]
    else:
        _close_file(chain, result)


def _note_event(result: CaptureCheck, event: CaptureEvent) -> None:
    result.events[_KINDS[type(event)]] += 1
    if result.first_local_ns is None:
        result.first_local_ns = event.local_ns
    result.last_local_ns = event.local_ns


def _attach(
    chains: list[_Chain],
    first: DepthDiff,
    held: list[CaptureEvent],
    index: int,
    result: CaptureCheck,
) -> _Chain:
    """Carry the last chain on when this capture continues its live book (same symbol and
    market, no snapshot of its own, first diff in sequence); else start a new chain."""
    last = chains[-1] if chains else None
    if (
        last is not None
        and last.futures == result.futures
        and last.book.continues_with(first)
        and not any(isinstance(event, DepthSnapshot) for event in held)
    ):
        chain = last
        result.continued = True
    else:
        chain = _Chain(first.symbol, first.prev_final_id is not None)
        chains.append(chain)
    chain.source = index
    chain.sources.append(index)
    result.book = _stats(chain.book.stats)  # baseline; replaced by the deltas at the end
    return chain


def _feed(chain: _Chain, event: CaptureEvent, result: CaptureCheck) -> None:
    book = chain.book
    if isinstance(event, DepthSnapshot):
        book.apply_snapshot(event)
    elif isinstance(event, DepthDiff):
        if event.symbol != chain.symbol:
            result.other_symbol += 1
            return
        result.diffs += 1
        book.apply_diff(event)
    elif isinstance(event, BookTickerEvent):
        if event.symbol != chain.symbol:
            result.other_symbol += 1
            return
        chain.matcher.add_ticker(event, chain.source)
    elif event.symbol != chain.symbol:
        result.other_symbol += 1
    if book.state is BookState.OUT_OF_SYNC:
        chain.matcher.break_chain()


def _close_file(chain: _Chain, result: CaptureCheck) -> None:
    book = chain.book
    now = _stats(book.stats)
    result.book = {name: now[name] - result.book.get(name, 0) for name in _STAT_NAMES}
    result.state = book.state.value
    if book.state is BookState.LIVE:
        result.status = "synced"
        if result.continued:
            result.status += " (continued from the previous capture)"
    elif result.book["snapshots"] == 0 and not result.continued:
        result.status = "no snapshot, not synced"
    else:
        result.status = f"{book.state.value}: {book.problem}"


def _stats(stats: BookStats) -> dict[str, int]:
    return {name: getattr(stats, name) for name in _STAT_NAMES}


def _iso(ns: int | None) -> str | None:
    if ns is None:
        return None
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat(timespec="milliseconds")


_KINDS: dict[type, str] = {
    DepthSnapshot: "depth_snapshot",
    DepthDiff: "depth_diff",
    BookTickerEvent: "book_ticker",
    TradeEvent: "trade",
    MarkPriceEvent: "mark_price",
}
