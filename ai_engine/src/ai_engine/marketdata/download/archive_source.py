"""Bulk history from Binance's public data archive (``--source archive``), resumable.

For each planned file (``archive_layout``), oldest first:

1. skip it if the store already holds its whole period (``resume.period_complete``);
2. fetch the zip (into a temporary folder that mirrors the archive path, so the importer
   reads the market and the kind -- ``markPriceKlines`` -- from the folders as it does for a
   mirrored download) and its ``.CHECKSUM``; verify the sha256;
3. import it through ``import_files``: parsed, validated, merged, written atomically.

Rules for what goes wrong:

- **404**: the archive has no such file (the symbol was not listed yet, or the day is not
  published). A missing monthly file falls back to its daily files; a missing daily file
  is listed in the report and the download goes on (the CLI exits 2 when any was missing).
- **checksum mismatch, no CHECKSUM, bad data**: that file is refused -- nothing of it is
  stored -- listed with the reason, and the download goes on (the CLI exits 1).
- anything else (network down after every retry, a ban): the download stops; what was
  imported stays, and the next run skips it.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.importer import import_files
from ai_engine.marketdata.intervals import iso
from ai_engine.marketdata.parsing import Overrides

from .archive_fetch import ArchiveHttp
from .archive_layout import (
    DEFAULT_ARCHIVE_URL,
    MONTHLY_ONLY,
    ArchiveFile,
    archive_end,
    plan_files,
)
from .checksum import expected_sha256, verify
from .errors import BadRequestError, ChecksumFileError, FileRefusedError
from .progress import NullProgress, Progress
from .report import SeriesReport, stored_state
from .request import DownloadRequest, Source
from .resume import period_complete
from .retry import RetryPolicy
from .timing import SystemTiming, Timing


@dataclass(frozen=True)
class ArchiveOptions:
    base_url: str = DEFAULT_ARCHIVE_URL
    timeout_s: float = 60.0
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise BadRequestError(f"timeout must be positive, got {self.timeout_s}")


@dataclass
class _Tally:
    received: int = 0
    added: int = 0
    fetched: int = 0
    skipped: int = 0
    missing: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class ArchiveDownloader:
    def __init__(
        self,
        root: Path,
        options: ArchiveOptions | None = None,
        *,
        timing: Timing | None = None,
        rng: random.Random | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.root = root
        self.options = options or ArchiveOptions()
        self.timing = timing or SystemTiming()
        self.progress = progress or NullProgress()
        self.http = ArchiveHttp(
            self.options.base_url,
            timeout_s=self.options.timeout_s,
            timing=self.timing,
            policy=self.options.policy,
            rng=rng or random.Random(),
        )

    def download(self, request: DownloadRequest) -> SeriesReport:
        started = time.perf_counter()
        stats = self.http.stats
        before = (stats.requests, stats.retries, stats.rate_limited, stats.banned, stats.waited_s)
        end, notes = self._end(request)
        today = archive_end(int(self.timing.now() * 1000))
        planned = plan_files(request, end, today_ms=today)
        if request.kind in MONTHLY_ONLY:
            covered = planned[-1].file.end_ms if planned else request.start_ms
            if covered < end:
                notes.append(
                    f"{request.kind}: the archive has monthly files only, of months that are "
                    f"over; {iso(max(covered, request.start_ms))} .. {iso(end)} is not in it "
                    "(use --source api)"
                )
        tally = _Tally()
        work = Path(tempfile.mkdtemp(prefix="tradingbot-archive-"))
        self.progress.begin(request.short_label, len(planned), "files")
        try:
            for item in planned:
                if not self._file(request, item.file, work, tally) and item.fallback:
                    tally.missing.pop()  # the monthly file: its days stand in for it
                    for day in item.fallback:
                        self._file(request, day, work, tally)
                self.progress.advance(1)
        finally:
            self.progress.end()
            shutil.rmtree(work, ignore_errors=True)
        stored, gaps = stored_state(self.root, request.key, request.start_ms, end)
        return SeriesReport(
            request=request,
            source=Source.ARCHIVE,
            start_ms=request.start_ms,
            end_ms=end,
            rows_received=tally.received,
            rows_added=tally.added,
            requests=tally.fetched,
            seconds=time.perf_counter() - started,
            stored=stored,
            gaps=gaps,
            retries=stats.retries - before[1],
            rate_limited=stats.rate_limited - before[2],
            banned=stats.banned - before[3],
            waited_s=stats.waited_s - before[4],
            files_skipped=tally.skipped,
            missing=tuple(tally.missing),
            failed=tuple(tally.failed),
            notes=tuple(notes),
        )

    def close(self) -> None:
        self.http.close()

    def _end(self, request: DownloadRequest) -> tuple[int, list[str]]:
        today = archive_end(int(self.timing.now() * 1000))
        if request.end_ms is None:
            return today, []
        if request.end_ms > today:
            note = f"end {iso(request.end_ms)}: the archive has whole days only, up to {iso(today)}"
            return today, [note]
        return request.end_ms, []

    def _file(self, request: DownloadRequest, file: ArchiveFile, work: Path, tally: _Tally) -> bool:
        """Fetch, check and import one file; False if the archive does not have it."""
        if period_complete(self.root, request.key, file.start_ms, file.end_ms):
            tally.skipped += 1
            return True
        url = self.http.url(file.path)
        target = work / file.path
        actual = self.http.download(file.path, target)
        if actual is None:
            tally.missing.append(url)
            return False
        tally.fetched += 1
        try:
            checksum = self.http.text(file.checksum_path)
            if checksum is None:
                raise ChecksumFileError(f"{url}: no CHECKSUM file beside it; not imported")
            verify(actual, expected_sha256(checksum, file.name, url + ".CHECKSUM"), url)
            overrides = Overrides(
                symbol=request.symbol, market=request.market, interval=request.interval
            )
            report = import_files([target], self.root, overrides)
        except FileRefusedError as exc:
            tally.failed.append(str(exc))
            return True
        except BadMarketData as exc:
            tally.failed.append(
                f"{url}: bad data, nothing stored from it: {exc.message}"
                + ("" if exc.row is None else f" (line {exc.row})")
            )
            return True
        finally:
            target.unlink(missing_ok=True)
        tally.received += sum(item.rows for item in report.series)
        tally.added += report.added
        return True
