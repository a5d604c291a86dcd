"""What `tradingbot optimize`, `walkforward` and `experiment` share: the search set-up, the
data, the evaluators (local or Celery) and progress lines.

Everything a command can check without market data is checked by ``setup`` (exit 2 with one
line naming the problem): the strategy, the ranges (``--range name=low:high[:step]`` or
``name=a,b,c``; a bare ``name`` for its declared range; none: every numeric parameter of the
strategy except the fee gate's), the fixed parameters (``--params``), the objective, the
method, the config and the times. Missing or empty market data exits 1. A strategy's
``fee_rate`` (its fee gate) is fixed to the config's taker fee unless given.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from ai_engine.backtest.config import BacktestConfig, BacktestConfigError
from ai_engine.backtest.config_codec import config_from_dict
from ai_engine.backtest.evaluation import (
    DataSpec,
    NoDataError,
    Objective,
    PreparedData,
    with_fee_rate,
)
from ai_engine.backtest.metrics import DAY_MS
from ai_engine.backtest.optimize import (
    CallbackProgress,
    Evaluator,
    LocalEvaluator,
    OptimizeSettings,
)
from ai_engine.backtest.search_space import Params, SearchSpace, search_space
from ai_engine.backtest.service import parse_moment
from ai_engine.domain.errors import DomainValueError
from ai_engine.marketdata.intervals import interval_ms, to_ms
from ai_engine.marketdata.store import UnknownSeries
from ai_engine.settings import Settings
from ai_engine.strategies import StrategyParamError, UnknownStrategy, get, parse_assignments

PERIODS = {"1h": 3_600_000, "4h": 14_400_000, "1d": DAY_MS}
GATE_PARAMS = ("fee_rate", "fee_multiple")


@dataclass(frozen=True)
class Setup:
    strategy: str
    space: SearchSpace
    objective: Objective
    optimize: OptimizeSettings
    config: BacktestConfig
    data: DataSpec
    period_ms: int


@dataclass(frozen=True)
class Common:
    """What every research command needs: the strategy, the market model, the bars."""

    strategy: str
    config: BacktestConfig
    data: DataSpec


def common(
    *,
    strategy: str,
    symbol: str,
    interval: str,
    start: str | None,
    end: str | None,
    market: str,
    cash: float | None = None,
    fee_maker: float | None = None,
    fee_taker: float | None = None,
    slippage_bps: float | None = None,
    config_json: str | None = None,
) -> Common:
    """The strategy, config and data spec, checked; or exit 2 naming the problem."""
    with _refusals():
        chosen = get(strategy)
        config = _config(cash, fee_maker, fee_taker, slippage_bps, config_json)
        interval_ms(interval)
        start_ms = None if start is None else to_ms(parse_moment(start, "--start"))
        end_ms = None if end is None else to_ms(parse_moment(end, "--end"))
        if start_ms is not None and end_ms is not None and start_ms >= end_ms:
            raise DomainValueError("--end must be after --start")
        return Common(
            chosen.name, config, DataSpec(symbol.upper(), interval, start_ms, end_ms, market)
        )


def fixed_params(c: Common, params: str) -> Params:
    """``--params`` as a checked, complete parameter set (exit 2 if refused)."""
    with _refusals():
        chosen = get(c.strategy)
        values = chosen.params(with_fee_rate(chosen, parse_assignments(params), c.config))
        return {s.name: getattr(values, s.name) for s in chosen.param_specs()}


def setup(
    *,
    ranges: list[str] | None,
    params: str,
    objective: str,
    min_trades: int,
    method: str,
    trials: int,
    seed: int,
    batch_size: int,
    grid_points: int,
    period: str,
    **common_options: Any,
) -> Setup:
    """The checked set-up of a search, or exit 2 naming the problem."""
    c = common(**common_options)
    with _refusals():
        chosen = get(c.strategy)
        fixed: dict[str, object] = dict(parse_assignments(params))
        ranged = _ranges(ranges, chosen.param_specs())
        if "fee_rate" not in fixed and "fee_rate" not in ranged:
            fixed["fee_rate"] = c.config.fee_taker
        space = search_space(chosen.name, ranged, fixed)
        if period not in PERIODS:
            raise DomainValueError(f"--period must be one of {', '.join(PERIODS)}")
        return Setup(
            strategy=c.strategy,
            space=space,
            objective=Objective(objective, min_trades),
            optimize=OptimizeSettings(
                method,  # type: ignore[arg-type]
                trials=trials,
                seed=seed,
                batch_size=batch_size,
                grid_points=grid_points,
            ),
            config=c.config,
            data=c.data,
            period_ms=PERIODS[period],
        )


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except (UnknownStrategy, StrategyParamError, BacktestConfigError, DomainValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def load(settings: Settings, data: DataSpec) -> PreparedData:
    """The bars of ``data`` from the store, or exit 1 naming what is missing."""
    try:
        return data.load(settings.store_dir)
    except (NoDataError, UnknownSeries, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


def local_evaluator(s: Setup, data: PreparedData, progress: CallbackProgress) -> LocalEvaluator:
    return LocalEvaluator(data, s.strategy, s.config, s.objective, progress, s.period_ms)


@contextmanager
def celery_app(settings: Settings) -> Iterator[Any]:
    """A Celery app on the configured (or `services up`) Redis, with a worker answering."""
    from ai_engine.infra.local_services import resolve_urls
    from ai_engine.workers.app import close_celery, make_celery

    urls = resolve_urls(settings)
    redis_url = settings.redis_url or (urls.redis_url if urls else None)
    if redis_url is None:
        typer.echo(
            "error: no Redis: set TRADINGBOT_REDIS_URL or run `tradingbot services up`", err=True
        )
        raise typer.Exit(1)
    app = make_celery(settings, redis_url=redis_url)
    try:
        if not app.control.ping(timeout=2.0):
            typer.echo(
                "error: no research worker answered; start one (same data folder): "
                "celery -A ai_engine.workers.app worker -Q research",
                err=True,
            )
            raise typer.Exit(1)
        yield app
    finally:
        close_celery(app)


def celery_evaluator(app: Any, s: Setup, run_id: str, **kwargs: Any) -> Evaluator:
    from ai_engine.workers.fanout import CeleryEvaluator

    return CeleryEvaluator(
        app,
        s.data,
        s.strategy,
        s.config,
        s.objective,
        run_id=run_id,
        period_ms=s.period_ms,
        **kwargs,
    )


def new_run_id() -> str:
    return uuid.uuid4().hex


class ProgressLine:
    """``done/total`` on stderr, at most every half second and at the end."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < 0.5:
            return
        self._last = now
        sys.stderr.write(f"\r{self.label}: {done}/{total} parameter sets")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


