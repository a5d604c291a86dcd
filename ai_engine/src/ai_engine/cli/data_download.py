"""`tradingbot data download`: history from Binance's REST API or its data archive.

Thin: parse the options into requests, call ``marketdata.download.download``, print what each
series got. Exit status 0 = done; 1 = an error (nothing more was fetched after it, what was
stored stays); 2 = done, but the archive lacked some files (listed).
"""

from __future__ import annotations

from enum import StrEnum

import typer

from ai_engine.cli.context import settings_of
from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.download import (
    DEFAULT_ARCHIVE_URL,
    ApiOptions,
    ArchiveOptions,
    DownloadError,
    DownloadRequest,
    Kind,
    RetryPolicy,
    SeriesReport,
    Source,
    make_progress,
    parse_time,
)
from ai_engine.marketdata.download.request import BAR_KINDS, FUTURES_ONLY
from ai_engine.marketdata.download.service import download as run_download
from ai_engine.marketdata.intervals import iso

_UNITS = {Kind.KLINES: "bars", Kind.MARK_PRICE: "bars", Kind.FUNDING: "funding events",
          Kind.AGG_TRADES: "aggregate trades", Kind.TRADES: "trades"}  # fmt: skip


class Market(StrEnum):
    SPOT = "spot"
    USDM = "usdm"


def download(
    ctx: typer.Context,
    symbol: list[str] = typer.Option(..., "--symbol", help="Symbol, e.g. BTCUSDT (repeatable)."),
    start: str = typer.Option(..., help="Start, ISO 8601 date or time (UTC if no offset)."),
    end: str | None = typer.Option(
        None, help="End (exclusive); default: now (api), today 00:00 UTC (archive)."
    ),
    interval: str | None = typer.Option(
        None, help="Kline interval for klines and mark-price (default 1m)."
    ),
    market: Market | None = typer.Option(
        None, help="spot or usdm (default: usdm for funding and mark-price, else spot)."
    ),
    kind: Kind = typer.Option(Kind.KLINES, help="What to download."),
    source: Source = typer.Option(
        Source.API, help="api: Binance's REST API; archive: data.binance.vision files."
    ),
    base_url: str | None = typer.Option(
        None,
        help=f"REST base URL (api: default Binance's hosts; a sim exchange: http://host:port) "
        f"or archive base URL (default {DEFAULT_ARCHIVE_URL}).",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    timeout: float | None = typer.Option(
        None, help="Seconds per HTTP request (default 10 for api, 60 for archive)."
    ),
    max_ban_wait: float = typer.Option(
        180.0, help="Wait out an IP ban (HTTP 418) up to this many seconds, else stop."
    ),
    flush_rows: int = typer.Option(
        10_000, help="Rows fetched between writes to the store (a kill loses at most these)."
    ),
) -> None:
    """Download history into the store; resumes where the store ends."""
    root = settings_of(ctx).store_dir
    try:
        requests = _requests(symbol, start, end, interval, market, kind)
        policy = RetryPolicy(max_ban_wait_s=max_ban_wait)
        api = ApiOptions(
            base_url=base_url if source is Source.API else None,
            timeout_s=timeout or 10.0,
            flush_rows=flush_rows,
            policy=policy,
        )
        archive = ArchiveOptions(
            base_url=base_url or DEFAULT_ARCHIVE_URL, timeout_s=timeout or 60.0, policy=policy
        )
        reports = run_download(
            requests,
            root,
            source,
            api=api,
            archive=archive,
            progress=make_progress(quiet=quiet),
            on_report=_print_report,
        )
    except (DownloadError, BadMarketData, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        typer.echo("stopped; what was stored stays, and running it again resumes", err=True)
        raise typer.Exit(1) from exc
    if any(not report.ok for report in reports):
        raise typer.Exit(1)
    if any(report.missing for report in reports):
        raise typer.Exit(2)


def _requests(
    symbols: list[str],
    start: str,
    end: str | None,
    interval: str | None,
    market: Market | None,
    kind: Kind,
) -> list[DownloadRequest]:
    start_ms = parse_time(start, "--start")
    end_ms = None if end is None else parse_time(end, "--end")
    chosen = (
        MarketType(market)
        if market is not None
        else MarketType.USDM
        if kind in FUTURES_ONLY
        else MarketType.SPOT
    )
    bar_interval = (interval or "1m") if kind in BAR_KINDS else interval
    return [DownloadRequest(name, kind, chosen, start_ms, end_ms, bar_interval) for name in symbols]


def _print_report(report: SeriesReport) -> None:
    unit = _UNITS[report.request.kind]
    one, many = ("request", "requests") if report.source is Source.API else ("file", "files")
    what = one if report.requests == 1 else many
    typer.echo(
        f"{report.request.label}: {report.rows_received:,} rows received, "
        f"{report.rows_added:,} new {unit} stored, {report.requests:,} {what} "
        f"in {report.seconds:.1f} s"
        + (f", {report.files_skipped} already stored" if report.source is Source.ARCHIVE else "")
    )
    typer.echo(
        f"  range {iso(report.start_ms)} .. {iso(report.end_ms)}: {report.stored:,} {unit} stored"
    )
    if report.retries or report.rate_limited or report.banned or report.waited_s >= 1:
        typer.echo(
            f"  {report.retries} retries, {report.rate_limited} rate limits (429), "
            f"{report.banned} bans (418) ridden out; waited {report.waited_s:.1f} s"
        )
    if report.gaps.count:
        typer.echo(f"  gaps: {report.gaps.count:,} ({report.gaps.missing:,} missing); largest:")
        for gap in report.gaps.largest:
            typer.echo(f"    {gap.describe(unit)}")
    else:
        typer.echo("  gaps: none")
    for note in report.notes:
        typer.echo(f"  note: {note}")
    for url in report.missing:
        typer.echo(f"  not in the archive (404): {url}")
    for reason in report.failed:
        typer.echo(f"  REFUSED: {reason}", err=True)
