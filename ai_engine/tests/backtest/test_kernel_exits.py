"""Every exit of the kernel on hand-made bars, with the expected fills worked out by hand.

Defaults: cash 10,000, fees 0.1 % maker and taker, all-equity sizing, so a long entered at
100 holds ``q = 10_000 / (100 x 1.001)`` and a fill at ``px`` pays ``q x px x 0.001``.
Signals of bar ``i`` fill at bar ``i + 1``'s open.
"""

from __future__ import annotations

import numpy as np
import pytest
import talib

from ai_engine.backtest import kernel_codes as kc
from ai_engine.backtest.config import BacktestConfig, ExitOverrides
from ai_engine.strategies.signals import ExitRules

from .kernel_factories import FEE, MIN, T0, bars, simulate

CASH = 10_000.0
Q100 = CASH / (100 * (1 + FEE))  # all-equity quantity at 100


def one_trade(result):  # type: ignore[no-untyped-def]
    assert len(result.trades) == 1, result.trades
    return result.trades.row(0)


def test_stop_inside_the_bar_fills_at_the_stop_with_the_taker_fee() -> None:
    rows = [(100, 101, 99, 100), (100, 102, 98, 101), (100, 101, 94, 96), (96, 97, 95, 96)]
    result = simulate(rows, entries_long=[0], stop={0: 95.0})
    t = one_trade(result)
    assert (t["entry_price"], t["exit_price"]) == (100.0, 95.0)
    assert (t["entry_time"], t["exit_time"]) == (T0 + MIN, T0 + 2 * MIN)
    assert t["exit_reason"] == kc.EXIT_STOP
    assert t["quantity"] == pytest.approx(Q100, rel=1e-12)
    assert t["exit_fee"] == pytest.approx(Q100 * 95 * FEE, rel=1e-12)
    expected_pnl = Q100 * (95 - 100) - Q100 * 100 * FEE - Q100 * 95 * FEE
    assert t["pnl"] == pytest.approx(expected_pnl, rel=1e-12)
    assert result.final_equity == pytest.approx(CASH + expected_pnl, rel=1e-12)
    # equity is marked at each close while the position is open
    assert result.equity[1] == pytest.approx(Q100 * 101, rel=1e-12)


def test_a_gap_through_the_stop_fills_at_the_open_not_at_the_stop() -> None:
    rows = [(100, 101, 99, 100), (100, 102, 98, 101), (93, 94, 90, 92), (92, 92, 92, 92)]
    t = one_trade(simulate(rows, entries_long=[0], stop={0: 95.0}))
    assert t["exit_price"] == 93.0
    assert t["exit_reason"] == kc.EXIT_STOP


def test_take_profit_needs_a_trade_through_and_pays_the_maker_fee() -> None:
    rows = [(100, 100, 100, 100), (100, 101, 99, 100), (100, 105, 99, 104), (104, 105.5, 103, 105)]
    config = BacktestConfig(fee_maker=0.0002)
    t = one_trade(simulate(rows, config, entries_long=[0], take_profit={0: 105.0}))
    assert t["exit_time"] == T0 + 3 * MIN  # bar 2 only touched 105
    assert t["exit_price"] == 105.0
    assert t["exit_reason"] == kc.EXIT_TAKE_PROFIT
    assert t["exit_fee"] == pytest.approx(t["quantity"] * 105 * 0.0002, rel=1e-12)
    assert t["entry_fee"] == pytest.approx(t["quantity"] * 100 * FEE, rel=1e-12)


BOTH = [(100, 100, 100, 100), (100, 101, 99, 100), (100, 106, 94, 100), (100, 100, 100, 100)]


def test_stop_and_target_in_one_bar_assume_the_worse() -> None:
    t = one_trade(simulate(BOTH, entries_long=[0], stop={0: 95.0}, take_profit={0: 105.0}))
    assert (t["exit_price"], t["exit_reason"]) == (95.0, kc.EXIT_STOP)
    best = BacktestConfig(intrabar="best")
    t = one_trade(simulate(BOTH, best, entries_long=[0], stop={0: 95.0}, take_profit={0: 105.0}))
    assert (t["exit_price"], t["exit_reason"]) == (105.0, kc.EXIT_TAKE_PROFIT)


