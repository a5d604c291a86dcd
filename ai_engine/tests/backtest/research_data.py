"""Real sample bars for the research tests (optimisation, walk-forward): BTCUSDT spot 1m,
2023-03-23 .. 2023-03-25 (4,240 bars; the 2023-03-24 trading halt is a real 80-minute gap)."""

from __future__ import annotations

from pathlib import Path

from ai_engine.backtest.evaluation import DataSpec, PreparedData
from ai_engine.marketdata.importer import expand_paths, import_files

KLINES = Path(__file__).resolve().parents[2] / "sample_data" / "binance" / "spot" / "klines_1m"
START_MS = 1_679_529_600_000  # 2023-03-23T00:00:00Z
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
BTC = DataSpec("BTCUSDT", "1m", START_MS, START_MS + 3 * DAY_MS)


def btc_store(root: Path) -> Path:
    """A Parquet store at ``root`` holding the three days of BTCUSDT."""
    import_files(expand_paths(sorted(KLINES.glob("BTCUSDT-1m-2023-03-2*.csv.gz"))), root)
    return root


def btc(root: Path) -> PreparedData:
    return BTC.load(btc_store(root))
