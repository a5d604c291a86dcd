"""Several symbols in one portfolio: shared cash, the position cap and its tie-break."""

from __future__ import annotations

import numpy as np
import pytest

from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.engine import run, run_portfolio, run_portfolio_signals

from .kernel_factories import FEE, MIN, T0, bars, flat, sample_bars, signals

CASH = 10_000.0


def three(scores: dict[str, float], max_positions: int, **extra: object):  # type: ignore[no-untyped-def]
    prices = {"AAA": 100.0, "BBB": 50.0, "CCC": 20.0}
    inputs = {
        name: (bars(flat(4, price)), signals(4, entries_long=[0], score={0: scores[name]}))
        for name, price in prices.items()
    }
    config = BacktestConfig(max_positions=max_positions, **extra)  # type: ignore[arg-type]
    return run_portfolio_signals(inputs, config), prices


def test_the_cap_keeps_the_most_confident_entries() -> None:
    # confidence |score - 50| / 50: AAA 0.8, BBB 0.4, CCC 0.6 -> AAA and CCC
    result, prices = three({"AAA": 90.0, "BBB": 70.0, "CCC": 80.0}, max_positions=2)
    assert result.symbols == ("AAA", "BBB", "CCC")
    assert sorted(result.trades.symbol.tolist()) == [0, 2]
    assert result.skipped["max_positions"] == 1
    # all_equity splits the free cash over the free slots: 10,000 / 2, then what is left / 1
    q = dict(zip(result.trades.symbol.tolist(), result.trades.quantity.tolist(), strict=True))
    assert q[0] == pytest.approx(5_000 / (prices["AAA"] * (1 + FEE)), rel=1e-12)
    assert q[2] == pytest.approx(5_000 / (prices["CCC"] * (1 + FEE)), rel=1e-12)
    assert result.final_equity == pytest.approx(CASH * (1 - FEE) / (1 + FEE), rel=1e-12)


def test_equal_confidence_falls_back_to_symbol_order() -> None:
    result, _ = three({"AAA": 60.0, "BBB": 60.0, "CCC": 60.0}, max_positions=2)
    assert sorted(result.trades.symbol.tolist()) == [0, 1]
    result, _ = three({"AAA": 60.0, "BBB": 60.0, "CCC": 60.0}, max_positions=3)
    assert sorted(result.trades.symbol.tolist()) == [0, 1, 2]


def test_a_freed_slot_takes_the_next_signal() -> None:
    a = (bars(flat(5, 100.0)), signals(5, entries_long=[0], exits_long=[1]))
    b = (bars(flat(5, 50.0)), signals(5, entries_long=[0, 2]))
    result = run_portfolio_signals({"A": a, "B": b}, BacktestConfig(max_positions=1))
    tr = result.trades
    assert tr.symbol.tolist() == [0, 1]
    assert tr.entry_time.tolist() == [T0 + MIN, T0 + 3 * MIN]
    assert result.skipped["max_positions"] == 1  # B at bar 0 found the slot taken


def test_symbols_on_different_bar_grids() -> None:
    a = bars(flat(5, 100.0))
    times = [T0, T0 + MIN, T0 + 3 * MIN, T0 + 4 * MIN]  # B has no bar at minute 2
    b = bars([(50, 50, 50, 50), (50, 51, 49, 50), (55, 56, 54, 55), (60, 60, 60, 60)], times=times)
    inputs = {
        "A": (a, signals(5)),
        "B": (b, signals(4, entries_long=[1])),  # decided at B's bar of minute 1
    }
    result = run_portfolio_signals(inputs, BacktestConfig(max_positions=2), interval_ms=MIN)
    t = result.trades.row(0)
    assert (t["symbol"], t["entry_time"], t["entry_price"]) == (1, T0 + 3 * MIN, 55.0)
    assert result.open_time.tolist() == [T0 + i * MIN for i in range(5)]
    q = 5_000 / (55 * (1 + FEE))
    assert result.final_equity == pytest.approx(5_000 + q * 60 * (1 - FEE), rel=1e-12)


def test_ema_cross_on_two_real_symbols_shares_one_cash_balance() -> None:
    inputs = {
        "BTCUSDT": sample_bars("BTCUSDT-1m-*"),
        "ETHUSDT": sample_bars("ETHUSDT-1m-*"),
    }
    config = BacktestConfig(max_positions=2)
    result = run_portfolio(inputs, "ema_cross", None, config)
    assert set(result.trades.symbol.tolist()) == {0, 1}
    assert result.final_equity == pytest.approx(CASH + result.trades.pnl.sum(), rel=1e-9)
    # the input order does not matter
    again = run_portfolio(dict(reversed(inputs.items())), "ema_cross", None, config)
    np.testing.assert_array_equal(again.equity, result.equity)
    assert again.trades.row(3) == result.trades.row(3)
    # one position at a time: never two open at once
    single = run_portfolio(inputs, "ema_cross", None, BacktestConfig(max_positions=1))
    tr = single.trades
    order = np.argsort(tr.entry_time)
    assert np.all(tr.entry_time[order][1:] >= tr.exit_time[order][:-1])
    assert single.skipped["max_positions"] > 0
    # with one symbol the portfolio is the single run
    alone = run_portfolio({"BTCUSDT": inputs["BTCUSDT"]}, "ema_cross")
    np.testing.assert_array_equal(alone.equity, run("ema_cross", inputs["BTCUSDT"]).equity)
