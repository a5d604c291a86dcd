"""`tradingbot experiment capital|data-volume`: seed 003's experiments (``backtest.experiments``).

* ``capital``: parameters chosen on the first half of the data (or fixed with ``--params``
  and no ``--range``), the second half backtested at each ``--capitals`` with a
  size-dependent impact model (``--impact book`` or ``volume --impact-k K``) and without
  one; prints return, impact cost, fees, Sharpe, drawdown per capital.
* ``data-volume``: the last ``--test-days`` held out; parameters optimised on each
  ``--train-days`` before it; prints in-sample and out-of-sample scores per length.

Both run locally; options as in `tradingbot optimize`. ``--json OUT`` writes the table.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer

from ai_engine.backtest import experiments as ex
from ai_engine.backtest.config import SlippageModel
from ai_engine.backtest.evaluation import PreparedData
from ai_engine.backtest.metrics import DAY_MS
from ai_engine.backtest.optimize import CallbackProgress, Evaluator, OptimizeSettings
from ai_engine.backtest.search_space import Params
from ai_engine.cli import research
from ai_engine.cli.context import settings_of
from ai_engine.cli.optimize import RANGE_HELP, _quiet_optuna
from ai_engine.cli.table import echo_table
from ai_engine.marketdata.intervals import iso

app = typer.Typer(help="Seed 003's experiments: capital scaling, training-data volume.")

_STRATEGY = typer.Option(..., "--strategy", help="Strategy name.")
_SYMBOL = typer.Option(..., "--symbol", help="Symbol in the store (BTCUSDT).")


@app.command("capital")
def capital(
    ctx: typer.Context,
    strategy: str = _STRATEGY,
    symbol: str = _SYMBOL,
    interval: str = typer.Option("1m", "--interval"),
    start: str | None = typer.Option(None, "--start", help="ISO (UTC)."),
    end: str | None = typer.Option(None, "--end", help="Exclusive, ISO (UTC)."),
    ranges: list[str] | None = typer.Option(None, "--range", help=RANGE_HELP),
    params: str = typer.Option("", "--params", help="Fixed parameters: name=value,..."),
    capitals: str = typer.Option("100,1000,10000,100000", "--capitals", help="Comma-separated."),
    impact: str = typer.Option("book", "--impact", help="book or volume."),
    impact_k: float = typer.Option(0.1, "--impact-k", help="volume impact: k."),
    train_fraction: float = typer.Option(0.5, "--train-fraction", help="Share used to choose."),
    objective: str = typer.Option("sharpe", "--objective"),
    min_trades: int = typer.Option(0, "--min-trades"),
    fee_taker: float | None = typer.Option(None, "--fee-taker", help="Taker fee."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the table here."),
) -> None:
    """Capital scaling $100 .. $100k with a size-dependent impact model."""
    _quiet_optuna()
    try:
        amounts = [float(x) for x in capitals.split(",") if x.strip()]
    except ValueError:
        typer.echo(f"error: --capitals {capitals!r}: expected numbers", err=True)
        raise typer.Exit(2) from None
    if impact not in ("book", "volume"):
        typer.echo("error: --impact must be book or volume", err=True)
        raise typer.Exit(2)
    model = (
        SlippageModel(kind="book") if impact == "book" else SlippageModel(kind="volume", k=impact_k)
    )
    where = _where(strategy, symbol, interval, start, end, fee_taker)
    if params and not ranges:  # fixed parameters: nothing to choose
        c = research.common(**where)
        given: Params | None = research.fixed_params(c, params)
        s = None
    else:
        s = _setup(where, ranges, params, objective, min_trades)
        c, given = research.Common(s.strategy, s.config, s.data), None
    data = research.load(settings_of(ctx), c.data)
    try:
        result = ex.capital_scaling(
            data, c.strategy, c.config, params=given,
            space=None if s is None else s.space, objective=None if s is None else s.objective,
            evaluator_for=None if s is None else (lambda d: _local(s, d)),
            settings=OptimizeSettings() if s is None else s.optimize, capitals=amounts,
            impact=model, train_fraction=train_fraction,
        )  # fmt: skip
    except ex.ExperimentError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"{c.strategy} on {c.data.symbol}: params "
        + ", ".join(f"{k}={v}" for k, v in result.params.items())
        + f"; out of sample {iso(result.test_start_ms)} .. {iso(result.test_end_ms)}, "
        f"impact {model.kind}"
    )
    echo_table(
        ["capital", "final", "return", "no impact", "impact cost", "fees", "trades", "Sharpe",
         "max DD"],
        [
            [f"{r.capital:,.0f}", f"{r.final_equity:,.2f}", _pct(r.total_return),
             _pct(r.return_without_impact), _pct(r.impact_cost), f"{r.fees_paid:,.2f}",
             str(r.trades), _num(r.sharpe), f"{100 * r.max_drawdown:.2f}%"]
            for r in result.rows
        ],
    )  # fmt: skip
    research.write_json(json_out, result.to_dict())


@app.command("data-volume")
def data_volume(
    ctx: typer.Context,
    strategy: str = _STRATEGY,
    symbol: str = _SYMBOL,
    interval: str = typer.Option("1m", "--interval"),
    start: str | None = typer.Option(None, "--start", help="ISO (UTC)."),
    end: str | None = typer.Option(None, "--end", help="Exclusive, ISO (UTC)."),
    ranges: list[str] | None = typer.Option(None, "--range", help=RANGE_HELP),
    params: str = typer.Option("", "--params", help="Fixed parameters: name=value,..."),
    train_days: str = typer.Option("7,14,30,60", "--train-days", help="Comma-separated."),
    test_days: float = typer.Option(7.0, "--test-days", help="Held-out span, days."),
    objective: str = typer.Option("sharpe", "--objective"),
    min_trades: int = typer.Option(0, "--min-trades"),
    fee_taker: float | None = typer.Option(None, "--fee-taker", help="Taker fee."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the table here."),
) -> None:
    """Training-data volume: more history to choose parameters, same held-out test."""
    _quiet_optuna()
    where = _where(strategy, symbol, interval, start, end, fee_taker)
    s = _setup(where, ranges, params, objective, min_trades)
    try:
        lengths = [round(float(x) * DAY_MS) for x in train_days.split(",") if x.strip()]
    except ValueError:
        typer.echo(f"error: --train-days {train_days!r}: expected numbers", err=True)
        raise typer.Exit(2) from None
    data = research.load(settings_of(ctx), s.data)
    try:
        result = ex.data_volume(
            data, s.strategy, s.config, s.space, s.objective, lambda d: _local(s, d),
            settings=s.optimize, train_ms=lengths, test_ms=round(test_days * DAY_MS),
        )  # fmt: skip
    except ex.ExperimentError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"{s.strategy} on {s.data.symbol}: held out {iso(result.test_start_ms)} .. "
        f"{iso(result.test_end_ms)}"
    )
    echo_table(
        ["train days", "trials", "train", "test", "test return", "trades", "DSR", "PBO"],
        [
            [f"{r.train_days:g}", str(r.trials), _num(r.train_score), _num(r.test_score),
             _pct(r.test_return), str(r.test_trades), _opt(r.deflated_sharpe), _opt(r.pbo)]
            for r in result.rows
        ],
    )  # fmt: skip
    research.write_json(json_out, result.to_dict())


def _where(
    strategy: str,
    symbol: str,
    interval: str,
    start: str | None,
    end: str | None,
    fee_taker: float | None,
) -> dict[str, Any]:
    return {
        "strategy": strategy,
        "symbol": symbol,
        "interval": interval,
        "start": start,
        "end": end,
        "market": "spot",
        "fee_taker": fee_taker,
    }


def _setup(
    where: dict[str, Any],
    ranges: list[str] | None,
    params: str,
    objective: str,
    min_trades: int,
) -> research.Setup:
    return research.setup(
        ranges=ranges, params=params, objective=objective, min_trades=min_trades,
        method="grid", trials=1, seed=0, batch_size=32, grid_points=5, period="1d", **where,
    )  # fmt: skip


def _local(s: research.Setup, data: PreparedData) -> Evaluator:
    return research.local_evaluator(s, data, CallbackProgress())


def _pct(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{100 * value:+.2f}%"


def _num(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.3f}"


def _opt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
