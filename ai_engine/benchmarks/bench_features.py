"""Feature benchmark (not a test): prints timings of the composite feature set against the targets.

    .venv/bin/python ai_engine/benchmarks/bench_features.py [--data DIR] [-n 7] [--symbols 100]

Targets (issue 5): the full composite feature set for 100 symbols x 1,000 1m bars in at most
100 ms in one process (seed 001 asks 500 ms); one new bar for one symbol in at most 1 ms.

Input: real Binance 1m klines. The vendored ``ai_engine/sample_data`` files always; with the
shared data set (``/work/shared/data``, or ``--data``) present, up to 40 of its monthly kline
files as well. ``--symbols`` series of ``--bars`` bars are cut from these files at different
offsets (each slice stands for one symbol); absent shared data is skipped with a note.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ai_engine.features import ALL, COMPOSITE, IncrementalFeatures, compute_features
from ai_engine.marketdata.frames import Bars
from ai_engine.marketdata.parsing import parse_file

HERE = Path(__file__).resolve()
SAMPLE = HERE.parents[1] / "sample_data" / "binance"
SHARED_DATA = HERE.parents[3] / "shared" / "data"  # beside the checkout


def load(path: Path) -> Bars:
    table = parse_file(path).table
    return Bars(**{name: table.column(name).to_numpy() for name in table.column_names})


def kline_files(shared: Path, limit: int) -> list[Path]:
    files = sorted(SAMPLE.glob("*/klines_1m/*.csv.gz"))
    extra = (
        sorted((shared / "binance").glob("*/klines_1m/*-1m-20*.csv.gz")) if shared.exists() else []
    )
    if not extra:
        print(f"(shared data not found at {shared}: using the vendored sample files only)")
    return files + extra[:limit]


def slices(files: list[Path], symbols: int, bars: int) -> list[Bars]:
    """``symbols`` real series of ``bars`` bars, round-robin over the files and their offsets."""
    loaded = [b for b in (load(f) for f in files) if len(b) >= bars + 1]
    out: list[Bars] = []
    k = 0
    while len(out) < symbols:
        series = loaded[k % len(loaded)]
        offset = (k // len(loaded)) * bars % max(len(series) - bars, 1)
        out.append(series.take(slice(offset, offset + bars)))
        k += 1
    return out


def timed(n: int, work: Callable[[], object]) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each of ``n`` runs of ``work`` (GC before, not during).

    CPU time (``time.process_time``) is this process's own; on a shared machine it stays close
    to the uncontended wall time while the wall time grows with the other processes' load.
    """
    wall, cpu = [], []
    for _ in range(n):
        gc.collect()
        gc.disable()
        started, started_cpu = time.perf_counter(), time.process_time()
        work()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        gc.enable()
    return wall, cpu


def bench_batch(series: list[Bars], groups: frozenset[str], n: int) -> tuple[float, float, float]:
    """(best wall, median wall, best CPU) seconds for the whole batch."""

    def run() -> None:
        for bars in series:
            compute_features(bars, groups=groups)

    wall, cpu = timed(n, run)
    return min(wall), statistics.median(wall), min(cpu)


def bench_update(series: list[Bars], groups: frozenset[str], updates: int) -> list[float]:
    """Seconds per ``update`` over ``updates`` new bars for each of a few symbols."""
    out: list[float] = []
    for bars in series:
        history, live = bars.take(slice(0, len(bars) - updates)), bars.take(slice(-updates, None))
        inc = IncrementalFeatures(groups=groups)
        inc.extend(history)
        for i in range(len(live)):
            row = (
                int(live.open_time[i]),
                float(live.open[i]),
                float(live.high[i]),
                float(live.low[i]),
                float(live.close[i]),
                float(live.volume[i]),
                float(live.taker_buy_volume[i]),
                int(live.trades[i]),
            )
            started = time.perf_counter()
            inc.update(*row)
            out.append(time.perf_counter() - started)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="shared data folder")
    parser.add_argument("-n", type=int, default=7, help="runs per batch figure")
    parser.add_argument("--symbols", type=int, default=100)
    parser.add_argument("--bars", type=int, default=1000)
    args = parser.parse_args()

    files = kline_files(args.data, 40)
    series = slices(files, args.symbols, args.bars)
    print(f"{len(series)} series x {args.bars} real 1m bars from {len(files)} kline files")
    print(f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for label, groups, target in (
        ("composite (seed 001)", COMPOSITE, 100.0),
        ("all groups", ALL, None),
    ):
        best, median, cpu = bench_batch(series, groups, args.n)
        count = len(compute_features(series[0], groups=groups))
        verdict = "" if target is None else (" OK" if best * 1e3 <= target else " OVER")
        aim = "" if target is None else f" (target {target:.0f} ms; seed 001: 500 ms){verdict}"
        print(
            f"{label}: {count} features, {len(series)} symbols: wall best {best * 1e3:.1f} ms, "
            f"median {median * 1e3:.1f} ms of {args.n}; CPU best {cpu * 1e3:.1f} ms{aim}"
        )

    live = [s for s in slices(files, 4, 3000) if len(s) == 3000]
    for label, groups in (("composite (seed 001)", COMPOSITE), ("all groups", ALL)):
        per = np.array(bench_update(live, groups, 500)) * 1e3
        p90, p99 = np.percentile(per, 90), np.percentile(per, 99)
        print(
            f"one new bar, {label}: median {np.median(per):.3f} ms, p90 {p90:.3f} ms, "
            f"p99 {p99:.3f} ms over {len(per)} updates (target 1 ms)"
        )


if __name__ == "__main__":
    main()
