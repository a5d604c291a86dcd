"""`tradingbot backtest`: one strategy over Binance kline files or the store, with reports.

Either options (``--strategy`` and ``--data FILE...`` or ``--symbol --interval [--start
--end]``) or ``--spec backtests/NAME.yaml`` (``backtest.spec``); options given with ``--spec``
replace the spec's values (``--params`` are merged into its ``params``). Everything is checked
before any data is read (``backtest.service.prepare``): a bad request exits 2, missing or bad
market data exits 1, each with one line naming the problem. The run prints a summary; ``--json``
and ``--report`` write the JSON result and the HTML report. ``--model ID`` (or ``promoted``; from
the registry of ``--models`` or the settings) attaches that model's P(up) for ``ml_lightgbm``;
bars that are not after its training span are refused unless ``--allow-model-overlap``, which
runs them with a warning on stderr and ``run.model.warning`` in the JSON.

Exit: the command registers ``gc.freeze`` to run at interpreter exit, so that the final
garbage collections skip the objects alive then (numba's type registries, the imported
modules, the run's arrays): tearing those down took about 0.3 s of a 1.5 s run, for nothing,
as the process is ending (a process that goes on, e.g. a test runner, is affected only when it
exits).
"""

from __future__ import annotations

import atexit
import dataclasses
import gc
import math
from pathlib import Path
from typing import Any

import typer

from ai_engine.backtest.service import (
    BacktestOutcome,
    BacktestRequest,
    DataError,
    RequestError,
    parse_moment,
    run_backtest,
)
from ai_engine.cli.context import settings_of
from ai_engine.strategies import StrategyParamError, parse_assignments

END_HELP = (  # the same rule and text as ``tradingbot run --mode replay --end`` (cli/run.py)
    "Exclusive: bars opening before it; a position still open closes at the last one's close "
    "(ISO, UTC)."
)


def backtest(
    ctx: typer.Context,
    strategy: str | None = typer.Option(None, "--strategy", help="Strategy name."),
    params: str | None = typer.Option(None, "--params", help="Parameters: name=value,..."),
    symbol: str | None = typer.Option(None, "--symbol", help="Symbol in the store (BTCUSDT)."),
    interval: str | None = typer.Option(None, "--interval", help="Bar interval (1m, 5m, 1h)."),
    market: str | None = typer.Option(
        None, "--market", help="spot or usdm (store: default spot; files: checked)."
    ),
    start: str | None = typer.Option(None, "--start", help="First bar open, ISO (UTC)."),
    end: str | None = typer.Option(None, "--end", help=END_HELP),
    data: list[Path] | None = typer.Option(
        None, "--data", help="Binance kline files or folders (repeatable); funding files too."
    ),
    engine: str | None = typer.Option(None, "--engine", help="fast (default) or backtrader."),
    fee_maker: float | None = typer.Option(None, "--fee-maker", help="Maker fee (0.001 = 0.1%)."),
    fee_taker: float | None = typer.Option(None, "--fee-taker", help="Taker fee (0.001 = 0.1%)."),
    slippage_bps: float | None = typer.Option(
        None, "--slippage-bps", help="Fixed slippage in basis points on market and stop fills."
    ),
    cash: float | None = typer.Option(None, "--cash", help="Starting cash (quote currency)."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the JSON result here."),
    report_out: Path | None = typer.Option(None, "--report", help="Write the HTML report here."),
    spec: Path | None = typer.Option(None, "--spec", help="A YAML backtest spec."),
    model: str | None = typer.Option(
        None, "--model", help="Model id (or 'promoted') whose P(up) feeds ml_lightgbm."
    ),
    allow_model_overlap: bool = typer.Option(
        False, "--allow-model-overlap", help="Run bars the model trained on (flagged in-sample)."
    ),
    models: Path | None = typer.Option(
        None, "--models", help="Model registry root (default: the settings' models dir)."
    ),
) -> None:
    """Backtest a strategy and print its metrics; optionally write JSON and an HTML report."""
    atexit.unregister(gc.freeze)  # once, however many runs this process makes
    atexit.register(gc.freeze)  # module docstring: a faster exit
    given: dict[str, Any] = {
        "strategy": strategy,
        "symbol": symbol,
        "interval": interval,
        "market": market,
        "engine": engine,
        "fee_maker": fee_maker,
        "fee_taker": fee_taker,
        "slippage_bps": slippage_bps,
        "cash": cash,
        "json_out": json_out,
        "report_out": report_out,
        "data": tuple(data) if data else None,
        "model": model,
        "allow_model_overlap": allow_model_overlap or None,
        "models_root": models or settings_of(ctx).models_root,
    }
    try:
        given["start"] = None if start is None else parse_moment(start, "--start")
        given["end"] = None if end is None else parse_moment(end, "--end")
        assignments = parse_assignments(params or "")
        request = _request(spec, {k: v for k, v in given.items() if v is not None}, assignments)
        outcome = run_backtest(request, data_dir=settings_of(ctx).store_dir)
    except DataError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except (RequestError, StrategyParamError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    _summary(outcome)
    warning = outcome.document["run"].get("model", {}).get("warning")
    if warning:
        typer.echo(f"WARNING: {warning}", err=True)


def _request(spec: Path | None, given: dict[str, Any], params: dict[str, str]) -> BacktestRequest:
    if spec is not None:
        from ai_engine.backtest.spec import read_spec  # on use: YAML only with --spec

        base = read_spec(spec)
        merged = {**base.params, **params}
        return dataclasses.replace(base, params=merged, **given)
    if "strategy" not in given:
        raise RequestError("--strategy is required (or give --spec)")
    return BacktestRequest(params=params, **given)


def _summary(outcome: BacktestOutcome) -> None:
    m, doc = outcome.metrics, outcome.document
    run = doc["run"]
    typer.echo(
        f"{run['strategy']} on {outcome.series} ({run['engine']} engine): {m.bars:,} bars, "
        f"{doc['start']} .. {doc['end']}"
    )
    if outcome.result.config.market == "usdm" and outcome.funding_events is None:
        typer.echo("  no funding data for these bars: funding not charged")
    typer.echo(
        f"  final equity {m.final_equity:,.2f} from {m.initial_equity:,.2f} "
        f"({_pct(m.total_return)}), CAGR {_pct(m.cagr)}, "
        f"max drawdown {_pct(m.max_drawdown, sign='')}"
    )
    typer.echo(
        f"  Sharpe {_num(m.sharpe)}, Sortino {_num(m.sortino)}, Calmar {_num(m.calmar)}; "
        f"{m.trades} trades, win rate {_pct(m.win_rate, sign='')}, "
        f"profit factor {_num(m.profit_factor)}, fees {m.fees_paid:,.2f}"
    )
    skipped = {k: v for k, v in outcome.result.skipped.items() if v}
    if skipped:
        typer.echo("  entries skipped: " + ", ".join(f"{k} {v}" for k, v in skipped.items()))
    t = outcome.result.timings
    typer.echo(
        "  seconds: "
        + ", ".join(f"{k} {t[k]:.3f}" for k in ("load", "indicators", "simulation", "metrics"))
    )
    for path in outcome.written:
        typer.echo(f"wrote {path}")


def _pct(value: float, sign: str = "+") -> str:
    return "n/a" if not math.isfinite(value) else f"{100 * value:{sign}.2f}%"


def _num(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"
