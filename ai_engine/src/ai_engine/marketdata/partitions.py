"""Where series live in the store: one Parquet file per series and calendar month (UTC).

    <root>/bars/venue=binance/market=spot/symbol=BTCUSDT/interval=1m/2023-03.parquet
    <root>/trades/venue=binance/market=usdm/symbol=BTCUSDT/2024-08.parquet
    <root>/funding/venue=binance/market=usdm/symbol=BTCUSDT/2023-01.parquet

The folder names are Hive-style so other Parquet readers recognise the partition columns. The
tree is the only index: listing a store means walking it, so nothing can disagree with the data.
Names starting with a dot (temporary files of an interrupted write) are not partitions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ai_engine.domain.enums import MarketType, Venue
from ai_engine.marketdata.series import BAR_KINDS, DataKind, SeriesKey

_MONTH_FILE = re.compile(r"^(\d{4})-(\d{2})\.parquet$")


@dataclass(frozen=True, order=True)
class Partition:
    month: str  # "2023-03"
    path: Path

    @property
    def start_ms(self) -> int:
        return month_start_ms(self.month)

    @property
    def end_ms(self) -> int:
        year, month = (int(part) for part in self.month.split("-"))
        following = f"{year + month // 12:04d}-{month % 12 + 1:02d}"
        return month_start_ms(following)


def series_dir(root: Path, key: SeriesKey) -> Path:
    path = (
        root
        / str(key.kind)
        / f"venue={key.venue}"
        / f"market={key.market}"
        / f"symbol={key.symbol}"
    )
    return path / f"interval={key.interval}" if key.interval is not None else path


def partition_path(root: Path, key: SeriesKey, month: str) -> Path:
    return series_dir(root, key) / f"{month}.parquet"


def partitions(root: Path, key: SeriesKey) -> list[Partition]:
    """The series' monthly files, oldest first."""
    folder = series_dir(root, key)
    if not folder.is_dir():
        return []
    found = [
        Partition(f"{m.group(1)}-{m.group(2)}", path)
        for path in folder.iterdir()
        if (m := _MONTH_FILE.match(path.name)) and path.is_file()
    ]
    return sorted(found)


def discover(root: Path) -> list[SeriesKey]:
    """Every series with at least one partition file, sorted."""
    keys: list[SeriesKey] = []
    for kind in DataKind:
        pattern = "venue=*/market=*/symbol=*" + ("/interval=*" if kind in BAR_KINDS else "")
        for folder in sorted((root / str(kind)).glob(pattern)):
            key = _key_of(kind, folder)
            if key is not None and partitions(root, key):
                keys.append(key)
    return sorted(keys)


def months_of(times: npt.NDArray[np.int64]) -> npt.NDArray[np.datetime64]:
    """The UTC calendar month of each epoch-ms timestamp."""
    return times.astype("datetime64[ms]").astype("datetime64[M]")


def month_name(month: np.datetime64) -> str:
    return str(month)  # numpy renders datetime64[M] as "2023-03"


def month_start_ms(month: str) -> int:
    return int(np.datetime64(month, "M").astype("datetime64[ms]").astype(np.int64))


def _key_of(kind: DataKind, folder: Path) -> SeriesKey | None:
    parts = {}
    for part in folder.relative_to(folder.parents[3 if kind in BAR_KINDS else 2]).parts:
        name, _, value = part.partition("=")
        parts[name] = value
    try:
        return SeriesKey(
            kind=kind,
            venue=Venue(parts["venue"]),
            market=MarketType(parts["market"]),
            symbol=parts["symbol"],
            interval=parts.get("interval"),
        )
    except (KeyError, ValueError):
        return None  # not a folder this store wrote; `data check` reports stray files