def test_a_short_mirrors_it() -> None:
    config = BacktestConfig(market="usdm")
    t = one_trade(simulate(BOTH, config, entries_short=[0], stop={0: 105.0}, take_profit={0: 95.0}))
    assert (t["side"], t["exit_price"], t["exit_reason"]) == (-1, 105.0, kc.EXIT_STOP)
    expected = t["quantity"] * (100 - 105) - t["entry_fee"] - t["exit_fee"]
    assert t["pnl"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("path", "price", "reason", "fine_bar"),
    [
        # up first: the target trades through in the second finer bar
        (
            [(100, 101, 99, 100), (100, 106, 100, 105), (105, 105, 94, 95), (95, 100, 95, 100)],
            105.0,
            kc.EXIT_TAKE_PROFIT,
            1,
        ),
        # down first: the stop is touched in the second finer bar
        (
            [(100, 101, 99, 100), (100, 100, 94, 95), (95, 106, 95, 105), (105, 105, 100, 100)],
            95.0,
            kc.EXIT_STOP,
            1,
        ),
        # both inside one finer bar: the worse again
        (
            [(100, 101, 99, 100), (100, 106, 94, 100), (100, 100, 100, 100), (100, 100, 99, 100)],
            95.0,
            kc.EXIT_STOP,
            1,
        ),
    ],
)
def test_finer_bars_resolve_which_came_first(
    path: list[tuple[float, float, float, float]], price: float, reason: int, fine_bar: int
) -> None:
    finer = bars(path, start=T0 + 2 * MIN, step=15_000)
    result = simulate(BOTH, entries_long=[0], stop={0: 95.0}, take_profit={0: 105.0}, finer=finer)
    t = one_trade(result)
    assert (t["exit_price"], t["exit_reason"]) == (price, reason)
    assert t["exit_time"] == T0 + 2 * MIN + fine_bar * 15_000


TRAIL_ROWS = [(100, 100, 100, 100), (100, 104, 99.5, 103), (103, 103.5, 101, 102), (102,) * 4]


def test_trailing_stop_from_the_signals_distance() -> None:
    # end of bar 1: best 104, level 104 - 2 = 102; bar 2 opens 103 and trades down to 101
    result = simulate(TRAIL_ROWS, entries_long=[0], stop={0: 95.0}, trail=2.0)
    t = one_trade(result)
    assert (t["exit_price"], t["exit_reason"]) == (102.0, kc.EXIT_TRAILING)
    assert t["exit_time"] == T0 + 2 * MIN


def test_trailing_stop_as_a_percentage_of_the_close() -> None:
    config = BacktestConfig(exits=ExitOverrides(trail_pct=2.0))
    t = one_trade(simulate(TRAIL_ROWS, config, entries_long=[0], stop={0: 95.0}))
    assert t["exit_price"] == pytest.approx(104 - 103 * 0.02, rel=1e-12)
    assert t["exit_reason"] == kc.EXIT_TRAILING


def test_trailing_stop_in_atrs() -> None:
    rows = [
        (100, 101, 99, 100),
        (100, 102, 99, 101),
        (101, 102, 100, 101),
        (101, 105, 100.5, 104),
        (104, 104.5, 100, 101),
        (101, 101, 101, 101),
    ]
    config = BacktestConfig(exits=ExitOverrides(trail_atr=1.0, atr_period=2))
    high, low, close = (np.array([r[i] for r in rows], dtype=float) for i in (1, 2, 3))
    level = 105 - 1.0 * talib.ATR(high, low, close, 2)[3]  # best after bar 3 is its high
    assert 100 < level < 104  # bar 4 opens above the level and trades through it
    t = one_trade(simulate(rows, config, entries_long=[2]))
    assert t["exit_price"] == pytest.approx(level, rel=1e-12)
    assert (t["exit_reason"], t["exit_time"]) == (kc.EXIT_TRAILING, T0 + 4 * MIN)


