"""One backtest end to end: check the request, load bars, compute signals, simulate, report.

``BacktestRequest`` is what ``tradingbot backtest`` options and YAML specs (``spec``) both
become. ``prepare`` checks everything that can be checked without reading market data, in
this order, and raises ``RequestError`` naming the field: the strategy and its parameters
(``fast >= slow`` is refused here), the engine, the config (cash, fees, slippage, sizing ...),
the data source (``data`` files that exist, or ``symbol`` + ``interval`` of the store, not
both), the time range (``start`` before ``end``). ``run_backtest`` then:

1. **load**: the kline files (parsed and merged like ``data import``; a ``fundingRate`` file
   of the same symbol may come with them) or the Parquet store (``[start, end)``; with the
   USD-M market, the stored funding events too); ``start``/``end`` also cut files. No bars in
   the range is refused, naming the range and the data's span;
2. **indicators**: the strategy's signals on those bars (``Strategy.run``); with ``model`` (a
   model id or ``promoted``; ``ml_lightgbm`` requires one) the model's batch P(up) is the
   ``model_prob`` column first (``ml.model_column``: bars that do not all open after the
   model's training span are refused, or with ``allow_model_overlap`` run and flagged in the
   JSON's ``run.model``);
3. **simulation**: our kernel (``engine.run_signals``, engine ``fast``) or Backtrader
   (``backtrader_engine.run_backtrader``);
4. **metrics**, then the JSON (``report_json``) and the HTML report (``report_html``,
   imported only when a report is asked for).

The seconds each step took go into ``result.timings`` and the JSON. The engines (numba,
Backtrader) are imported when a run needs them, so the CLI starts without them. The backtest's
market is the data's (``spot`` or ``usdm``) unless ``market`` (or ``config.market``) names it;
then the files must be of that market. A strategy's ``fee_rate`` parameter (its fee gate)
defaults to the backtest's taker fee.
"""

from __future__ import annotations

import json
import os
import time as clock
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ai_engine.backtest.config import BacktestConfig, BacktestConfigError
from ai_engine.backtest.config_codec import config_from_dict
from ai_engine.backtest.metrics import Metrics, compute_metrics
from ai_engine.backtest.report_json import result_to_json
from ai_engine.backtest.result import BacktestResult
from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import BadMarketData, DomainValueError
from ai_engine.marketdata.frames import Bars, Funding
from ai_engine.marketdata.importer import expand_paths
from ai_engine.marketdata.intervals import interval_ms, iso, to_ms
from ai_engine.marketdata.merge import Rows, merge
from ai_engine.marketdata.parsing import ParsedFile, parse_file
from ai_engine.marketdata.schema import BARS, FUNDING, bars_of, funding_of
from ai_engine.marketdata.series import DataKind, normalise_symbol
from ai_engine.marketdata.store import BarStore, UnknownSeries
from ai_engine.strategies import (
    MarketInput,
    Signals,
    Strategy,
    StrategyParamError,
    UnknownStrategy,
    get,
)

ENGINES = ("fast", "backtrader")
# (series label, symbol, market, bars, interval ms, funding events or None)
Loaded = tuple[str, str, str, Bars, int, Funding | None]
MARKETS = ("spot", "usdm")


class RequestError(DomainValueError):
    """A backtest request that cannot run; the message names the field and the fix."""


