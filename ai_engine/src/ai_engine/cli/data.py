"""`tradingbot data ...`: import, list and check the market-data store."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from ai_engine.cli import data_book, data_stream
from ai_engine.cli.context import settings_of
from ai_engine.cli.data_download import download as download_command
from ai_engine.cli.table import echo_table
from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import BadMarketData, DomainValueError
from ai_engine.marketdata.check import CheckReport, check_store
from ai_engine.marketdata.gaps import GapReport
from ai_engine.marketdata.importer import SeriesImport, expand_paths, import_files
from ai_engine.marketdata.intervals import iso, to_ms
from ai_engine.marketdata.inventory import SeriesInfo, list_series
from ai_engine.marketdata.parsing import Overrides
from ai_engine.marketdata.series import DataKind, SeriesKey

app = typer.Typer(
    help="Market-data store: import Binance files, list, check.", no_args_is_help=True
)
app.command("download")(download_command)
app.command("book-check")(data_book.book_check)
app.command("stream")(data_stream.stream)

_UNITS = {DataKind.BARS: "bars", DataKind.TRADES: "trade ids", DataKind.FUNDING: "funding events",
          DataKind.DEPTH: "depth update ids", DataKind.MARK_PRICE: "bars",
          DataKind.AGG_TRADES: "trade ids"}  # fmt: skip


class Market(StrEnum):
    """Markets a Binance file can belong to."""

    SPOT = "spot"
    USDM = "usdm"


@app.command("import")
def import_(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(
        ...,
        help="Binance kline, trade or fundingRate files (.csv, .csv.gz, .zip), raw WebSocket "
        "captures (.jsonl.gz: trades and L2 depth) or folders.",
    ),
    symbol: str | None = typer.Option(None, help="Symbol, when the file names do not say."),
    market: Market | None = typer.Option(None, help="Market, when names and headers do not say."),
    interval: str | None = typer.Option(None, help="Kline interval, when names do not say."),
) -> None:
    """Import files into the store: all of them or, if any is bad, none."""
    store = settings_of(ctx).store_dir
    overrides = Overrides(
        symbol=symbol, market=None if market is None else MarketType(market), interval=interval
    )
    try:
        report = import_files(expand_paths(paths), store, overrides)
    except (BadMarketData, DomainValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        typer.echo("nothing was imported", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"imported {report.files} file(s) into {store}: {report.added:,} new rows")
    for item in report.series:
        _print_import(item)


@app.command("list")
def list_(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """Stored series: span (UTC), rows, gaps."""
    infos = list_series(settings_of(ctx).store_dir)
    if as_json:
        typer.echo(json.dumps([info.to_dict() for info in infos], indent=2))
        return
    if not infos:
        typer.echo(f"no market data in {settings_of(ctx).store_dir}")
        return
    rows = [_list_row(info) for info in infos]
    header = ("VENUE", "MARKET", "SYMBOL", "SERIES", "FIRST (UTC)", "LAST (UTC)", "ROWS", "GAPS",
              "MISSING", "LARGEST GAP")  # fmt: skip
    echo_table(header, rows, indent="")


@app.command("check")
def check(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
) -> None:
    """Re-validate every partition of the store; exit 1 if anything is corrupt."""
    report = check_store(settings_of(ctx).store_dir)
    if as_json:
        typer.echo(json.dumps(_check_dict(report), indent=2))
    else:
        _print_check(report)
    if not report.ok:
        raise typer.Exit(1)


def _print_import(item: SeriesImport) -> None:
    typer.echo(
        f"{item.key.label}: {len(item.files)} file(s), {item.rows:,} rows read, "
        f"{item.duplicates:,} duplicates dropped, {item.already_stored:,} already stored, "
        f"{item.added:,} added"
        + (f" (months {', '.join(item.months_written)})" if item.months_written else "")
    )
    typer.echo(f"  span {iso(item.first_ms)} .. {iso(item.last_ms)}")
    _print_gaps(item.gaps, item.key)


def _print_gaps(gaps: GapReport, key: SeriesKey) -> None:
    unit = _UNITS[key.kind]
    if not gaps.count:
        typer.echo("  gaps: none")
        return
    typer.echo(f"  gaps: {gaps.count:,} ({gaps.missing:,} {unit} missing); largest:")
    for gap in gaps.largest:
        typer.echo(f"    {gap.describe(unit)}")


def _list_row(info: SeriesInfo) -> tuple[str, ...]:
    biggest = info.gaps.biggest
    return (
        str(info.venue),
        str(info.market),
        info.symbol,
        f"{info.kind} {info.interval}"
        if info.kind is DataKind.MARK_PRICE
        else info.interval or str(info.kind),
        iso(to_ms(info.first)),
        iso(to_ms(info.last)),
        f"{info.rows:,}",
        f"{info.gaps.count:,}",
        f"{info.gaps.missing:,}",
        "-" if biggest is None else biggest.describe(_UNITS[info.kind]),
    )


def _print_check(report: CheckReport) -> None:
    for item in report.series:
        if item.problems:
            typer.echo(f"CORRUPT {item.key.label}")
            for problem in item.problems:
                typer.echo(f"  {problem}")
        elif item.info is not None:
            info = item.info
            typer.echo(
                f"ok      {item.key.label}: {info.rows:,} rows, "
                f"{iso(to_ms(info.first))} .. {iso(to_ms(info.last))}"
            )
            _print_gaps(info.gaps, item.key)
    for path in report.stray:
        typer.echo(f"stray file (not a partition; ignored): {path}")
    corrupt = sum(1 for item in report.series if item.problems)
    typer.echo(
        f"{len(report.series)} series checked, {corrupt} corrupt"
        + ("" if report.ok else " -- see above")
    )


def _check_dict(report: CheckReport) -> dict[str, object]:
    return {
        "ok": report.ok,
        "series": [
            {
                "series": item.key.label,
                "problems": list(item.problems),
                "info": None if item.info is None else item.info.to_dict(),
            }
            for item in report.series
        ],
        "stray": list(report.stray),
    }
