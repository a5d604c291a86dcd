"""A backtest as JSON: what ``tradingbot backtest --json`` (and ``tradingbot run --json``) write.

Shape (``SCHEMA`` names its version; every value is plain JSON, no NaN or infinity)::

    {"schema": "tradingbot.backtest/1",
     "run": {...},                       # caller's context: strategy, params, engine, data ...
     "symbols": ["BTCUSDT"], "interval": "1m", "interval_ms": 60000, "bars": 4240,
     "start": "2023-03-23T00:00:00Z",    # first bar's open
     "end": "2023-03-26T00:00:00Z",      # last bar's close
     "config": {...},                    # BacktestConfig, nested as in the dataclass
     "initial_cash": 10000.0, "final_equity": 10123.4,
     "metrics": {...},                   # Metrics.to_dict()
     "trades": [{"symbol", "side" ("long"|"short"), "entry_time", "exit_time" (ISO UTC),
                 "entry_time_ms", "exit_time_ms", "entry_price", "exit_price", "quantity",
                 "entry_fee", "exit_fee", "funding", "pnl", "return_pct",
                 "entry_reason", "exit_reason" (short names), "entry_reason_code",
                 "exit_reason_code"}],
     "reason_codes": {"10": "exit signal", ...},
     "skipped": {"no_cash": 0, ...},     # entries the simulation could not take
     "timings": {"load": s, "indicators": s, "simulation": s, ...}}

Times are ISO 8601 UTC with a ``Z``; prices, quantities and money are floats (quote currency);
``return_pct`` is the trade's net pnl over its entry notional, in percent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import numpy as np

from ai_engine.backtest.metrics import Metrics
from ai_engine.backtest.result import REASON_NAMES, REASONS, BacktestResult
from ai_engine.marketdata.intervals import iso
from ai_engine.strategies.inputs import interval_name

SCHEMA = "tradingbot.backtest/1"


def result_to_json(
    result: BacktestResult, metrics: Metrics, *, run: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON document of the module docstring (``run``: what the caller ran, free form)."""
    open_time = result.open_time
    bars = len(open_time)
    return {
        "schema": SCHEMA,
        "run": clean(dict(run or {})),
        "symbols": list(result.symbols),
        "interval": interval_name(result.interval_ms),
        "interval_ms": int(result.interval_ms),
        "bars": bars,
        "start": iso(int(open_time[0])) if bars else None,
        "end": iso(int(open_time[-1]) + result.interval_ms) if bars else None,
        "config": clean(asdict(result.config)),
        "initial_cash": float(result.config.cash),
        "final_equity": result.final_equity,
        "metrics": metrics.to_dict(),
        "trades": trade_rows(result),
        "reason_codes": {str(code): text for code, text in sorted(REASONS.items())},
        "skipped": dict(result.skipped),
        "timings": {name: round(float(s), 6) for name, s in result.timings.items()},
    }


def trade_rows(result: BacktestResult) -> list[dict[str, Any]]:
    """One dict per closed trade, in the order they closed."""
    t = result.trades
    notional = np.asarray(t.entry_price) * np.asarray(t.quantity)
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = 100.0 * np.asarray(t.pnl) / notional
    symbols = [result.symbols[int(k)] for k in np.asarray(t.symbol).tolist()]
    sides = np.asarray(t.side).tolist()
    entry_times, exit_times = np.asarray(t.entry_time).tolist(), np.asarray(t.exit_time).tolist()
    entry_isos, exit_isos = _isos(t.entry_time), _isos(t.exit_time)
    entry_codes, exit_codes = (
        np.asarray(t.entry_reason).tolist(),
        np.asarray(t.exit_reason).tolist(),
    )
    numbers = {  # Python floats (``tolist``): the rows are built without numpy scalars
        name: [_num(v) for v in np.asarray(values, np.float64).tolist()]
        for name, values in (
            ("entry_price", t.entry_price),
            ("exit_price", t.exit_price),
            ("quantity", t.quantity),
            ("entry_fee", t.entry_fee),
            ("exit_fee", t.exit_fee),
            ("funding", t.funding),
            ("pnl", t.pnl),
            ("return_pct", returns),
        )
    }
    rows = []
    for i in range(len(t)):
        entry_ms, exit_ms = int(entry_times[i]), int(exit_times[i])
        entry_code, exit_code = int(entry_codes[i]), int(exit_codes[i])
        row: dict[str, Any] = {
            "symbol": symbols[i],
            "side": "long" if sides[i] > 0 else "short",
            "entry_time": entry_isos[i],
            "exit_time": exit_isos[i],
            "entry_time_ms": entry_ms,
            "exit_time_ms": exit_ms,
        }
        for name, column in numbers.items():
            row[name] = column[i]
        row["entry_reason"] = REASON_NAMES.get(entry_code, str(entry_code))
        row["exit_reason"] = REASON_NAMES.get(exit_code, str(exit_code))
        row["entry_reason_code"] = entry_code
        row["exit_reason_code"] = exit_code
        rows.append(row)
    return rows


def clean(value: Any) -> Any:
    """``value`` with tuples as lists, numpy scalars as Python ones, NaN/inf as ``None`` and
    anything else JSON cannot hold (paths, dates) as its ``str``."""
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float)):
        return value
    return str(value)


def _isos(times: Any) -> list[str]:
    """``iso`` of each epoch-ms time, whole seconds formatted by numpy in one call."""
    ms = np.asarray(times, np.int64)
    seconds = np.datetime_as_string(ms.astype("datetime64[ms]"), unit="s").tolist()
    return [
        iso(m) if m % 1000 else f"{text}Z" for m, text in zip(ms.tolist(), seconds, strict=True)
    ]


def _num(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None