def test_time_stop_exits_at_the_open_after_the_last_held_bar() -> None:
    rows = [(100, 101, 99, 100), (100, 101, 99, 100.5), (101, 102, 100, 101), (102, 103, 101, 102)]
    rows += [(103, 104, 102, 103)]
    config = BacktestConfig(exits=ExitOverrides(max_hold_bars=2))
    t = one_trade(simulate(rows, config, entries_long=[0]))
    assert (t["entry_time"], t["exit_time"]) == (T0 + MIN, T0 + 3 * MIN)
    assert (t["exit_price"], t["exit_reason"]) == (102.0, kc.EXIT_TIME)
    # the strategy's own ExitRules do the same
    rules = ExitRules(max_hold_bars=2)
    same = one_trade(simulate(rows, entries_long=[0], exit_rules=rules))
    assert same == t


def test_exit_signal_sells_at_the_next_open() -> None:
    rows = [(100, 101, 99, 100), (100, 101, 99, 101), (101, 102, 100, 102), (103, 104, 102, 103)]
    t = one_trade(simulate(rows, entries_long=[0], exits_long=[2]))
    assert (t["exit_price"], t["exit_time"], t["exit_reason"]) == (
        103.0,
        T0 + 3 * MIN,
        kc.EXIT_SIGNAL,
    )
    expected = Q100 * 103 * (1 - FEE)
    assert result_equity(rows, entries_long=[0], exits_long=[2]) == pytest.approx(expected)


def result_equity(rows, **kwargs):  # type: ignore[no-untyped-def]
    return simulate(rows, **kwargs).final_equity


def test_an_opposite_entry_reverses_the_position_on_usdm() -> None:
    rows = [(100, 101, 99, 100), (100, 101, 99, 101), (101, 102, 100, 102), (103, 104, 102, 103)]
    rows += [(103, 103, 98, 99)]
    result = simulate(rows, BacktestConfig(market="usdm"), entries_long=[0], entries_short=[2])
    first, second = result.trades.row(0), result.trades.row(1)
    assert len(result.trades) == 2
    assert (first["side"], first["exit_price"], first["exit_reason"]) == (
        1,
        103.0,
        kc.EXIT_REVERSAL,
    )
    assert (second["side"], second["entry_price"]) == (-1, 103.0)
    assert second["entry_reason"] == kc.ENTRY_REVERSAL
    assert (second["exit_price"], second["exit_reason"]) == (99.0, kc.EXIT_END)
    assert second["exit_time"] == T0 + 5 * MIN  # the close of the last bar
    cash_after_long = Q100 * 103 * (1 - FEE)
    short_q = cash_after_long / (103 * (1 + FEE))
    assert second["quantity"] == pytest.approx(short_q, rel=1e-12)
    assert result.final_equity == pytest.approx(
        cash_after_long + short_q * (103 - 99) - short_q * 103 * FEE - short_q * 99 * FEE,
        rel=1e-12,
    )


def test_on_spot_a_short_entry_only_closes_the_long() -> None:
    rows = [(100, 101, 99, 100), (100, 101, 99, 101), (101, 102, 100, 102), (103, 104, 102, 103)]
    rows += [(103, 103, 98, 99)]
    result = simulate(rows, entries_long=[0], entries_short=[2, 3])
    t = one_trade(result)
    assert (t["exit_price"], t["exit_reason"]) == (103.0, kc.EXIT_REVERSAL)
    assert result.skipped["short_on_spot"] == 2