class DataError(RequestError):
    """The request is consistent but its market data is missing, empty or bad."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestRequest:
    """The fields of ``tradingbot backtest`` (see the module docstring and ``spec``)."""

    strategy: str
    params: Mapping[str, object] = field(default_factory=dict)
    data: tuple[Path, ...] = ()
    symbol: str | None = None
    interval: str | None = None
    market: str | None = None  # spot | usdm; None: the files' market (store: spot)
    start: datetime | None = None
    end: datetime | None = None
    engine: str = "fast"
    cash: float | None = None
    fee_maker: float | None = None
    fee_taker: float | None = None
    slippage_bps: float | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
    json_out: Path | None = None
    report_out: Path | None = None
    name: str = ""
    model: str | None = None  # a model id or "promoted": its P(up) is the model_prob column
    models_root: Path | None = None  # the model registry (ml); required with ``model``
    allow_model_overlap: bool = False  # run (flagged in-sample) bars the model trained on


@dataclass(frozen=True, slots=True)
class Plan:
    """A checked request: the strategy, its parameters and the config, ready to run."""

    request: BacktestRequest
    strategy: Strategy[Any]
    params: Any
    config: BacktestConfig
    market_fixed: bool  # the config names its market; else the data's market is used


@dataclass(frozen=True, slots=True)
class BacktestOutcome:
    """What ``run_backtest`` produced (``written``: the files it wrote)."""

    plan: Plan
    series: str
    result: BacktestResult
    metrics: Metrics
    document: dict[str, Any]
    written: tuple[Path, ...]
    funding_events: int | None  # None: no funding source (spot, or none stored)


def parse_moment(text: str, what: str) -> datetime:
    """``2024-01-01``, ``2024-01-01T12:30`` or with an offset -> an aware UTC datetime."""
    cleaned = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise RequestError(
            f"{what}: {text!r} is not an ISO date or time (e.g. 2024-01-01 or "
            "2024-01-01T12:00, UTC unless an offset is given)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def prepare(request: BacktestRequest) -> Plan:
    """Check ``request`` before any data is read (see the module docstring)."""
    try:
        strategy = get(request.strategy)
    except UnknownStrategy as exc:
        raise RequestError(f"strategy: {exc}") from None
    if request.engine not in ENGINES:
        raise RequestError(f"engine must be one of {', '.join(ENGINES)}, got {request.engine!r}")
    config = _config(request)
    if request.engine == "backtrader":
        from ai_engine.backtest.backtrader_engine import check_config  # heavy: on use

        try:
            check_config(config)
        except BacktestConfigError as exc:
            raise RequestError(f"engine backtrader: {exc}") from None
    params = dict(request.params)
    if "fee_rate" not in params and "fee_rate" in {s.name for s in strategy.param_specs()}:
        params["fee_rate"] = config.fee_taker
    try:
        parsed = strategy.params(params)
    except StrategyParamError as exc:
        raise RequestError(f"params: {exc}") from None
    _check_source(request)
    _check_model(request, strategy)
    return Plan(
        request, strategy, parsed, config, "market" in request.config or bool(request.market)
    )


def run_backtest(request: BacktestRequest, *, data_dir: Path) -> BacktestOutcome:
    """Run ``request`` (module docstring); market data comes from ``data_dir`` or its files."""
    plan = prepare(request)
    simulate = _simulator(plan.request.engine)  # its import is not part of the timings
    started = clock.perf_counter()
    series, symbol, market, bars, step, funding = _load(plan.request, data_dir)
    loaded = clock.perf_counter()
    config = plan.config
    if not plan.market_fixed and config.market != market:
        config = replace(config, market=market)
    if config.market != "usdm":
        funding = None
    market_input = MarketInput.from_bars(bars, step, funding=funding)
    model_info = None
    if plan.request.model is not None:  # the model's P(up), point-in-time (ml.model_column)
        market_input, model_info = _with_model(plan.request, market_input, bars)
    signals = plan.strategy.run(market_input, plan.params)
    computed = clock.perf_counter()
    try:
        result = simulate(signals, bars, config, symbol, funding, step)
    except BacktestConfigError as exc:
        raise RequestError(f"{plan.request.engine} engine: {exc}") from None
    del signals  # the signal arrays (tens of MB for a year of 1m bars) before the reports
    simulated = clock.perf_counter()
    extra = {k: v for k, v in result.timings.items() if k == "cash_topup"}
    result = replace(result, timings={})
    metrics = compute_metrics(result)
    timings = {
        "load": loaded - started,
        "indicators": computed - loaded,
        "simulation": simulated - computed,
        "metrics": clock.perf_counter() - simulated,
        **extra,
    }
    result = replace(result, timings=timings)
    document = result_to_json(result, metrics, run=_run_info(plan, series, funding))
    if model_info is not None:
        document["run"]["model"] = model_info
    written = _write(plan, document, result, metrics, bars, symbol, series)
    events = None if funding is None else len(funding)
    return BacktestOutcome(plan, series, result, metrics, document, written, events)


Simulate = Callable[[Signals, Bars, BacktestConfig, str, Funding | None, int], BacktestResult]


def _check_model(request: BacktestRequest, strategy: Strategy[Any]) -> None:
    """``ml_lightgbm`` trades on a model: it needs ``model``; ``model`` needs a registry."""
    if request.model is None:
        if strategy.name == "ml_lightgbm":
            raise RequestError(
                "model: strategy ml_lightgbm trades on a model's P(up): give --model ID "
                "(or --model promoted)"
            )
        return
    if request.models_root is None:
        raise RequestError("model: no model registry given (TRADINGBOT_MODELS_DIR)")


def _with_model(
    request: BacktestRequest, market_input: MarketInput, bars: Bars
) -> tuple[MarketInput, dict[str, Any]]:
    """``market_input`` with the model's batch P(up) attached, and what the JSON says of it."""
    from ai_engine.ml.model_column import model_column
    from ai_engine.ml.registry import CorruptArtifactError

    assert request.model is not None
    assert request.models_root is not None
    try:
        column = model_column(
            request.models_root, request.model, bars, allow_overlap=request.allow_model_overlap
        )
    except (CorruptArtifactError, FileNotFoundError, ValueError) as exc:
        raise RequestError(f"model: {exc}") from None
    return replace(market_input, model_prob=column.prob), column.info


