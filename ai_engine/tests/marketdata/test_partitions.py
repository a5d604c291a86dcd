from __future__ import annotations

from pathlib import Path

import numpy as np

from ai_engine.domain.enums import MarketType, Venue
from ai_engine.marketdata.intervals import iso
from ai_engine.marketdata.partitions import (
    Partition,
    discover,
    month_start_ms,
    months_of,
    partition_path,
    partitions,
)
from ai_engine.marketdata.series import DataKind, SeriesKey

BTC_1M = SeriesKey(DataKind.BARS, Venue.BINANCE, MarketType.SPOT, "BTCUSDT", "1m")
BTC_FUNDING = SeriesKey(DataKind.FUNDING, Venue.BINANCE, MarketType.USDM, "BTCUSDT")


def test_paths_are_hive_style(tmp_path: Path) -> None:
    assert partition_path(tmp_path, BTC_1M, "2023-03") == (
        tmp_path / "bars/venue=binance/market=spot/symbol=BTCUSDT/interval=1m/2023-03.parquet"
    )
    assert partition_path(tmp_path, BTC_FUNDING, "2023-01") == (
        tmp_path / "funding/venue=binance/market=usdm/symbol=BTCUSDT/2023-01.parquet"
    )


def test_discover_ignores_temp_files_and_foreign_folders(tmp_path: Path) -> None:
    for month in ("2023-04", "2023-03"):
        path = partition_path(tmp_path, BTC_1M, month)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")
    (path.parent / ".2023-05.parquet.abc.tmp").write_bytes(b"")
    (tmp_path / "bars" / "venue=nowhere" / "market=spot" / "symbol=X1" / "interval=1m").mkdir(
        parents=True
    )
    funding_dir = partition_path(tmp_path, BTC_FUNDING, "2023-01").parent
    funding_dir.mkdir(parents=True)  # no partition yet: not a series
    assert discover(tmp_path) == [BTC_1M]
    assert [p.month for p in partitions(tmp_path, BTC_1M)] == ["2023-03", "2023-04"]


def test_month_bounds() -> None:
    december = Partition("2023-12", Path("x"))
    assert iso(december.start_ms) == "2023-12-01T00:00:00Z"
    assert iso(december.end_ms) == "2024-01-01T00:00:00Z"
    assert month_start_ms("2023-03") == 1677628800000


def test_months_of() -> None:
    times = np.array([1677628799999, 1677628800000], dtype=np.int64)
    assert [str(m) for m in months_of(times)] == ["2023-02", "2023-03"]
