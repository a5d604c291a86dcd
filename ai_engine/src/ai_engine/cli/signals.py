"""`tradingbot signals`: a strategy's per-bar signals and score over Binance kline files.

The files are parsed and validated like `data import` does (nothing is written to the store);
they must all be bars of one series (one symbol, market and interval); overlapping files are
merged, identical duplicate bars dropped, conflicting ones refused. The strategy and its
parameters are checked before any file is read. Without `--json`, the bars with an entry or an
exit are printed; with `--json OUT`, every bar goes to OUT (columns; reason codes with their
words in `reason_codes`).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer

from ai_engine.cli.table import echo_table
from ai_engine.domain.errors import BadMarketData, DomainValueError
from ai_engine.marketdata.importer import expand_paths
from ai_engine.marketdata.intervals import interval_ms, iso
from ai_engine.marketdata.merge import Rows, merge
from ai_engine.marketdata.parsing import parse_file
from ai_engine.marketdata.schema import BARS, bars_of
from ai_engine.marketdata.series import DataKind, SeriesKey
from ai_engine.strategies import (
    MarketInput,
    Signals,
    StrategyParamError,
    UnknownStrategy,
    export,
    get,
    parse_assignments,
)
from ai_engine.strategies import reasons as rs


def signals(
    strategy: str = typer.Option(..., "--strategy", help="Strategy name (see the API's list)."),
    data: list[Path] = typer.Option(
        ..., "--data", help="Binance kline files (.csv, .csv.gz, .zip) or folders; repeatable."
    ),
    params: str = typer.Option("", "--params", help="Parameters: name=value,name=value."),
    json_out: Path | None = typer.Option(None, "--json", help="Write every bar's signals here."),
) -> None:
    """Run a strategy over kline files and write its per-bar signals and score."""
    try:
        chosen = get(strategy)
        resolved = chosen.params(parse_assignments(params))
    except (UnknownStrategy, StrategyParamError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    try:
        key, market = _load(data)
    except (BadMarketData, DomainValueError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    result = chosen.run(market, resolved)
    counts = export.summary(result)
    span = f"{iso(int(market.open_time[0]))} .. {iso(int(market.open_time[-1]))}"
    typer.echo(f"{chosen.name} on {key.label}: {len(market):,} bars, {span}")
    typer.echo("  " + ", ".join(f"{name.replace('_', ' ')} {n:,}" for name, n in counts.items()))
    if json_out is None:
        _print_events(result, market)
        return
    document: dict[str, Any] = {
        "strategy": chosen.name,
        "plan": chosen.plan,
        "params": _values(resolved),
        "series": key.label,
        "symbol": key.symbol,
        "market": str(key.market),
        "interval": key.interval,
        "bars": len(market),
        "summary": counts,
        "exit_rules": result.exit_rules.to_dict(),
        "reason_codes": rs.code_table(),
        "columns": export.columns(result, market),
    }
    json_out.write_text(json.dumps(document, allow_nan=False))
    typer.echo(f"wrote {json_out}")


def _load(paths: list[Path]) -> tuple[SeriesKey, MarketInput]:
    files = [parse_file(path) for path in expand_paths(paths)]
    if not files:
        raise DomainValueError("no kline files found in --data")
    keys = {f.key for f in files}
    if len(keys) > 1 or files[0].key.kind is not DataKind.BARS:
        labels = ", ".join(sorted(k.label for k in keys))
        raise DomainValueError(f"--data must be kline files of one series; got {labels}")
    rows, _ = merge([Rows.of(f.table, f.source, f.lines) for f in files], BARS)
    key = files[0].key
    return key, MarketInput.from_bars(bars_of(rows.table), interval_ms(str(key.interval)))


def _print_events(result: Signals, market: MarketInput) -> None:
    events = result.entries_long | result.exits_long | result.entries_short | result.exits_short
    rows = []
    for i in events.nonzero()[0].tolist():
        what = [
            name
            for name, arr in (
                ("BUY", result.entries_long),
                ("SELL LONG", result.exits_long),
                ("SHORT", result.entries_short),
                ("COVER", result.exits_short),
            )
            if arr[i]
        ]
        rows.append(
            (
                iso(int(market.open_time[i])),
                f"{market.close[i]:g}",
                " + ".join(what),
                _fmt(result.score[i]),
                _fmt(result.stop[i]),
                _fmt(result.take_profit[i]),
                "; ".join(result.reasons_at(i)),
            )
        )
    if rows:
        echo_table(("BAR OPEN (UTC)", "CLOSE", "SIGNAL", "SCORE", "STOP", "TAKE PROFIT",
                    "REASONS"), rows)  # fmt: skip


def _fmt(value: float) -> str:
    return "-" if value != value else f"{value:.6g}"


def _values(params: Any) -> dict[str, Any]:
    return asdict(params)
