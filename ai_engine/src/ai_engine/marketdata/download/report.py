"""What one download did to one series, and what the store holds for the range afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ai_engine.marketdata.gaps import NO_GAPS, GapReport
from ai_engine.marketdata.inventory import series_gaps
from ai_engine.marketdata.partitions import partitions
from ai_engine.marketdata.reader import read_series
from ai_engine.marketdata.schema import SPECS
from ai_engine.marketdata.series import SeriesKey

from .request import DownloadRequest, Source


@dataclass(frozen=True)
class SeriesReport:
    request: DownloadRequest
    source: Source
    start_ms: int
    end_ms: int  # the end actually used (the server's now when none was asked, or earlier)
    rows_received: int  # rows in the answers / files (before de-duplication)
    rows_added: int  # rows new to the store
    requests: int  # HTTP requests sent (API) or files fetched (archive)
    seconds: float
    stored: int  # rows of the series in [start, end) after the download
    gaps: GapReport  # holes in [start, end) after the download
    retries: int = 0
    rate_limited: int = 0  # 429 answers ridden out
    banned: int = 0  # 418 answers waited out
    waited_s: float = 0.0  # pacing, backoff and Retry-After
    files_skipped: int = 0  # archive files already stored
    missing: tuple[str, ...] = ()  # archive files Binance does not have (404)
    failed: tuple[str, ...] = ()  # archive files refused (checksum, bad data): "url: why"
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failed


def stored_state(root: Path, key: SeriesKey, start_ms: int, end_ms: int) -> tuple[int, GapReport]:
    """Rows of ``key`` in ``[start_ms, end_ms)`` and the holes among them."""
    if start_ms >= end_ms or not partitions(root, key):
        return 0, NO_GAPS
    spec = SPECS[key.kind]
    columns = [spec.time] + [name for name in ("id", "first_id", "last_id") if name in spec.names]
    table = read_series(root, key, start_ms, end_ms, columns=columns)
    return table.num_rows, series_gaps(key, table)
