"""History from Binance's REST API (``--source api``), into the store, resumable.

For each request: read the server's clock, limit the range to what has happened (bars: those
closed by then), ask the store what is missing (``resume``), fetch it in windows (``planner``)
through the paced, retried client (``binance_rest``), turn each answer into Binance's CSV
layout (``wire``) and hand it to the store writer (``sink``), which imports through the
validated importer every ``flush_rows`` rows.

If the download stops (an error, Ctrl-C), what was fetched is flushed first; a hard kill loses
at most the unflushed chunks. Either way the next run starts where the store ends, with no
gap and no duplicate. Bad data from the exchange is the exception: it is never flushed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.intervals import floor_ms, interval_ms, iso

from .binance_rest import BinanceRest
from .errors import BadRequestError, DownloadError
from .planner import HOUR_MS, Window, windows
from .progress import NullProgress, Progress
from .report import SeriesReport, stored_state
from .request import BAR_KINDS, DownloadRequest, Kind, Source
from .resume import missing_ranges
from .retry import RetryPolicy
from .sink import StoreWriter
from .timing import SystemTiming, Timing
from .wire import Chunk, agg_ids, agg_trade_chunk, funding_chunk, kline_chunk

PAGE = 1000  # rows per funding / aggTrades request (Binance's maximum)


@dataclass(frozen=True)
class ApiOptions:
    base_url: str | None = None  # None: Binance; else e.g. the sim exchange's http://host:port
    timeout_s: float = 10.0  # per HTTP request
    chunk_bars: int = 1000  # bars per klines request (Binance: at most 1000 on spot)
    flush_rows: int = 10_000  # rows fetched between writes to the store
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        if not 1 <= self.chunk_bars <= 1000:
            raise BadRequestError(f"chunk_bars must be 1..1000, got {self.chunk_bars}")
        if self.timeout_s <= 0:
            raise BadRequestError(f"timeout must be positive, got {self.timeout_s}")


@dataclass(frozen=True)
class ChunkDone:
    """Reported after each answer is queued for the store (tests use it to interrupt)."""

    request: DownloadRequest
    done: int  # requests of this download so far
    total: int | None  # planned requests (None for funding, which pages)
    rows: int


class ApiDownloader:
    """Downloads requests from the REST API into the store at ``root``."""

    def __init__(
        self,
        root: Path,
        options: ApiOptions | None = None,
        *,
        timing: Timing | None = None,
        rng: random.Random | None = None,
        progress: Progress | None = None,
        on_chunk: Callable[[ChunkDone], None] | None = None,
    ) -> None:
        self.root = root
        self.options = options or ApiOptions()
        self.timing = timing or SystemTiming()
        self.rng = rng or random.Random()
        self.progress = progress or NullProgress()
        self.on_chunk = on_chunk
        self._clients: dict[MarketType, BinanceRest] = {}

    def client(self, market: MarketType) -> BinanceRest:
        """The market's client, connected (clock offset, weight limit) on first use."""
        if market not in self._clients:
            rest = BinanceRest(
                market,
                base_url=self.options.base_url,
                timeout_s=self.options.timeout_s,
                timing=self.timing,
                policy=self.options.policy,
                rng=self.rng,
            )
            try:
                rest.connect()
            except BaseException:
                rest.close()
                raise
            self._clients[market] = rest
        return self._clients[market]

    def download(self, request: DownloadRequest) -> SeriesReport:
        if request.kind is Kind.TRADES:
            raise BadRequestError("trades come from the archive only: use --source archive")
        started = time.perf_counter()
        rest = self.client(request.market)
        stats = rest.caller.stats
        before = (stats.requests, stats.retries, stats.rate_limited, stats.banned, stats.waited_s)
        end, notes = self._end(rest, request)
        run = _Run(self, rest, request, end)
        with StoreWriter(self.root, request.key, flush_rows=self.options.flush_rows) as writer:
            run.writer = writer
            try:
                run.fetch()
                writer.flush()
            except BadMarketData as exc:
                raise DownloadError(
                    f"{request.label}: refused, nothing of this write was stored: {exc}"
                ) from exc
            except BaseException:
                writer.flush()  # keep what was fetched; the next run goes on from there
                raise
            finally:
                self.progress.end()
        stored, gaps = stored_state(self.root, request.key, request.start_ms, end)
        return SeriesReport(
            request=request,
            source=Source.API,
            start_ms=request.start_ms,
            end_ms=end,
            rows_received=run.received,
            rows_added=writer.added,
            requests=stats.requests - before[0],
            seconds=time.perf_counter() - started,
            stored=stored,
            gaps=gaps,
            retries=stats.retries - before[1],
            rate_limited=stats.rate_limited - before[2],
            banned=stats.banned - before[3],
            waited_s=stats.waited_s - before[4],
            notes=tuple(notes),
        )

    def close(self) -> None:
        for rest in self._clients.values():
            rest.close()
        self._clients.clear()

    def _end(self, rest: BinanceRest, request: DownloadRequest) -> tuple[int, list[str]]:
        """The range's end: at most the server's now; for bars, the open of the bar in
        progress (only closed bars are stored)."""
        now = rest.server_now_ms()
        limit = floor_ms(now, str(request.interval)) if request.kind in BAR_KINDS else now
        notes: list[str] = []
        if request.end_ms is None:
            return limit, notes
        if request.end_ms > limit:
            notes.append(
                f"end {iso(request.end_ms)} is after the server's now: kept to {iso(limit)}"
            )
            return limit, notes
        return request.end_ms, notes