@contextmanager
def redis_progress(redis_url: str, run_id: str, show: Callable[[int, int], None]) -> Iterator[None]:
    """Show a fanned-out search's progress (read from Redis) while the block runs."""
    from ai_engine.workers import progress

    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(0.5):
            seen = progress.read(redis_url, run_id)
            if seen is not None:
                show(*seen)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        final = progress.read(redis_url, run_id)
        if final is not None:
            show(*final)


def write_json(path: Path | None, document: dict[str, Any]) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, allow_nan=False, default=str) + "\n")
    typer.echo(f"wrote {path}")


def _config(
    cash: float | None,
    fee_maker: float | None,
    fee_taker: float | None,
    slippage_bps: float | None,
    config_json: str | None,
) -> BacktestConfig:
    values: dict[str, Any] = {}
    if config_json:
        try:
            loaded = json.loads(config_json)
        except json.JSONDecodeError as exc:
            raise DomainValueError(f"--config is not valid JSON: {exc}") from None
        if not isinstance(loaded, dict):
            raise DomainValueError("--config must be a JSON object")
        values.update(loaded)
    for name, value in (("cash", cash), ("fee_maker", fee_maker), ("fee_taker", fee_taker)):
        if value is not None:
            values[name] = value
    if slippage_bps:
        values["slippage"] = {"kind": "fixed_bps", "bps": slippage_bps}
    return config_from_dict(values)


def _ranges(given: list[str] | None, specs: Any) -> dict[str, str | None]:
    if not given:
        # Every numeric parameter with a declared range, except the shared fee gate's.
        return {
            s.name: None
            for s in specs
            if s.kind is not bool and s.name not in GATE_PARAMS and s.low is not None
        }
    out: dict[str, str | None] = {}
    for item in given:
        name, _, text = item.partition("=")
        name = name.strip()
        if not name:
            raise DomainValueError(f"bad --range {item!r}: expected name=low:high[:step]")
        if name in out:
            raise DomainValueError(f"--range {name} given twice")
        out[name] = text.strip() or None
    return out
