"""Backtest jobs: a spec checked when it is submitted, run later by a research worker.

``check_spec`` refuses a bad spec before anything is queued, with a ``SpecFieldError`` naming
the field (``strategy``, ``params.fast``, ``symbols``, ``interval``, ``end``,
``config.sizing.kind``): unknown strategy or parameter, inconsistent parameters, a bad
interval, ``start >= end``, an invalid config, or a symbol the store holds no bars of in
``[start, end)``. It returns the normalised ``JobSpec`` that is stored with the job. As in
``tradingbot backtest``, a strategy's ``fee_rate`` (its fee gate) defaults to the config's
taker fee.

``run_job(database_url, store_dir, job_id)`` is what the ``research.run_backtest`` task does:
re-read the spec, load the bars, run the engine (one symbol: ``engine.run_signals``; several:
``engine.run_portfolio``, sharing the cash), compute the metrics, render the HTML report, and
store metrics, summary (``report_json.result_to_json`` without the trades), report and trades,
raising ``progress`` as it goes. A job already done is not run again (redelivery); an error
marks the job failed with its message.
"""

from __future__ import annotations

import time
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ai_engine.backtest.config import BacktestConfig, BacktestConfigError
from ai_engine.backtest.config_codec import config_from_dict, config_to_dict
from ai_engine.backtest.evaluation import (
    DataSpec,
    NoDataError,
    PreparedData,
    backtest,
    with_fee_rate,
)
from ai_engine.backtest.metrics import compute_metrics
from ai_engine.backtest.report_html import render_html
from ai_engine.backtest.report_json import result_to_json
from ai_engine.backtest.result import BacktestResult
from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import DomainValueError
from ai_engine.marketdata import UnknownSeries
from ai_engine.marketdata.intervals import is_interval
from ai_engine.marketdata.series import normalise_symbol
from ai_engine.store import backtest_queries as q
from ai_engine.store.db import make_engine, session_factory
from ai_engine.strategies import StrategyParamError, UnknownStrategy, get

MAX_SYMBOLS = 20
MARKETS = tuple(m.value for m in MarketType)


