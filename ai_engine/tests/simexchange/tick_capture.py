"""The vendored raw captures the tick-replay tests replay, and what they say, read independently
of the store and the replay: the book rebuilt from a snapshot and diffs with plain ``Decimal``
dictionaries (Binance's spot recipe, or USD-M's with ``pu``), its trades in order and its mark
prices. The spot BTCUSDT slice is the default; pass ``path`` for another capture."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from ai_engine.marketdata.captures import (
    DepthDiff,
    DepthSnapshot,
    MarkPriceEvent,
    TradeEvent,
    read_capture,
)

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "binance" / "ws_raw" / "spot"
USDM_SAMPLE = SAMPLE.parent / "usdm"
USDM_SLICE = USDM_SAMPLE / "btcusdt_20240718-first90s.jsonl.gz"  # no mark prices
USDM_MARKS_SLICE = USDM_SAMPLE / "btcusdt_20230404-first45s.jsonl.gz"  # @markPrice@1s too

Side = dict[Decimal, Decimal]


def spot_capture() -> Path:
    """The vendored spot BTCUSDT capture slice (snapshot + the first minutes of events)."""
    found = sorted(SAMPLE.glob("btcusdt*.jsonl.gz"))
    assert found, f"no vendored BTCUSDT capture in {SAMPLE}"
    return found[0]


@dataclass(frozen=True)
class Capture:
    snapshot: DepthSnapshot
    diffs: tuple[DepthDiff, ...]  # in update-id order
    trades: tuple[TradeEvent, ...]  # in trade-id order
    marks: tuple[MarkPriceEvent, ...] = ()  # in time order (USD-M)


@cache
def capture(path: Path | None = None) -> Capture:
    events = list(read_capture(path or spot_capture(), strict=True))
    (snapshot,) = [e for e in events if isinstance(e, DepthSnapshot)]
    diffs = sorted((e for e in events if isinstance(e, DepthDiff)), key=lambda d: d.final_id)
    trades = sorted((e for e in events if isinstance(e, TradeEvent)), key=lambda t: t.trade_id)
    marks = sorted((e for e in events if isinstance(e, MarkPriceEvent)), key=lambda m: m.event_ms)
    return Capture(snapshot, tuple(diffs), tuple(trades), tuple(marks))


@dataclass
class RebuiltBook:
    last_update_id: int
    bids: Side
    asks: Side

    def top(self, side: str, n: int) -> list[tuple[Decimal, Decimal]]:
        levels = self.bids if side == "bid" else self.asks
        return sorted(levels.items(), reverse=side == "bid")[:n]


def book_at(ms: int, *, before: bool = False, path: Path | None = None) -> RebuiltBook:
    """The book after every diff with event time <= ``ms`` (< ``ms`` with ``before``)."""
    data = capture(path)
    snap = data.snapshot
    book = RebuiltBook(
        snap.last_update_id,
        {Decimal(p): Decimal(q) for p, q in snap.bids},
        {Decimal(p): Decimal(q) for p, q in snap.asks},
    )
    synced = False
    for diff in data.diffs:
        if diff.event_ms > ms or (before and diff.event_ms == ms):
            break
        if diff.prev_final_id is not None:  # USD-M: bridge U <= L <= u, then chain by pu
            if diff.final_id < book.last_update_id:
                continue  # older than the snapshot
            if synced:
                assert diff.prev_final_id == book.last_update_id, "the capture's diffs have a gap"
            else:
                assert diff.first_id <= book.last_update_id, "the first diff must cover it"
            synced = True
        elif diff.final_id <= book.last_update_id:
            continue  # older than the snapshot
        else:
            assert diff.first_id <= book.last_update_id + 1, "the capture's diffs have a gap"
        for levels, rows in ((book.bids, diff.bids), (book.asks, diff.asks)):
            for price, quantity in rows:
                if Decimal(quantity) == 0:
                    levels.pop(Decimal(price), None)
                else:
                    levels[Decimal(price)] = Decimal(quantity)
        book.last_update_id = diff.final_id
    return book


def trades_between(start_ms: int, end_ms: int, path: Path | None = None) -> list[TradeEvent]:
    """Trades with ``start_ms < T <= end_ms``, in id order."""
    return [t for t in capture(path).trades if start_ms < t.trade_ms <= end_ms]


def walk(levels: list[tuple[Decimal, Decimal]], quantity: Decimal) -> list[tuple[Decimal, Decimal]]:
    """(price, quantity) a taker of ``quantity`` gets from ``levels`` (best first)."""
    fills = []
    for price, available in levels:
        if quantity <= 0:
            break
        take = min(available, quantity)
        fills.append((price, take))
        quantity -= take
    return fills
