"""`tradingbot optimize`: grid or Optuna search of a strategy's parameters on stored bars.

The search runs here (``--workers local``) or is fanned out over Celery ``research`` workers
(``--workers celery``: Redis from the settings or `tradingbot services up`; start workers with
``celery -A ai_engine.workers.app worker -Q research`` on machines sharing the data folder).
Progress (parameter sets done / total) is shown while it runs. The answer: the best trials,
the deflated Sharpe ratio of the winner and the PBO of the search (``backtest.overfitting``);
``--json OUT`` writes every trial. Refusals before any work exit 2, missing data exits 1.
"""

from __future__ import annotations

import math
from pathlib import Path

import typer

from ai_engine.backtest.optimize import CallbackProgress, Evaluator, OptimizeResult, optimize
from ai_engine.cli import research
from ai_engine.cli.context import settings_of
from ai_engine.cli.table import echo_table

RANGE_HELP = (
    "A parameter to vary: name=low:high[:step], name=a,b,c or a bare name (its declared "
    "range). Repeatable. None: every numeric parameter of the strategy."
)


def optimize_command(
    ctx: typer.Context,
    strategy: str = typer.Option(..., "--strategy", help="Strategy name."),
    symbol: str = typer.Option(..., "--symbol", help="Symbol in the store (BTCUSDT)."),
    interval: str = typer.Option("1m", "--interval", help="Bar interval."),
    start: str | None = typer.Option(None, "--start", help="First bar open, ISO (UTC)."),
    end: str | None = typer.Option(None, "--end", help="End, exclusive, ISO (UTC)."),
    market: str = typer.Option("spot", "--market", help="spot or usdm."),
    ranges: list[str] | None = typer.Option(None, "--range", help=RANGE_HELP),
    params: str = typer.Option("", "--params", help="Fixed parameters: name=value,..."),
    method: str = typer.Option("grid", "--method", help="grid or optuna."),
    trials: int = typer.Option(100, "--trials", help="Optuna: parameter sets to try."),
    seed: int = typer.Option(0, "--seed", help="Optuna: sampler seed."),
    batch_size: int = typer.Option(32, "--batch-size", help="Optuna: suggestions per round."),
    grid_points: int = typer.Option(5, "--grid-points", help="Grid: values of an unstepped range."),
    objective: str = typer.Option(
        "sharpe", "--objective", help="sharpe, sortino, profit_factor or calmar."
    ),
    min_trades: int = typer.Option(0, "--min-trades", help="Fewer closed trades: infeasible."),
    workers: str = typer.Option("local", "--workers", help="local or celery."),
    chunk_size: int = typer.Option(16, "--chunk-size", help="Celery: parameter sets a task."),
    period: str = typer.Option("1d", "--period", help="Return period of DSR/PBO: 1h, 4h, 1d."),
    cash: float | None = typer.Option(None, "--cash", help="Starting cash."),
    fee_maker: float | None = typer.Option(None, "--fee-maker", help="Maker fee (0.001 = 0.1%)."),
    fee_taker: float | None = typer.Option(None, "--fee-taker", help="Taker fee (0.001 = 0.1%)."),
    slippage_bps: float | None = typer.Option(None, "--slippage-bps", help="Fixed slippage, bps."),
    config_json: str | None = typer.Option(None, "--config", help="BacktestConfig as JSON."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the result (every trial)."),
    top: int = typer.Option(10, "--top", help="Trials to print."),
) -> None:
    """Search a strategy's parameters (grid or Optuna) for the best objective."""
    if workers not in ("local", "celery"):
        typer.echo("error: --workers must be local or celery", err=True)
        raise typer.Exit(2)
    s = research.setup(
        strategy=strategy, symbol=symbol, interval=interval, start=start, end=end,
        market=market, ranges=ranges, params=params, objective=objective,
        min_trades=min_trades, method=method, trials=trials, seed=seed,
        batch_size=batch_size, grid_points=grid_points, period=period, cash=cash,
        fee_maker=fee_maker, fee_taker=fee_taker, slippage_bps=slippage_bps,
        config_json=config_json,
    )  # fmt: skip
    settings = settings_of(ctx)
    _quiet_optuna()
    line = research.ProgressLine(f"{s.strategy} {s.optimize.method}")
    evaluator: Evaluator
    if workers == "local":
        data = research.load(settings, s.data)
        sink = CallbackProgress(line)
        evaluator = research.local_evaluator(s, data, sink)
        result = optimize(s.space, evaluator, s.optimize, s.objective, sink)
    else:
        from ai_engine.workers.progress import RedisProgress

        run_id = research.new_run_id()
        with research.celery_app(settings) as app:
            redis_url = app.tradingbot.redis_url
            sink_r = RedisProgress(redis_url, run_id)
            evaluator = research.celery_evaluator(app, s, run_id, chunk_size=chunk_size)
            with research.redis_progress(redis_url, run_id, line):
                result = optimize(s.space, evaluator, s.optimize, s.objective, sink_r)
    print_result(result, top)
    research.write_json(
        json_out, {"data": s.data.to_dict(), "strategy": s.strategy, **result.to_dict()}
    )


def print_result(result: OptimizeResult, top: int) -> None:
    typer.echo(
        f"{result.method}: {len(result.trials)} evaluated, {result.feasible} feasible, "
        f"{result.skipped} refused by the strategy, {result.elapsed_s:.1f} s"
    )
    names = [r.name for r in result.space.ranges]
    rows = [
        [str(t.number), *(_value(t.params.get(n)) for n in names), _num(t.score),
         str(t.metrics.get("trades")), _pct(t.metrics.get("total_return")), t.note]
        for t in result.top(top)
    ]  # fmt: skip
    echo_table(["#", *names, result.objective.name, "trades", "return", "note"], rows)
    best = result.best
    if best is None:
        typer.echo("no feasible parameter set (lower --min-trades?)")
    else:
        typer.echo("best: " + ", ".join(f"{k}={_value(v)}" for k, v in best.params.items()))
    if result.deflated_sharpe is not None:
        d = result.deflated_sharpe
        typer.echo(
            f"deflated Sharpe ratio {d.probability:.3f} (per-period SR {d.sharpe:.4f} vs "
            f"{d.benchmark:.4f} expected from {d.n_trials} trials by luck)"
        )
    if result.pbo is not None:
        typer.echo(
            f"probability of backtest overfitting {result.pbo.pbo:.3f} "
            f"({result.pbo.n_splits} CSCV splits of {result.pbo.n_blocks} blocks)"
        )
    for note in result.notes:
        typer.echo(f"note: {note}")


def _quiet_optuna() -> None:
    # Optuna logs every trial at INFO; the command prints its own summary.
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)


def _value(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _num(value: float) -> str:
    return "-inf" if value == -math.inf else f"{value:.3f}"


def _pct(value: object) -> str:
    return "n/a" if not isinstance(value, (int, float)) else f"{100 * value:+.2f}%"
