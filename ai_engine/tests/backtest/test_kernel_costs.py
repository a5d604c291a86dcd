"""Fees, the slippage models and latency, worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
import talib

from ai_engine.backtest import kernel_codes as kc
from ai_engine.backtest.config import BacktestConfig, SlippageModel
from ai_engine.backtest.engine import run, run_signals
from ai_engine.matching import fill_rules

from .kernel_factories import FEE, MIN, T0, bars, sample_bars, signals, simulate

CASH = 10_000.0
ROWS = [(100, 101, 99, 100), (100, 101, 99, 102), (102, 103, 101, 102), (103, 104, 102, 103)]


def slip(**kwargs: object) -> BacktestConfig:
    return BacktestConfig(slippage=SlippageModel(**kwargs))  # type: ignore[arg-type]


def test_fixed_bps_slippage_buys_higher_and_sells_lower() -> None:
    result = simulate(ROWS, slip(kind="fixed_bps", bps=10), entries_long=[0], exits_long=[2])
    t = result.trades.row(0)
    assert t["entry_price"] == pytest.approx(100 * 1.001, rel=1e-12)
    assert t["exit_price"] == pytest.approx(103 * 0.999, rel=1e-12)
    q = CASH / (100 * 1.001 * (1 + FEE))
    assert t["quantity"] == pytest.approx(q, rel=1e-12)
    assert result.final_equity == pytest.approx(q * 103 * 0.999 * (1 - FEE), rel=1e-12)


def test_stops_slip_and_take_profits_do_not() -> None:
    rows = [(100, 101, 99, 100), (100, 101, 99, 100), (100, 101, 94, 96), (96,) * 4]
    t = simulate(rows, slip(kind="fixed_bps", bps=20), entries_long=[0], stop={0: 95.0})
    assert t.trades.row(0)["exit_price"] == pytest.approx(95 * 0.998, rel=1e-12)
    rows = [(100, 101, 99, 100), (100, 101, 99, 100), (100, 106, 99, 105), (105,) * 4]
    t = simulate(rows, slip(kind="fixed_bps", bps=20), entries_long=[0], take_profit={0: 105.0})
    assert t.trades.row(0)["exit_price"] == 105.0


def test_volatility_slippage_is_k_times_the_last_closed_bar_range() -> None:
    # entry at bar 1's open, the bar before it ranged 101 - 99 = 2: half of it is 1
    t = simulate(ROWS, slip(kind="volatility", k=0.5, atr_period=0), entries_long=[0])
    assert t.trades.row(0)["entry_price"] == pytest.approx(101.0, rel=1e-12)


def test_volatility_slippage_with_atr_on_real_bars() -> None:
    b = sample_bars("BTCUSDT-1m-2023-03-23.csv.gz")
    config = slip(kind="volatility", k=0.25, atr_period=14)
    result = run("ema_cross", b, config=config)
    index = {int(t): i for i, t in enumerate(b.open_time)}
    atr = talib.ATR(b.high, b.low, b.close, 14)
    tr = result.trades
    assert len(tr) > 10
    for k in range(len(tr) - 1):  # the last one closes at the final close
        i, j = index[int(tr.entry_time[k])], index[int(tr.exit_time[k])]
        assert tr.entry_price[k] == pytest.approx(b.open[i] + 0.25 * atr[i - 1], rel=1e-12)
        assert tr.exit_price[k] == pytest.approx(b.open[j] - 0.25 * atr[j - 1], rel=1e-12)


def test_volume_slippage_scales_with_the_order_share_of_the_last_bar_volume() -> None:
    result = simulate(ROWS, slip(kind="volume", k=1.0), entries_long=[0], volume=100_000.0)
    q0 = CASH / (100 * (1 + FEE))  # the size at the unslipped price sets the slippage
    price = 100 * (1 + q0 / 100_000)
    t = result.trades.row(0)
    assert t["entry_price"] == pytest.approx(price, rel=1e-12)
    assert t["quantity"] == pytest.approx(CASH / (price * (1 + FEE)), rel=1e-12)
    # a thin bar hits the cap (max_bps, 500 by default)
    thin = simulate(ROWS, slip(kind="volume", k=1.0), entries_long=[0], volume=10.0)
    assert thin.trades.row(0)["entry_price"] == pytest.approx(105.0, rel=1e-12)


def test_book_slippage_walks_the_synthetic_book_of_the_last_bar() -> None:
    # volume 1,000: each of 20 levels holds 0.5 x 1000 / 20 = 25; half spread 0.005, spacing 0.01
    q0 = CASH / (100 * (1 + FEE))  # 99.9: 25 + 25 + 25 + 24.9
    levels = [100.005, 100.015, 100.025, 100.035]
    average = (25 * sum(levels[:3]) + (q0 - 75) * levels[3]) / q0
    t = simulate(ROWS, slip(kind="book"), entries_long=[0]).trades.row(0)
    assert t["entry_price"] == pytest.approx(average, rel=1e-12)
    same = fill_rules.book_average_price(True, q0, 100.0, 1000.0, 0.5, 1.0, 0.5, 20, 0.0, 0.0)
    assert same == pytest.approx(average, rel=1e-12)


def test_latency_inside_the_next_bar_reads_the_price_along_it() -> None:
    config = BacktestConfig(latency_ms=15_000)
    t = simulate(ROWS, config, entries_long=[0]).trades.row(0)
    assert t["entry_time"] == T0 + MIN + 15_000
    assert t["entry_price"] == pytest.approx(100 + 0.25 * (102 - 100), rel=1e-12)


def test_latency_longer_than_a_bar_fills_in_a_later_bar() -> None:
    config = BacktestConfig(latency_ms=90_000)
    t = simulate(ROWS, config, entries_long=[0]).trades.row(0)
    assert t["entry_time"] == T0 + 2 * MIN + 30_000
    assert t["entry_price"] == pytest.approx(102 + 0.5 * (102 - 102), rel=1e-12)
    t = simulate(ROWS, BacktestConfig(latency_ms=60_000), entries_long=[0]).trades.row(0)
    assert (t["entry_time"], t["entry_price"]) == (T0 + 2 * MIN, 102.0)


def test_latency_with_finer_bars_uses_the_finer_bar_it_lands_in() -> None:
    fine = bars(
        [(100, 100.5, 99, 100.2), (100.2, 101, 100, 100.8), (100.8, 101, 100.5, 101), (101,) * 4],
        start=T0 + MIN,
        step=15_000,
    )
    config = BacktestConfig(latency_ms=20_000)
    t = simulate(ROWS, config, entries_long=[0], finer=fine).trades.row(0)
    assert t["entry_time"] == T0 + MIN + 20_000
    assert t["entry_price"] == pytest.approx(100.2 + (5_000 / 15_000) * (100.8 - 100.2), rel=1e-12)


def test_a_stop_touched_before_a_late_entry_does_not_count_with_finer_bars() -> None:
    rows = [(100, 101, 99, 100), (100, 101, 97, 100.5), (100.5, 101, 100, 101), (101,) * 4]
    fine = bars(
        [(100, 100, 97, 98), (98, 100.5, 98.5, 100.4), (100.4, 101, 100.2, 100.6), (100.6,) * 4],
        start=T0 + MIN,
        step=15_000,
    )
    config = BacktestConfig(latency_ms=20_000)
    with_fine = simulate(rows, config, entries_long=[0], stop={0: 98.0}, finer=fine)
    assert with_fine.trades.exit_reason.tolist() == [kc.EXIT_END]
    # without finer bars the whole entry bar is scanned: the low of 97 stops it out
    coarse = simulate(rows, config, entries_long=[0], stop={0: 98.0})
    assert coarse.trades.exit_reason.tolist() == [kc.EXIT_STOP]


def test_a_gap_in_the_data_fills_at_the_open_of_the_next_bar_there_is() -> None:
    times = [T0, T0 + MIN, T0 + 5 * MIN, T0 + 6 * MIN]
    b = bars(ROWS, times=times)
    result = run_signals(signals(4, entries_long=[1]), b, BacktestConfig(), interval_ms=MIN)
    t = result.trades.row(0)
    assert (t["entry_time"], t["entry_price"]) == (T0 + 5 * MIN, 102.0)


def test_fees_taker_on_market_fills_maker_on_take_profit() -> None:
    rows = [(100, 101, 99, 100), (100, 101, 99, 100), (100, 106, 99, 105), (105,) * 4]
    config = BacktestConfig(fee_maker=0.0, fee_taker=0.002)
    result = simulate(rows, config, entries_long=[0], take_profit={0: 105.0})
    t = result.trades.row(0)
    q = CASH / (100 * 1.002)
    assert t["entry_fee"] == pytest.approx(q * 100 * 0.002, rel=1e-12)
    assert t["exit_fee"] == 0.0
    assert result.fees_paid == pytest.approx(q * 100 * 0.002, rel=1e-12)
    assert result.final_equity == pytest.approx(q * 105, rel=1e-12)


def test_zero_fees_keep_the_equity_equal_to_the_price_path() -> None:
    config = BacktestConfig(fee_maker=0.0, fee_taker=0.0)
    result = simulate(ROWS, config, entries_long=[0])
    np.testing.assert_allclose(result.equity, [CASH, CASH * 1.02, CASH * 1.02, CASH * 1.03])
