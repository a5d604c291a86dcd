"""What the store holds: one ``SeriesInfo`` per series, computed from the Parquet files.

There is no manifest to go stale: listing reads the time (and trade-id) column of every
partition, a few milliseconds per month of 1m bars.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ai_engine.domain.enums import MarketType, Venue
from ai_engine.marketdata.depth import depth_gaps
from ai_engine.marketdata.gaps import GapReport, funding_step_ms, id_gaps, run_gaps, step_gaps
from ai_engine.marketdata.intervals import interval_ms, iso, to_datetime, to_ms
from ai_engine.marketdata.partitions import discover
from ai_engine.marketdata.reader import read_series
from ai_engine.marketdata.schema import SPECS
from ai_engine.marketdata.series import BAR_KINDS, DataKind, SeriesKey


@dataclass(frozen=True)
class SeriesInfo:
    """One stored series: its span (first and last bar open / trade / funding time, UTC),
    row count and gaps (holes in time for bars and funding, in trade ids for trades)."""

    key: SeriesKey
    first: datetime
    last: datetime
    rows: int
    gaps: GapReport

    @property
    def venue(self) -> Venue:
        return self.key.venue

    @property
    def market(self) -> MarketType:
        return self.key.market

    @property
    def symbol(self) -> str:
        return self.key.symbol

    @property
    def kind(self) -> DataKind:
        return self.key.kind

    @property
    def interval(self) -> str | None:
        return self.key.interval

    def to_dict(self) -> dict[str, object]:
        return {
            "venue": str(self.venue),
            "market": str(self.market),
            "symbol": self.symbol,
            "kind": str(self.kind),
            "interval": self.interval,
            "first": iso(to_ms(self.first)),
            "last": iso(to_ms(self.last)),
            "rows": self.rows,
            "gap_count": self.gaps.count,
            "missing": self.gaps.missing,
            "largest_gap": None if self.gaps.biggest is None else self.gaps.biggest.to_dict(),
            "gaps": [gap.to_dict() for gap in self.gaps.largest],
        }


# Columns gaps are computed from, where the time column alone does not tell.
_GAP_COLUMNS = {
    DataKind.TRADES: ["id", "time"],
    DataKind.AGG_TRADES: ["first_id", "last_id", "time"],
    DataKind.DEPTH: ["seq", "first_id", "final_id", "prev_final_id", "is_snapshot", "time"],
}


def list_series(root: Path) -> list[SeriesInfo]:
    """Every series in the store, sorted by kind, venue, market, symbol, interval."""
    infos = (describe(root, key) for key in discover(root))
    return [info for info in infos if info is not None]


def describe(root: Path, key: SeriesKey) -> SeriesInfo | None:
    spec = SPECS[key.kind]
    columns = _GAP_COLUMNS.get(key.kind, [spec.time])
    table = read_series(root, key, columns=columns)
    if table.num_rows == 0:
        return None
    times = table.column(spec.time).to_numpy()
    return SeriesInfo(
        key=key,
        first=to_datetime(int(times[0])),
        last=to_datetime(int(times[-1])),
        rows=table.num_rows,
        gaps=series_gaps(key, table),
    )


def series_gaps(key: SeriesKey, table: pa.Table) -> GapReport:
    """Gaps of rows of ``key`` sorted by key (in-memory schema)."""
    spec = SPECS[key.kind]
    times: npt.NDArray[np.int64] = table.column(spec.time).to_numpy()
    if key.kind is DataKind.TRADES:
        return id_gaps(table.column("id").to_numpy(), times)
    if key.kind is DataKind.AGG_TRADES:
        first, last = (table.column(name).to_numpy() for name in ("first_id", "last_id"))
        return run_gaps(first, last, times)
    if key.kind is DataKind.DEPTH:
        return depth_gaps(table)
    if key.kind in BAR_KINDS:
        return step_gaps(times, interval_ms(str(key.interval)))
    return step_gaps(times, funding_step_ms(times))