class _Run:
    """One request's fetch loop (state shared by its steps)."""

    def __init__(
        self, owner: ApiDownloader, rest: BinanceRest, request: DownloadRequest, end: int
    ) -> None:
        self.owner = owner
        self.rest = rest
        self.request = request
        self.end = end
        self.writer: StoreWriter | None = None
        self.received = 0
        self.done = 0

    def fetch(self) -> None:
        ranges = missing_ranges(self.owner.root, self.request.key, self.request.start_ms, self.end)
        if self.request.kind in BAR_KINDS:
            self._bars(ranges)
        elif self.request.kind is Kind.FUNDING:
            self._funding(ranges)
        else:
            self._agg_trades(ranges)

    def _bars(self, ranges: list[tuple[int, int]]) -> None:
        interval = str(self.request.interval)
        step = interval_ms(interval)
        plan = windows(ranges, self.owner.options.chunk_bars * step)
        self._begin(sum(_span(w) for w in plan) / step, "bars")
        mark = self.request.kind is Kind.MARK_PRICE
        for window in plan:
            rows = self.rest.klines(
                self.request.symbol, interval, window.start_ms, window.last_ms,
                self.owner.options.chunk_bars, mark=mark,
            )  # fmt: skip
            chunk = kline_chunk(
                rows, step_ms=step, now_ms=self.rest.server_now_ms(), source=self._source(window)
            )
            self._queue(window, rows, chunk, len(plan), _span(window) / step)

    def _funding(self, ranges: list[tuple[int, int]]) -> None:
        self._begin(sum(b - a for a, b in ranges) / 60_000, "min")
        for start, end in ranges:
            cursor = start
            while cursor < end:
                window = Window(cursor, end)
                rows = self.rest.funding_rates(self.request.symbol, cursor, end - 1, PAGE)
                chunk = funding_chunk(rows, source=self._source(window))
                following = end  # a short page: nothing more in the range
                if len(rows) >= PAGE and chunk.last_ms is not None:
                    following = chunk.last_ms + 1
                if following <= cursor:
                    raise DownloadError(f"{self._source(window)}: the answer does not move on")
                self._queue(window, rows, chunk, None, (following - cursor) / 60_000)
                cursor = following

    def _agg_trades(self, ranges: list[tuple[int, int]]) -> None:
        plan = windows(ranges, HOUR_MS)
        self._begin(sum(_span(w) for w in plan) / 60_000, "min")
        for window in plan:
            cursor, last_id = window.start_ms, -1
            while True:
                rows = self.rest.agg_trades(self.request.symbol, cursor, window.last_ms, PAGE)
                chunk = agg_trade_chunk(rows, source=self._source(Window(cursor, window.end_ms)))
                fresh = [row for row, a in zip(rows, agg_ids(rows), strict=True) if a > last_id]
                if len(fresh) < len(rows):
                    chunk = agg_trade_chunk(fresh, source=self._source(window))
                full = len(rows) >= PAGE
                self._queue(window, rows, chunk, len(plan), 0 if full else _span(window) / 60_000)
                if not full:
                    break
                # A full page: go on from its last millisecond (groups there may continue);
                # ids already taken are dropped above.
                last_id = max(last_id, *agg_ids(rows))
                last_time = int(rows[-1]["T"])
                if last_time <= cursor:
                    raise DownloadError(
                        f"{self._source(window)}: more than {PAGE} aggregate trades in one "
                        "millisecond; cannot page through them by time"
                    )
                cursor = last_time

    def _begin(self, total: float, unit: str) -> None:
        self.owner.progress.begin(self.request.short_label, total, unit)

    def _queue(
        self, window: Window, rows: list[Any], chunk: Chunk, total: int | None, units: float
    ) -> None:
        assert self.writer is not None
        self.received += len(rows)
        self.done += 1
        tag = f"api-{_stamp(window.start_ms)}-{_stamp(window.end_ms)}-{self.done}"
        self.writer.add(tag, chunk.data, chunk.rows)
        self.owner.progress.advance(units)
        if self.owner.on_chunk is not None:
            self.owner.on_chunk(ChunkDone(self.request, self.done, total, chunk.rows))

    def _source(self, window: Window) -> str:
        return f"{self.request.label} {iso(window.start_ms)}..{iso(window.end_ms)}"


def _span(window: Window) -> int:
    return window.end_ms - window.start_ms


def _stamp(ms: int) -> str:
    return iso(ms).replace(":", "").replace("-", "")
