"""Market-data store benchmark (not a test): prints best-of-N timings against the targets.

    make bench    (or: .venv/bin/python ai_engine/benchmarks/bench_store.py [--data DIR] [-n 7])

Needs the shared real data (Binance spot 1m klines of BTCUSDT for 2023).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from ai_engine.marketdata.importer import import_files
from ai_engine.marketdata.resampling import resample
from ai_engine.marketdata.store import BarStore

# <repo>/ai_engine/benchmarks/bench_store.py -> <repo>/../shared/data, beside the checkout
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def best_of(n: int, work: Callable[[], object], setup: Callable[[], None] | None = None) -> float:
    """Fastest of ``n`` runs of ``work`` in seconds (``setup`` runs untimed before each)."""
    best = float("inf")
    for _ in range(n):
        if setup is not None:
            setup()
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=SHARED_DATA, help="shared data folder")
    parser.add_argument("-n", type=int, default=7, help="runs per figure (best is kept)")
    args = parser.parse_args()
    klines = args.data / "binance" / "spot" / "klines_1m"
    month = klines / "BTCUSDT-1m-2023-01.csv.gz"  # 31 full days: 44,640 rows
    year = [klines / f"BTCUSDT-1m-2023-{m:02d}.csv.gz" for m in range(1, 13)]
    missing = [str(path) for path in [month, *year] if not path.exists()]
    if missing:
        raise SystemExit(f"missing data files: {', '.join(missing)}")

    work = Path(tempfile.mkdtemp(prefix="bench-store-"))
    try:
        fresh = work / "fresh"

        def wipe() -> None:
            shutil.rmtree(fresh, ignore_errors=True)

        rows: list[tuple[str, float, float | None]] = []
        imported = import_files([month], fresh).series[0].rows
        rows.append(
            (
                f"import 1 month 1m (.csv.gz, {imported:,} rows)",
                best_of(args.n, lambda: import_files([month], fresh), wipe),
                0.5,
            )
        )
        rows.append(
            (
                "re-import same month (no-op)",
                best_of(args.n, lambda: import_files([month], fresh)),
                None,
            )
        )
        store_dir = work / "year"
        started = time.perf_counter()
        import_files(year, store_dir)
        rows.append(("import 12 months 1m (one call)", time.perf_counter() - started, None))
        store = BarStore(store_dir)
        start, end = datetime(2023, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC)
        bars = store.load_bars("BTCUSDT", "1m", start, end)
        rows.append(
            (
                f"load 1 year 1m ({len(bars):,} bars)",
                best_of(args.n, lambda: store.load_bars("BTCUSDT", "1m", start, end)),
                0.2,
            )
        )
        five = resample(bars, "5m")
        rows.append(
            (
                f"resample 1 year 1m -> 5m ({len(five):,} bars)",
                best_of(args.n, lambda: resample(bars, "5m")),
                0.2,
            )
        )
        rows.append(
            (
                "load 1 year as 1h (read 1m + resample)",
                best_of(args.n, lambda: store.load_bars("BTCUSDT", "1h", start, end)),
                None,
            )
        )
        rows.append(("list series (data list)", best_of(args.n, store.series), None))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"best of {args.n} runs")
    print(f"{'operation':<48} {'seconds':>8} {'target':>8}  ")
    for name, seconds, target in rows:
        verdict = "" if target is None else ("ok" if seconds <= target else "SLOW")
        shown = "" if target is None else f"{target:.3f}"
        print(f"{name:<48} {seconds:>8.3f} {shown:>8}  {verdict}")


if __name__ == "__main__":
    main()
