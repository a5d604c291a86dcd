"""`tradingbot demo` (what `make demo` runs): services up, schema migrated, the bundled real
Binance data imported into the store, and a per-symbol summary of it. Later issues grow this
into the whole system replaying that data through the simulated exchange."""

from __future__ import annotations

from pathlib import Path

import typer

import ai_engine
from ai_engine.cli.context import settings_of
from ai_engine.cli.table import echo_table
from ai_engine.domain.errors import BadMarketData
from ai_engine.infra.errors import ServiceError
from ai_engine.infra.local_services import up
from ai_engine.infra.urls import mask_url
from ai_engine.marketdata.importer import expand_paths, import_files
from ai_engine.marketdata.intervals import iso, to_ms
from ai_engine.marketdata.inventory import SeriesInfo, list_series
from ai_engine.marketdata.series import DataKind
from ai_engine.marketdata.store import BarStore
from ai_engine.marketdata.summary import (
    BarSummary,
    summarize_bars,
    summarize_funding,
    summarize_trades,
)
from ai_engine.store.migrate import current_revision, upgrade

# ai_engine/src/ai_engine/__init__.py -> ai_engine/sample_data (the repository checkout)
SAMPLE_DIR = Path(ai_engine.__file__).resolve().parents[2] / "sample_data"


def demo(
    ctx: typer.Context,
    sample_dir: Path = typer.Option(SAMPLE_DIR, help="Folder of Binance files to import."),
) -> None:
    """Start services, migrate, import the bundled real data, print a summary."""
    settings = settings_of(ctx)
    typer.echo("[1/4] local services")
    try:
        urls = up(settings)
    except ServiceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"  PostgreSQL {mask_url(urls.database_url)}\n  Redis      {urls.redis_url}")

    typer.echo("[2/4] database schema")
    upgrade(urls.database_url)
    typer.echo(f"  at revision {current_revision(urls.database_url)}")

    typer.echo(f"[3/4] import {sample_dir}")
    files = expand_paths([sample_dir])
    if not files:
        typer.echo(f"error: no Binance data files under {sample_dir}", err=True)
        raise typer.Exit(1)
    try:
        report = import_files(files, settings.store_dir)
    except BadMarketData as exc:
        typer.echo(f"error: {exc}\nnothing was imported", err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        f"  {report.files} files, {report.added:,} new rows "
        f"(re-running adds none) into {settings.store_dir}"
    )

    typer.echo("[4/4] summary (real Binance data, UTC)")
    _summarise(BarStore(settings.store_dir), list_series(settings.store_dir))
    typer.echo(
        "\nServices keep running: `.venv/bin/tradingbot api` serves this data "
        "(OpenAPI at /docs); `.venv/bin/tradingbot services down` stops them."
    )


def _span(info: SeriesInfo) -> tuple[str, str]:
    return iso(to_ms(info.first)), iso(to_ms(info.last))


def _gaps(info: SeriesInfo) -> str:
    biggest = info.gaps.biggest
    if biggest is None:
        return "none"
    return f"{info.gaps.count} (largest {biggest.describe()})"


def _flow(s: BarSummary) -> tuple[str, str]:
    # Some sources (freqtrade's 6-column candles) carry no quote or taker volume: say so
    # rather than print a zero that reads like a dead market.
    if s.quote_volume == 0:
        return "n/a", "n/a"
    return f"{s.quote_volume / 1e6:,.1f}M", f"{s.taker_buy_share:.1%}"


def _summarise(store: BarStore, infos: list[SeriesInfo]) -> None:
    bars = [info for info in infos if info.kind is DataKind.BARS]
    rows = []
    for info in bars:
        s = summarize_bars(store.load_bars(info.symbol, info.interval or "1m", market=info.market))
        first, last = _span(info)
        rows.append(
            [info.symbol, str(info.market), info.interval or "", first, last, f"{s.bars:,}",
             f"{s.open:,.2f}", f"{s.close:,.2f}", f"{s.change_pct:+.2f}%", f"{s.high:,.2f}",
             f"{s.low:,.2f}", *_flow(s),
             _gaps(info)]
        )  # fmt: skip
    typer.echo("  bars")
    echo_table(
        ["SYMBOL", "MARKET", "TF", "FROM", "TO", "BARS", "OPEN", "CLOSE", "CHANGE", "HIGH",
         "LOW", "QUOTE VOL", "TAKER BUY", "GAPS"],
        rows, indent="    ",
    )  # fmt: skip
    others = []
    for info in infos:
        first, last = _span(info)
        if info.kind is DataKind.TRADES:
            t = summarize_trades(store.load_trades(info.symbol, market=info.market))
            detail = (f"vwap {t.vwap:,.2f}, taker buys {t.taker_buy_share:.1%}, "
                      f"largest {t.largest_qty:g}")  # fmt: skip
            others.append([info.symbol, str(info.market), "trades", first, last,
                           f"{t.trades:,}", detail])  # fmt: skip
        elif info.kind is DataKind.FUNDING:
            f = summarize_funding(store.load_funding(info.symbol, market=info.market))
            detail = f"mean rate {f.mean_rate:+.4%}, last {f.last_rate:+.4%}"
            others.append([info.symbol, str(info.market), "funding", first, last,
                           f"{f.events:,}", detail])  # fmt: skip
    if others:
        typer.echo("  trades and funding")
        echo_table(["SYMBOL", "MARKET", "KIND", "FROM", "TO", "ROWS", "DETAIL"], others,
                   indent="    ")  # fmt: skip
