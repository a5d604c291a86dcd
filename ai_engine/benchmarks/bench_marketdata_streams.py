"""Stream-processing benchmark (not a test): WebSocket messages per second turned into L2 books
and live bars, in one process, on real Binance captures.

    .venv/bin/python ai_engine/benchmarks/bench_marketdata_streams.py [-n 5] [--all-lines]

Input: the raw captures under ``../shared/data/binance/ws_raw`` (spot, USD-M and COIN-M captures
that hold a REST snapshot) when present, else the vendored 90 s slices in
``sample_data/binance/ws_raw``. Each capture is decompressed into memory first (a live client
gets text frames, not gzip). The timed work per message is what a live client does: the JSON
decode and typed record (``captures.parse_line``), then for a depth diff ``OrderBook.apply_diff``
(snapshot: ``apply_snapshot``) and for a trade ``LiveBarBuilder.add`` into 1s and 1m bars.
By default the messages are the capture's depth diffs and trades (the issue's mix), in capture
order; ``--all-lines`` also feeds the bookTicker lines (parsed only).

Reported per capture and overall: messages per second, best of ``-n`` runs, by wall clock and by
process CPU time (the CPU figure is the one to trust on a shared machine). Target: 50,000/s.
"""

from __future__ import annotations

import argparse
import gzip
import time
from pathlib import Path

from ai_engine.marketdata.captures import DepthDiff, DepthSnapshot, TradeEvent, parse_line
from ai_engine.marketdata.live_bars import LiveBarBuilder
from ai_engine.marketdata.orderbook import BookState, OrderBook

# <repo>/ai_engine/benchmarks/this.py -> <repo>/../shared/data, beside the checkout
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "binance" / "ws_raw"
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "binance" / "ws_raw"
TARGET_PER_S = 50_000


def captures() -> list[Path]:
    """Shared captures that hold a snapshot (so the books go live), else the vendored slices."""
    shared = [p for p in sorted(SHARED.glob("*/*.jsonl.gz")) if b"lastUpdateId" in _head(p)]
    return shared or sorted(SAMPLE.glob("*/*.jsonl.gz"))


def _head(path: Path) -> bytes:
    with gzip.open(path, "rb") as fh:
        return fh.read(400_000)


def messages(path: Path, *, all_lines: bool) -> list[bytes]:
    rows = gzip.decompress(path.read_bytes()).splitlines()
    if all_lines:
        return rows
    return [row for row in rows if b"@bookTicker" not in row]


def run(rows: list[bytes]) -> tuple[int, int, int]:
    """Process ``rows``; returns (diffs applied, 1s bars, 1m bars) so the work is checkable."""
    book: OrderBook | None = None
    snapshots: list[DepthSnapshot] = []
    second: LiveBarBuilder | None = None
    minute: LiveBarBuilder | None = None
    seconds = minutes = 0
    for row in rows:
        event = parse_line(row)
        kind = type(event)
        if kind is DepthDiff:
            assert isinstance(event, DepthDiff)
            if book is None:
                book = OrderBook(event.symbol, futures=event.prev_final_id is not None)
                for snapshot in snapshots:
                    book.apply_snapshot(snapshot)
            book.apply_diff(event)
        elif kind is TradeEvent:
            assert isinstance(event, TradeEvent)
            if second is None or minute is None:
                second = LiveBarBuilder(event.symbol, "1s")
                minute = LiveBarBuilder(event.symbol, "1m")
            if second.add(event) is not None:
                seconds += 1
            if minute.add(event) is not None:
                minutes += 1
        elif kind is DepthSnapshot:
            assert isinstance(event, DepthSnapshot)
            if book is None:
                snapshots.append(event)  # the symbol and market come with the first diff
            else:
                book.apply_snapshot(event)
    if book is None or book.state is not BookState.LIVE:
        raise SystemExit("the book did not go live: not a fair benchmark input")
    return book.stats.applied, seconds, minutes


def best_of(n: int, rows: list[bytes]) -> tuple[float, float, tuple[int, int, int]]:
    wall = cpu = float("inf")
    result = (0, 0, 0)
    for _ in range(n):
        w0, c0 = time.perf_counter(), time.process_time()
        result = run(rows)
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="runs per capture (best is kept)")
    parser.add_argument("--all-lines", action="store_true", help="also feed bookTicker lines")
    args = parser.parse_args()
    paths = captures()
    total = total_wall = total_cpu = 0.0
    print(f"{'capture':<34} {'messages':>9} {'diffs':>6} {'trades':>7} {'wall/s':>9} {'cpu/s':>9}")
    for path in paths:
        rows = messages(path, all_lines=args.all_lines)
        diffs = sum(1 for row in rows if b"@depth" in row)
        trades = sum(1 for row in rows if b"@trade" in row)
        wall, cpu, (applied, seconds, minutes) = best_of(args.n, rows)
        total, total_wall, total_cpu = total + len(rows), total_wall + wall, total_cpu + cpu
        name = f"{path.parent.name}/{path.name}"
        print(
            f"{name:<34} {len(rows):>9,} {diffs:>6,} {trades:>7,} "
            f"{len(rows) / wall:>9,.0f} {len(rows) / cpu:>9,.0f}"
            f"   ({applied:,} diffs applied, {seconds:,} 1s and {minutes:,} 1m bars closed)"
        )
    per_s = total / total_cpu
    print(
        f"{'all':<34} {int(total):>9,} {'':>6} {'':>7} {total / total_wall:>9,.0f} {per_s:>9,.0f}"
    )
    verdict = "meets" if per_s >= TARGET_PER_S else "BELOW"
    print(f"{per_s:,.0f} messages/s (CPU time) {verdict} the target of {TARGET_PER_S:,}/s")


if __name__ == "__main__":
    main()
