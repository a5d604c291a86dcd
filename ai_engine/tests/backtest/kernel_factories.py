"""Small factories for the kernel and engine tests: hand-made bars and signals, sample data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.engine import run_signals
from ai_engine.backtest.result import BacktestResult
from ai_engine.marketdata.frames import Bars, Funding
from ai_engine.marketdata.importer import expand_paths
from ai_engine.marketdata.merge import Rows, merge
from ai_engine.marketdata.parsing import parse_file
from ai_engine.marketdata.schema import BARS, bars_of, funding_of
from ai_engine.strategies import reasons as rs
from ai_engine.strategies.signals import ExitRules, Signals

T0 = 1_700_000_040_000 - 1_700_000_040_000 % 60_000  # a whole minute, ms
MIN = 60_000
FEE = 0.001
SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "binance"

Row = tuple[float, float, float, float]  # open, high, low, close


def bars(
    rows: Sequence[Row],
    *,
    start: int = T0,
    step: int = MIN,
    volume: float | Sequence[float] = 1_000.0,
    times: Sequence[int] | None = None,
) -> Bars:
    """Bars from (open, high, low, close) rows, ``step`` ms apart (or at ``times``)."""
    n = len(rows)
    data = np.array(rows, dtype=np.float64).reshape(n, 4)
    vol = np.broadcast_to(np.asarray(volume, dtype=np.float64), (n,)).copy()
    open_time = (
        np.asarray(times, np.int64) if times is not None else start + step * np.arange(n)
    ).astype(np.int64)
    return Bars(
        open_time=open_time,
        open=data[:, 0].copy(),
        high=data[:, 1].copy(),
        low=data[:, 2].copy(),
        close=data[:, 3].copy(),
        volume=vol,
        quote_volume=vol * data[:, 3],
        taker_buy_volume=vol / 2,
        taker_buy_quote_volume=vol * data[:, 3] / 2,
        trades=np.full(n, 10, np.int64),
    )


def flat(n: int, price: float = 100.0) -> list[Row]:
    return [(price, price, price, price)] * n


def _mask(n: int, at: Iterable[int]) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[list(at)] = True
    return out


def _levels(n: int, values: Mapping[int, float] | float | None) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    if isinstance(values, Mapping):
        out = np.full(n, np.nan)
        for i, v in values.items():
            out[i] = v
        return out
    return np.full(n, float(values))


def signals(
    n: int,
    *,
    entries_long: Iterable[int] = (),
    exits_long: Iterable[int] = (),
    entries_short: Iterable[int] = (),
    exits_short: Iterable[int] = (),
    stop: Mapping[int, float] | None = None,
    take_profit: Mapping[int, float] | None = None,
    trail: Mapping[int, float] | float | None = None,
    score: Mapping[int, float] | float = 50.0,
    exit_rules: ExitRules | None = None,
) -> Signals:
    """Signals of ``n`` bars: entries/exits at the given bars, levels by bar."""
    return Signals(
        entries_long=_mask(n, entries_long),
        exits_long=_mask(n, exits_long),
        entries_short=_mask(n, entries_short),
        exits_short=_mask(n, exits_short),
        stop=_levels(n, stop),
        take_profit=_levels(n, take_profit),
        trail=_levels(n, trail),
        score=_levels(n, score),
        reasons=rs.empty(n),
        components=(),
        exit_rules=exit_rules or ExitRules(),
    )


def simulate(
    rows: Sequence[Row],
    config: BacktestConfig | None = None,
    *,
    finer: Bars | None = None,
    volume: float | Sequence[float] = 1_000.0,
    **signal_kwargs: object,
) -> BacktestResult:
    """Run hand-made signals over hand-made 1m bars."""
    b = bars(rows, volume=volume)
    s = signals(len(rows), **signal_kwargs)  # type: ignore[arg-type]
    return run_signals(s, b, config or BacktestConfig(), symbol="TEST", finer=finer)


def sample_bars(pattern: str, folder: str = "spot/klines_1m") -> Bars:
    """Vendored real bars matching ``pattern`` (merged across files)."""
    files = [parse_file(p) for p in expand_paths(sorted((SAMPLE / folder).glob(pattern)))]
    merged, _ = merge([Rows.of(f.table, f.source, f.lines) for f in files], BARS)
    return bars_of(merged.table)


def sample_funding(name: str) -> Funding:
    """A vendored funding-rate file of ``futures_um/funding_rate``."""
    parsed = parse_file(SAMPLE / "futures_um" / "funding_rate" / name)
    return funding_of(parsed.table)
