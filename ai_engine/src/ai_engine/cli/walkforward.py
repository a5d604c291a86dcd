"""`tradingbot walkforward`: optimise on rolling train windows, trade the following test spans.

Windows default to seed 003's (train 30 days, test 7, step 1 day; ``--train-days``,
``--test-days``, ``--step-days`` take fractions, e.g. 0.25 for 6 hours). Each window's search
runs here or on Celery research workers (``--workers celery``), with the options of
`tradingbot optimize`. Prints each window's parameters and train/test scores, then the
stitched out-of-sample result (``backtest.walkforward``); ``--json OUT`` writes it all.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from ai_engine.backtest.evaluation import PreparedData
from ai_engine.backtest.metrics import DAY_MS
from ai_engine.backtest.optimize import CallbackProgress, Evaluator
from ai_engine.backtest.walkforward import (
    WalkForwardError,
    WalkForwardResult,
    WalkForwardSettings,
    Window,
    WindowResult,
    walk_forward,
)
from ai_engine.cli import research
from ai_engine.cli.context import settings_of
from ai_engine.cli.optimize import RANGE_HELP, _quiet_optuna
from ai_engine.cli.table import echo_table
from ai_engine.marketdata.intervals import iso


def walkforward_command(
    ctx: typer.Context,
    strategy: str = typer.Option(..., "--strategy", help="Strategy name."),
    symbol: str = typer.Option(..., "--symbol", help="Symbol in the store (BTCUSDT)."),
    interval: str = typer.Option("1m", "--interval", help="Bar interval."),
    start: str | None = typer.Option(None, "--start", help="First bar open, ISO (UTC)."),
    end: str | None = typer.Option(None, "--end", help="End, exclusive, ISO (UTC)."),
    market: str = typer.Option("spot", "--market", help="spot or usdm."),
    train_days: float = typer.Option(30.0, "--train-days", help="Train window, days."),
    test_days: float = typer.Option(7.0, "--test-days", help="Test window, days."),
    step_days: float = typer.Option(1.0, "--step-days", help="Step between windows, days."),
    ranges: list[str] | None = typer.Option(None, "--range", help=RANGE_HELP),
    params: str = typer.Option("", "--params", help="Fixed parameters: name=value,..."),
    method: str = typer.Option("grid", "--method", help="grid or optuna."),
    trials: int = typer.Option(50, "--trials", help="Optuna: parameter sets per window."),
    seed: int = typer.Option(0, "--seed", help="Optuna: sampler seed."),
    batch_size: int = typer.Option(32, "--batch-size", help="Optuna: suggestions per round."),
    grid_points: int = typer.Option(5, "--grid-points", help="Grid: values of an unstepped range."),
    objective: str = typer.Option(
        "sharpe", "--objective", help="sharpe, sortino, profit_factor or calmar."
    ),
    min_trades: int = typer.Option(0, "--min-trades", help="Fewer closed trades: infeasible."),
    workers: str = typer.Option("local", "--workers", help="local or celery."),
    chunk_size: int = typer.Option(16, "--chunk-size", help="Celery: parameter sets a task."),
    cash: float | None = typer.Option(None, "--cash", help="Starting cash."),
    fee_maker: float | None = typer.Option(None, "--fee-maker", help="Maker fee (0.001 = 0.1%)."),
    fee_taker: float | None = typer.Option(None, "--fee-taker", help="Taker fee (0.001 = 0.1%)."),
    slippage_bps: float | None = typer.Option(None, "--slippage-bps", help="Fixed slippage, bps."),
    config_json: str | None = typer.Option(None, "--config", help="BacktestConfig as JSON."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the result here."),
) -> None:
    """Walk-forward analysis: re-optimise every step, stitch the out-of-sample equity."""
    if workers not in ("local", "celery"):
        typer.echo("error: --workers must be local or celery", err=True)
        raise typer.Exit(2)
    s = research.setup(
        strategy=strategy, symbol=symbol, interval=interval, start=start, end=end,
        market=market, ranges=ranges, params=params, objective=objective,
        min_trades=min_trades, method=method, trials=trials, seed=seed,
        batch_size=batch_size, grid_points=grid_points, period="1d", cash=cash,
        fee_maker=fee_maker, fee_taker=fee_taker, slippage_bps=slippage_bps,
        config_json=config_json,
    )  # fmt: skip
    try:
        wf = WalkForwardSettings(
            round(train_days * DAY_MS), round(test_days * DAY_MS), round(step_days * DAY_MS)
        )
    except WalkForwardError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    settings = settings_of(ctx)
    _quiet_optuna()
    data = research.load(settings, s.data)

    def shown(result: WindowResult, total: int) -> None:
        typer.echo(f"window {result.window.number + 1}/{total} done", err=True)

    def run(evaluator_for: Callable[[Window], Evaluator]) -> WalkForwardResult:
        try:
            return walk_forward(
                data, s.strategy, s.space, s.objective, s.config, evaluator_for, wf,
                s.optimize, on_window=shown,
            )  # fmt: skip
        except WalkForwardError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc

    if workers == "local":
        result = run(lambda w: _local(s, data, w))
    else:
        with research.celery_app(settings) as app:
            result = run(
                lambda w: research.celery_evaluator(
                    app,
                    s,
                    research.new_run_id(),
                    window=(w.train_start, w.test_start),
                    chunk_size=chunk_size,
                )
            )
    _print(result)
    research.write_json(
        json_out, {"data": s.data.to_dict(), "strategy": s.strategy, **result.to_dict()}
    )


def _local(s: research.Setup, data: PreparedData, w: Window) -> Evaluator:
    train = data.window(w.train_start, w.test_start)
    return research.local_evaluator(s, train, CallbackProgress())


def _print(result: WalkForwardResult) -> None:
    rows = []
    for w in result.windows:
        params = "-" if w.params is None else _params(w.params)
        rows.append(
            [
                str(w.window.number),
                iso(w.window.test_start),
                params,
                _num(w.train_score),
                _num(w.test_score),
                str(w.test_metrics.get("trades", 0)),
            ]
        )
    echo_table(["#", "test from", "params", "train", "test", "trades"], rows)
    m = result.metrics
    typer.echo(
        f"out of sample: {iso(m.start_ms)} .. {iso(m.end_ms)}, "
        f"return {100 * m.total_return:+.2f}%, "
        f"Sharpe {_num(m.sharpe)}, max drawdown {100 * m.max_drawdown:.2f}%, {m.trades} trades, "
        f"fees {m.fees_paid:,.2f}"
    )
    eff = result.efficiency
    typer.echo(
        "walk-forward efficiency (mean test / mean train score): "
        + ("n/a (mean train score not positive)" if math.isnan(eff) else f"{eff:.2f}")
    )


def _params(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items() if k != "fee_rate")


def _num(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value:.3f}"
