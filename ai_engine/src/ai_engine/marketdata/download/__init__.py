"""History downloads into the market-data store: Binance's REST API (python-binance) or its
public data archive. Resumable; everything goes through the validated importer.

Entry point: ``download(requests, store_root, source, ...)`` (``service``). Modules:
``request`` (what to fetch, checked), ``binance_rest`` (the paced, retried python-binance
client), ``pacing`` / ``retry`` / ``caller`` (weight budget, backoff, Retry-After),
``planner`` / ``resume`` (windows of what the store lacks), ``wire`` (answers -> Binance's CSV
layouts), ``sink`` (chunks -> ``import_files``), ``api_source`` and ``archive_source`` (the
two downloaders), ``archive_layout`` / ``archive_fetch`` / ``checksum`` (the archive),
``progress`` (rich bar on stderr), ``timing`` (clock and sleep, injectable).
"""

from __future__ import annotations

from .api_source import ApiDownloader, ApiOptions, ChunkDone
from .archive_layout import DEFAULT_ARCHIVE_URL
from .archive_source import ArchiveDownloader, ArchiveOptions
from .errors import (
    BadRequestError,
    BannedError,
    ChecksumMismatchError,
    DownloadError,
    ExchangeRefusedError,
    FileRefusedError,
    RetriesExhaustedError,
)
from .progress import NullProgress, Progress, make_progress
from .report import SeriesReport
from .request import DownloadRequest, Kind, Source, parse_time
from .retry import RetryPolicy
from .service import download
from .timing import SystemTiming, Timing

__all__ = [
    "DEFAULT_ARCHIVE_URL",
    "ApiDownloader",
    "ApiOptions",
    "ArchiveDownloader",
    "ArchiveOptions",
    "BadRequestError",
    "BannedError",
    "ChecksumMismatchError",
    "ChunkDone",
    "DownloadError",
    "DownloadRequest",
    "ExchangeRefusedError",
    "FileRefusedError",
    "Kind",
    "NullProgress",
    "Progress",
    "RetriesExhaustedError",
    "RetryPolicy",
    "SeriesReport",
    "Source",
    "SystemTiming",
    "Timing",
    "download",
    "make_progress",
    "parse_time",
]