def _simulator(name: str) -> Simulate:
    """The engine's entry point, imported on use (numba and Backtrader load slowly)."""
    if name == "backtrader":
        from ai_engine.backtest.backtrader_engine import run_backtrader

        def backtrader(s: Signals, b: Bars, c: BacktestConfig, symbol: str,
                       funding: Funding | None, step: int) -> BacktestResult:  # fmt: skip
            return run_backtrader(s, b, c, symbol=symbol, interval_ms=step)

        return backtrader
    from ai_engine.backtest import engine

    def fast(s: Signals, b: Bars, c: BacktestConfig, symbol: str, funding: Funding | None,
             step: int) -> BacktestResult:  # fmt: skip
        return engine.run_signals(s, b, c, symbol=symbol, funding=funding, interval_ms=step)

    return fast


def _config(request: BacktestRequest) -> BacktestConfig:
    values = dict(request.config)
    if request.market is not None:
        if request.market not in MARKETS:
            raise RequestError(
                f"market must be one of {', '.join(MARKETS)}, got {request.market!r}"
            )
        if values.setdefault("market", request.market) != request.market:
            raise RequestError(
                f"market {request.market!r} and config.market {values['market']!r} disagree"
            )
    for name in ("cash", "fee_maker", "fee_taker"):
        value = getattr(request, name)
        if value is not None:
            values[name] = value
    if request.slippage_bps is not None:
        bps = request.slippage_bps
        if not bps >= 0:
            raise RequestError(f"slippage_bps must be 0 or more, got {bps}")
        values["slippage"] = {"kind": "fixed_bps", "bps": bps} if bps else {"kind": "none"}
    try:
        return config_from_dict(values, where="config")
    except BacktestConfigError as exc:
        raise RequestError(str(exc)) from None


def _check_source(request: BacktestRequest) -> None:
    store = request.symbol is not None or request.interval is not None
    if request.data and store:
        raise RequestError("give either data (kline files) or symbol and interval, not both")
    if not request.data and not store:
        raise RequestError("no data: give data (kline files) or symbol and interval (store)")
    if request.start is not None and request.end is not None and request.start >= request.end:
        raise RequestError(
            f"empty range: start {request.start.isoformat()} is not before end "
            f"{request.end.isoformat()}"
        )
    for path in request.data:
        if not path.exists():
            raise RequestError(f"data: {path} does not exist")
    if not store:
        return
    if request.symbol is None or request.interval is None:
        raise RequestError("symbol and interval go together: give both")
    try:
        normalise_symbol(request.symbol)
        interval_ms(request.interval)
    except DomainValueError as exc:
        raise RequestError(str(exc)) from None


def _load(request: BacktestRequest, data_dir: Path) -> Loaded:
    """(series label, market, bars, interval ms, funding) of the request's data."""
    try:
        if request.data:
            return _from_files(request)
        return _from_store(request, data_dir)
    except RequestError:
        raise
    except (BadMarketData, UnknownSeries, OSError, DomainValueError) as exc:
        raise DataError(f"data: {exc}") from None
    finally:  # hand the parsing's freed Arrow buffers back: the run's peak memory stays lower
        pa.default_memory_pool().release_unused()


def _from_files(request: BacktestRequest) -> Loaded:
    files = _parse_all(expand_paths(list(request.data)))
    klines = [f for f in files if f.key.kind is DataKind.BARS]
    rates = [f for f in files if f.key.kind is DataKind.FUNDING]
    keys = {f.key for f in klines}
    others = sorted({f.key.label for f in files if f not in klines and f not in rates})
    if len(keys) != 1 or others:
        labels = ", ".join(sorted(k.label for k in keys) + others) or "no kline files"
        raise DataError(f"data must be kline files of one series; got {labels}")
    key = klines[0].key
    if any(f.key.symbol != key.symbol for f in rates):
        raise DataError(f"data: funding files must be of {key.symbol}")
    if request.market is not None and str(key.market) != request.market:
        raise DataError(f"market {request.market!r} asked, but the files are {key.label}")
    rows, _ = merge([Rows.of(f.table, f.source, f.lines) for f in klines], BARS)
    step = interval_ms(str(key.interval))
    bars = _cut(bars_of(rows.table), request, key.label)
    funding = None
    if rates:
        merged, _ = merge([Rows.of(f.table, f.source, f.lines) for f in rates], FUNDING)
        funding = funding_of(merged.table)
    return key.label, key.symbol, str(key.market), bars, step, funding