def test_breakeven_moves_the_stop_to_the_entry_price() -> None:
    rows = [(100, 100, 100, 100), (100, 105.5, 99, 105), (102, 103, 99, 100), (100, 100, 100, 100)]
    config = BacktestConfig(exits=ExitOverrides(breakeven_after_r=1.0))
    t = one_trade(simulate(rows, config, entries_long=[0], stop={0: 95.0}))
    assert (t["exit_price"], t["exit_reason"]) == (100.0, kc.EXIT_BREAKEVEN)
    assert t["pnl"] == pytest.approx(-t["entry_fee"] - t["exit_fee"], rel=1e-12)
    # below 1R of profit it stays where it was: 104.9 < 100 + 5
    rows[1] = (100, 104.9, 99, 104)
    t = one_trade(simulate(rows, config, entries_long=[0], stop={0: 95.0}))
    assert t["exit_reason"] == kc.EXIT_END


def test_multi_level_take_profit_of_seed_004() -> None:
    """25 % at 1R, 2R, 3R (maker), breakeven after 1R, the rest trailing from 2R (taker)."""
    rows = [
        (100, 100, 100, 100),
        (100, 106, 99, 105),  # 1R = 105 through; best 106: breakeven
        (105, 111, 104, 110),  # 2R = 110 through; best 111: trailing on at 111 - 3 = 108
        (110, 116, 109, 115),  # 3R = 115 through; low 109 stays above 108; level -> 113
        (115, 115.5, 112, 113),  # the last quarter trails out at 113
        (113, 113, 113, 113),
    ]
    rules = ExitRules(
        take_profit_levels=((1.0, 0.25), (2.0, 0.25), (3.0, 0.25)),
        breakeven_after_r=1.0,
        trail_after_r=2.0,
    )
    config = BacktestConfig(fee_maker=0.0002)
    result = simulate(rows, config, entries_long=[0], stop={0: 95.0}, trail=3.0, exit_rules=rules)
    tr = result.trades
    assert tr.exit_price.tolist() == [105.0, 110.0, 115.0, 113.0]
    assert tr.exit_reason.tolist() == [kc.EXIT_PARTIAL] * 3 + [kc.EXIT_TRAILING]
    assert tr.exit_time.tolist() == [T0 + i * MIN for i in (1, 2, 3, 4)]
    np.testing.assert_allclose(tr.quantity, Q100 / 4, rtol=1e-12)
    np.testing.assert_allclose(tr.entry_fee, Q100 * 100 * FEE / 4, rtol=1e-12)
    rates = np.array([0.0002, 0.0002, 0.0002, FEE])
    np.testing.assert_allclose(tr.exit_fee, Q100 / 4 * tr.exit_price * rates, rtol=1e-12)
    gross = Q100 / 4 * (np.array([105, 110, 115, 113]) - 100)
    np.testing.assert_allclose(tr.pnl, gross - tr.entry_fee - tr.exit_fee, rtol=1e-12)
    assert result.final_equity == pytest.approx(CASH + tr.pnl.sum(), rel=1e-12)


def test_partial_levels_without_a_stop_leave_the_single_target() -> None:
    rows = [(100, 100, 100, 100), (100, 106, 99, 105), (105, 106, 104, 105)]
    rules = ExitRules(take_profit_levels=((1.0, 0.5),))
    t = one_trade(simulate(rows, entries_long=[0], take_profit={0: 105.5}, exit_rules=rules))
    assert (t["exit_price"], t["exit_reason"]) == (105.5, kc.EXIT_TAKE_PROFIT)


def test_a_position_open_at_the_end_closes_at_the_last_close_unless_asked_not_to() -> None:
    rows = [(100, 100, 100, 100), (100, 101, 99, 100), (100, 102, 99, 101.5)]
    t = one_trade(simulate(rows, entries_long=[0]))
    assert (t["exit_price"], t["exit_reason"], t["exit_time"]) == (101.5, kc.EXIT_END, T0 + 3 * MIN)
    kept = simulate(rows, BacktestConfig(close_at_end=False), entries_long=[0])
    assert len(kept.trades) == 0
    assert kept.final_equity == pytest.approx(Q100 * 101.5, rel=1e-12)
