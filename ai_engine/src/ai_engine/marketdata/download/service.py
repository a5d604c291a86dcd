"""``download``: the one function entry points call -- requests in, reports out.

Requests run one after another (one client per market, kept across requests, so pacing
knows everything this process has sent). A report is handed to ``on_report`` as soon as its
series is done, so a failure on a later symbol does not hide what earlier ones did.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path

from .api_source import ApiDownloader, ApiOptions, ChunkDone
from .archive_source import ArchiveDownloader, ArchiveOptions
from .progress import NullProgress, Progress
from .report import SeriesReport
from .request import DownloadRequest, Source
from .timing import Timing


def download(
    requests: Sequence[DownloadRequest],
    root: Path,
    source: Source = Source.API,
    *,
    api: ApiOptions | None = None,
    archive: ArchiveOptions | None = None,
    timing: Timing | None = None,
    rng: random.Random | None = None,
    progress: Progress | None = None,
    on_chunk: Callable[[ChunkDone], None] | None = None,
    on_report: Callable[[SeriesReport], None] | None = None,
) -> list[SeriesReport]:
    """Download every request into the store at ``root``; ``DownloadError`` stops it."""
    shown = progress or NullProgress()
    reports: list[SeriesReport] = []
    downloader: ApiDownloader | ArchiveDownloader
    if source is Source.API:
        downloader = ApiDownloader(
            root, api, timing=timing, rng=rng, progress=shown, on_chunk=on_chunk
        )
    else:
        downloader = ArchiveDownloader(root, archive, timing=timing, rng=rng, progress=shown)
    try:
        for request in requests:
            report = downloader.download(request)
            reports.append(report)
            if on_report is not None:
                on_report(report)
    finally:
        downloader.close()
        shown.close()
    return reports