def _parse_all(paths: list[Path]) -> list[ParsedFile]:
    """``parse_file`` of each path, several at a time: decompressing and CSV parsing run
    outside the GIL, so a year of monthly files loads in a fraction of the time. The first
    bad file in ``paths`` order raises, as one at a time would."""
    if len(paths) < 2:
        return [parse_file(path) for path in paths]
    with ThreadPoolExecutor(max_workers=min(len(paths), os.cpu_count() or 1, 8)) as pool:
        return list(pool.map(parse_file, paths))


def _from_store(request: BacktestRequest, data_dir: Path) -> Loaded:
    assert request.symbol is not None
    assert request.interval is not None
    store = BarStore(data_dir)
    market = MarketType(request.market or "spot")
    symbol = normalise_symbol(request.symbol)
    bars = store.load_bars(symbol, request.interval, request.start, request.end, market=market)
    label = f"binance {market} {symbol} {request.interval}"
    if len(bars) == 0:
        raise DataError(f"no bars for {label} in {_range(request)} in the store {data_dir}")
    funding = None
    if market is MarketType.USDM:
        try:
            funding = store.load_funding(symbol, request.start, request.end, market=market)
        except UnknownSeries:
            funding = None
    return label, symbol, str(market), bars, interval_ms(request.interval), funding


def _cut(bars: Bars, request: BacktestRequest, label: str) -> Bars:
    times = np.asarray(bars.open_time, np.int64)
    first = 0 if request.start is None else int(np.searchsorted(times, to_ms(request.start)))
    stop = len(times) if request.end is None else int(np.searchsorted(times, to_ms(request.end)))
    if stop <= first:
        span = f"{iso(int(times[0]))} .. {iso(int(times[-1]))}" if len(times) else "no bars"
        raise DataError(f"no bars for {label} in {_range(request)}; the files hold {span}")
    return bars if (first, stop) == (0, len(times)) else bars.take(slice(first, stop))


def _range(request: BacktestRequest) -> str:
    start = "the beginning" if request.start is None else request.start.isoformat()
    end = "the end" if request.end is None else request.end.isoformat()
    return f"[{start}, {end})"


def _run_info(plan: Plan, series: str, funding: Funding | None) -> dict[str, Any]:
    r = plan.request
    return {
        "name": r.name,
        "strategy": plan.strategy.name,
        "params": {f.name: getattr(plan.params, f.name) for f in plan.strategy.param_specs()},
        "engine": r.engine,
        "series": series,
        "data": [str(p) for p in r.data],
        "start": None if r.start is None else r.start.isoformat(),
        "end": None if r.end is None else r.end.isoformat(),
        "funding_events": None if funding is None else len(funding),
    }


def _write(
    plan: Plan,
    document: dict[str, Any],
    result: BacktestResult,
    metrics: Metrics,
    bars: Bars,
    symbol: str,
    series: str,
) -> tuple[Path, ...]:
    written = []
    r = plan.request
    if r.json_out is not None:
        r.json_out.parent.mkdir(parents=True, exist_ok=True)
        # Compact: the C encoder (an indented dump of a year's trades takes ~10x longer).
        text = json.dumps(document, allow_nan=False, separators=(",", ":"))
        r.json_out.write_text(text, encoding="utf-8")
        written.append(r.json_out)
    if r.report_out is not None:
        title = f"{r.name or plan.strategy.name}: {series}"
        subtitle = (
            f"strategy {plan.strategy.name}, engine {r.engine}, {len(bars):,} bars, "
            f"{document['start']} .. {document['end']}"
        )
        from ai_engine.backtest.report_html import render_html  # on use: only with a report

        page = render_html(
            result, metrics, prices={symbol: bars.close}, title=title, subtitle=subtitle
        )
        r.report_out.parent.mkdir(parents=True, exist_ok=True)
        r.report_out.write_text(page, encoding="utf-8")
        written.append(r.report_out)
    return tuple(written)
