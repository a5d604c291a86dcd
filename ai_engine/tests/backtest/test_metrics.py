"""``compute_metrics`` against numbers worked out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.metrics import (
    CRYPTO,
    DAY_MS,
    FOREX,
    US_EQUITY,
    compute_metrics,
    drawdown,
    exposure,
)
from ai_engine.backtest.result import BacktestResult, Trades

D = DAY_MS


def trades(rows: list[tuple[int, int, float, float, float]]) -> Trades:
    """(entry_time, exit_time, pnl, entry_fee, exit_fee) per trade; long, 1 unit, no funding."""
    n = len(rows)
    col = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
    return Trades(
        symbol=np.zeros(n, np.int64),
        side=np.ones(n, np.int64),
        entry_time=np.array(col[0], np.int64),
        exit_time=np.array(col[1], np.int64),
        entry_price=np.full(n, 100.0),
        exit_price=np.full(n, 100.0),
        quantity=np.ones(n),
        entry_fee=np.array(col[3], np.float64),
        exit_fee=np.array(col[4], np.float64),
        funding=np.zeros(n),
        pnl=np.array(col[2], np.float64),
        entry_reason=np.ones(n, np.int64),
        exit_reason=np.full(n, 10, np.int64),
    )


def result(equity: list[float], interval: int, rows: list[tuple[int, int, float, float, float]],
           cash: float = 100.0) -> BacktestResult:  # fmt: skip
    return BacktestResult(
        symbols=("BTCUSDT",),
        open_time=np.arange(len(equity), dtype=np.int64) * interval,
        equity=np.array(equity, np.float64),
        trades=trades(rows),
        config=BacktestConfig(cash=cash),
        interval_ms=interval,
    )


def test_three_daily_bars_worked_by_hand() -> None:
    # Equity 100 -> 110 -> 99 -> 121 over three 1d bars: returns +10 %, -10 %, +2/9.
    res = result([110.0, 99.0, 121.0], D, [(0, D, 30.0, 0.5, 0.5), (2 * D, 3 * D, -10.0, 1.0, 1.0)])
    m = compute_metrics(res)
    assert m.bars == 3
    assert m.periods_per_year == 365.0
    assert m.years == pytest.approx(3 / 365)
    assert m.total_return == pytest.approx(0.21)
    assert m.net_profit == pytest.approx(21.0)
    assert m.cagr == pytest.approx(1.21 ** (365 / 3) - 1)
    # mean = 2/27; deviations 0.7/27, -4.7/27, 4/27 -> var = 38.58/729/2 -> std = sqrt(19.29)/27
    assert m.sharpe == pytest.approx(2 / math.sqrt(19.29) * math.sqrt(365))
    assert m.volatility == pytest.approx(math.sqrt(19.29) / 27 * math.sqrt(365))
    # downside deviation sqrt((0 + 0.01 + 0) / 3) = 0.1 / sqrt(3)
    assert m.sortino == pytest.approx((2 / 27) / (0.1 / math.sqrt(3)) * math.sqrt(365))
    # peak 110 at the first close, trough 99: 11/110; back above at the third close (2 days)
    assert m.max_drawdown == pytest.approx(0.1)
    assert m.max_drawdown_duration_ms == 2 * D
    assert m.max_drawdown_duration_bars == 2
    assert m.calmar == pytest.approx(m.cagr / 0.1)
    # trades +30 and -10
    assert (m.trades, m.wins, m.losses) == (2, 1, 1)
    assert m.win_rate == 0.5
    assert m.profit_factor == pytest.approx(3.0)
    assert m.expectancy == pytest.approx(10.0)
    assert m.sqn == pytest.approx(math.sqrt(2) * 10 / math.sqrt(800))  # std(30, -10) = sqrt(800)
    assert (m.average_win, m.average_loss) == (30.0, -10.0)
    assert (m.best_trade, m.worst_trade) == (30.0, -10.0)
    assert m.average_holding_ms == D
    assert m.exposure == pytest.approx(2 / 3)  # bars 0 and 2 held, bar 1 flat
    assert m.trades_per_day == pytest.approx(2 / 3)
    assert m.fees_paid == pytest.approx(3.0)
    assert m.funding_paid == 0.0
    assert (m.start_ms, m.end_ms) == (0, 3 * D)


def test_cagr_over_two_years_is_the_square_root() -> None:
    equity = [100.0] * 729 + [200.0]  # 730 daily bars: two 365-day years, equity doubles
    m = compute_metrics(result(equity, D, []))
    assert m.years == pytest.approx(2.0)
    assert m.cagr == pytest.approx(math.sqrt(2) - 1)
    assert m.total_return == pytest.approx(1.0)
    assert m.max_drawdown == 0.0
    assert m.max_drawdown_duration_ms == 0


def test_minute_bars_annualise_with_525600_periods() -> None:
    rng = np.random.default_rng(7)
    returns = rng.normal(0.0001, 0.001, 2000)
    equity = 1000.0 * np.cumprod(1 + returns)
    m = compute_metrics(result(equity.tolist(), 60_000, [], cash=1000.0))
    assert m.periods_per_year == 525_600
    expected = returns.mean() / returns.std(ddof=1) * math.sqrt(525_600)
    assert m.sharpe == pytest.approx(expected, rel=1e-9)
    # the same bars on US equity sessions: 252 days x 390 minutes, years = bars / periods
    s = compute_metrics(result(equity.tolist(), 60_000, [], cash=1000.0), US_EQUITY)
    assert s.periods_per_year == 252 * 390
    assert s.years == pytest.approx(2000 / (252 * 390))
    assert s.sharpe == pytest.approx(m.sharpe * math.sqrt(252 * 390 / 525_600))


@pytest.mark.parametrize(
    ("calendar", "interval", "periods"),
    [
        (CRYPTO, 60_000, 525_600),
        (CRYPTO, 3_600_000, 8_760),
        (CRYPTO, D, 365),
        (CRYPTO, 7 * D, 365 / 7),
        (US_EQUITY, 300_000, 252 * 78),
        (US_EQUITY, D, 252),
        (US_EQUITY, 7 * D, 252 / 5),
        (FOREX, 3_600_000, 260 * 24),
        (FOREX, D, 260),
    ],
)
def test_periods_per_year(calendar: object, interval: int, periods: float) -> None:
    assert calendar.periods_per_year(interval) == pytest.approx(periods)  # type: ignore[attr-defined]


def test_drawdown_not_recovered_runs_to_the_end() -> None:
    curve = np.array([100.0, 120.0, 90.0, 100.0])
    times = np.array([0, 10, 20, 30], np.int64)
    depth, ms, points = drawdown(curve, times)
    assert depth == pytest.approx(30 / 120)
    assert (ms, points) == (20, 2)


def test_drawdown_longest_stretch_not_deepest() -> None:
    # a deep short dip (100 -> 50 -> 100), then a shallow long one (100 -> 99 x 3 -> 101)
    curve = np.array([100.0, 50.0, 100.0, 99.0, 99.0, 99.0, 101.0])
    times = np.arange(7, dtype=np.int64) * 1000
    depth, ms, points = drawdown(curve, times)
    assert depth == pytest.approx(0.5)
    assert (ms, points) == (4000, 4)


def test_no_losses_gives_infinite_profit_factor_written_as_null() -> None:
    m = compute_metrics(result([101.0, 102.0], D, [(0, D, 1.0, 0.0, 0.0)]))
    assert m.profit_factor == math.inf
    assert math.isnan(m.sqn)  # one trade: no standard deviation
    doc = m.to_dict()
    assert doc["profit_factor"] is None
    assert doc["sqn"] is None
    json.dumps(doc, allow_nan=False)


def test_no_trades_and_flat_equity() -> None:
    m = compute_metrics(result([100.0, 100.0, 100.0], 60_000, []))
    assert m.trades == 0
    assert math.isnan(m.win_rate)
    assert math.isnan(m.sharpe)  # no variance
    assert math.isnan(m.sortino)  # no downside
    assert m.exposure == 0.0
    assert m.fees_paid == 0.0
    assert m.total_return == 0.0
    assert m.to_dict()["win_rate"] is None


def test_exposure_counts_overlapping_trades_once() -> None:
    open_time = np.arange(10, dtype=np.int64) * 60
    # bars 1-4 by the first trade, 3-5 by the second (overlap), 8 by a third
    got = exposure(
        open_time, np.array([60, 180, 480], np.int64), np.array([300, 360, 540], np.int64)
    )
    assert got == pytest.approx(6 / 10)