class SpecFieldError(DomainValueError):
    """A spec refused at submission; ``field`` is the dotted name of the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class JobSpec:
    strategy: str
    params: dict[str, Any]
    symbols: tuple[str, ...]
    interval: str
    start_ms: int
    end_ms: int
    market: str
    config: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "params": dict(self.params),
            "symbols": list(self.symbols),
            "interval": self.interval,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "market": self.market,
            "config": dict(self.config),
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> JobSpec:
        return cls(**{**values, "symbols": tuple(values["symbols"])})

    def data(self, symbol: str) -> DataSpec:
        return DataSpec(symbol, self.interval, self.start_ms, self.end_ms, self.market)

    def backtest_config(self) -> BacktestConfig:
        return config_from_dict(self.config)


def check_spec(
    *,
    strategy: str,
    params: Mapping[str, object],
    symbols: list[str],
    interval: str,
    start_ms: int,
    end_ms: int,
    market: str,
    config: Mapping[str, Any] | None,
    store_dir: Path,
) -> JobSpec:
    """The normalised spec, or ``SpecFieldError`` (see the module docstring)."""
    try:
        chosen = get(strategy)
    except UnknownStrategy as exc:
        raise SpecFieldError("strategy", str(exc)) from None
    known = {s.name for s in chosen.param_specs()}
    for name in params:
        if name not in known:
            raise SpecFieldError(
                f"params.{name}", f"unknown parameter; known: {', '.join(sorted(known))}"
            )
    try:
        built = config_from_dict(config)
    except BacktestConfigError as exc:
        raise SpecFieldError(_config_field(str(exc)), str(exc)) from None
    params = with_fee_rate(chosen, params, built)
    try:
        resolved = chosen.params(params)
    except StrategyParamError as exc:
        named = [n for n in params if n in str(exc)]
        raise SpecFieldError(f"params.{named[0]}" if named else "params", str(exc)) from None
    if not symbols:
        raise SpecFieldError("symbols", "give at least one symbol")
    if len(symbols) > MAX_SYMBOLS:
        raise SpecFieldError("symbols", f"at most {MAX_SYMBOLS} symbols, got {len(symbols)}")
    try:
        names = tuple(dict.fromkeys(normalise_symbol(s) for s in symbols))
    except DomainValueError as exc:
        raise SpecFieldError("symbols", str(exc)) from None
    if not is_interval(interval):
        raise SpecFieldError("interval", f"unknown interval {interval!r}")
    if market not in MARKETS:
        raise SpecFieldError("market", f"unknown market {market!r}; known: {', '.join(MARKETS)}")
    if start_ms >= end_ms:
        raise SpecFieldError("end", "end must be after start")
    spec = JobSpec(
        strategy=chosen.name,
        params={k: getattr(resolved, k) for k in params},
        symbols=names,
        interval=interval,
        start_ms=start_ms,
        end_ms=end_ms,
        market=market,
        config=config_to_dict(built),
    )
    for symbol in names:
        _require_bars(store_dir, spec.data(symbol))
    return spec


def run_job(database_url: str, store_dir: Path, job_id: str) -> str:
    """Run the job ``job_id`` (see the module docstring); returns its final status."""
    ident = uuid.UUID(job_id)
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    try:
        with sessions.begin() as session:
            row = q.get(session, ident)
            if row is None:
                raise LookupError(f"no backtest job {job_id}")
            if row.status == "done":
                return "done"
            spec = JobSpec.from_dict(row.spec)
            q.mark_running(session, ident)
        try:
            outcome = _run(spec, store_dir, lambda p: _progress(sessions, ident, p))
        except Exception as exc:  # the job fails, the worker stays up
            with sessions.begin() as session:
                q.fail(session, ident, _describe(exc))
            return "failed"
        with sessions.begin() as session:
            q.finish(session, ident, **outcome)
        return "done"
    finally:
        engine.dispose()


def _run(spec: JobSpec, store_dir: Path, progress: Any) -> dict[str, Any]:
    started = time.perf_counter()
    data = {symbol: spec.data(symbol).load(store_dir) for symbol in spec.symbols}
    loaded = time.perf_counter() - started
    progress(0.3)
    config = spec.backtest_config()
    result = _simulate(spec, data, config)
    result.timings.setdefault("load", loaded)
    progress(0.7)
    metrics = compute_metrics(result)
    document = result_to_json(
        result, metrics, run={"strategy": spec.strategy, "params": spec.params, "engine": "fast"}
    )
    trades = document.pop("trades")
    document.pop("metrics")
    prices = {
        s: d.market.close
        for s, d in data.items()
        if np.array_equal(d.bars.open_time, result.open_time)
    }
    report = render_html(
        result,
        metrics,
        prices=prices,
        title=f"{spec.strategy} on {', '.join(spec.symbols)} {spec.interval}",
        subtitle=", ".join(f"{k}={v}" for k, v in spec.params.items()) or "default parameters",
    )
    progress(0.9)
    return {
        "metrics": metrics.to_dict(),
        "summary": document,
        "report_html": report,
        "trades": trades,
    }


def _simulate(
    spec: JobSpec, data: Mapping[str, PreparedData], config: BacktestConfig
) -> BacktestResult:
    if len(data) == 1:
        (only,) = data.values()
        return backtest(only, spec.strategy, spec.params, config)
    from ai_engine.backtest.engine import run_portfolio

    return run_portfolio({s: d.bars for s, d in data.items()}, spec.strategy, spec.params, config)


def _progress(sessions: Any, ident: uuid.UUID, value: float) -> None:
    with sessions.begin() as session:
        q.set_progress(session, ident, value)


def _require_bars(store_dir: Path, data: DataSpec) -> None:
    try:
        data.load(store_dir)
    except (NoDataError, UnknownSeries) as exc:
        raise SpecFieldError("symbols", str(exc)) from None
    except (OverflowError, OSError, ValueError) as exc:  # times no calendar can hold
        raise SpecFieldError("start", f"cannot read bars for that time range: {exc}") from None


def _config_field(message: str) -> str:
    first = message.split(" ", 1)[0].rstrip(":")
    if first.startswith("config."):
        return first
    if "." in first or first.isidentifier():
        return f"config.{first}"
    return "config"


def _describe(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"
