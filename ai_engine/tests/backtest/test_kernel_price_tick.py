"""``price_tick``: the backtest's ``stop_pct`` / ``take_profit_pct`` levels on the instrument's
grid as the trader's exit manager puts them (a long's up, a short's down), and the time stop
named before an exit signal of the same close -- the two rules that make a replay with exits
on give the backtest's trades (docs/execution.md, "Parity with exits on")."""

from __future__ import annotations

import pytest

from ai_engine.backtest import kernel_codes as kc
from ai_engine.backtest.config import BacktestConfig, BacktestConfigError, ExitOverrides
from ai_engine.matching.fill_rules import level_on_grid

from .kernel_factories import T0, simulate

ENTRY = 27_123.45  # x 0.9975 = 27055.641375: on the 0.01 grid, towards the entry, 27055.65
ROWS = [
    (ENTRY, ENTRY, ENTRY, ENTRY),
    (ENTRY, 27_130.0, 27_100.0, 27_110.0),
    (27_110.0, 27_120.0, 27_055.645, 27_070.0),  # reaches 27055.65, not 27055.641375
    (27_070.0, 27_080.0, 27_060.0, 27_075.0),
]


def test_the_stop_pct_level_is_on_the_tick_grid_towards_the_entry() -> None:
    exits = ExitOverrides(stop_pct=0.25)
    on_grid = simulate(ROWS, BacktestConfig(exits=exits, price_tick=0.01), entries_long=[0])
    assert len(on_grid.trades) == 1
    t = on_grid.trades.row(0)
    assert (t["exit_price"], t["exit_reason"], t["exit_time"]) == (
        27_055.65,
        kc.EXIT_STOP,
        T0 + 2 * 60_000,
    )
    exact = simulate(ROWS, BacktestConfig(exits=exits), entries_long=[0])
    assert exact.trades.row(0)["exit_reason"] == kc.EXIT_END  # the exact level is never reached


def test_levels_on_the_grid_round_with_the_side_and_keep_decimal_prices_exact() -> None:
    assert level_on_grid(27_055.641375, 0.01, True) == 27_055.65
    assert level_on_grid(27_055.641375, 0.01, False) == 27_055.64
    assert (
        level_on_grid(27_042.08, 0.01, True) == 27_042.08
    )  # on the grid: stays, the float of "27042.08"
    assert level_on_grid(2.5, 0.5, False) == 2.5
    assert level_on_grid(1.23456, 0.0, True) == 1.23456  # no grid
    with pytest.raises(BacktestConfigError, match="price_tick"):
        BacktestConfig(price_tick=-0.01).validate()


def test_a_time_stop_and_an_exit_signal_at_the_same_close_are_a_time_stop() -> None:
    rows = [(100, 101, 99, 100), (100, 101, 99, 100.5), (101, 102, 100, 101), (102, 103, 101, 102)]
    config = BacktestConfig(exits=ExitOverrides(max_hold_bars=2))
    t = simulate(rows, config, entries_long=[0], exits_long=[2]).trades.row(0)
    assert (t["exit_price"], t["exit_reason"]) == (102.0, kc.EXIT_TIME)


TRAIL_ROWS = [
    (100, 100, 100, 100),
    (100, 102.1, 99.5, 102),  # best 102.1
    (102, 102.5, 101.09, 101.5),
    (101.5, 101.6, 101.4, 101.5),
]


@pytest.mark.parametrize(
    ("exits", "tick", "exit_price", "bar"),
    [
        (ExitOverrides(trail_entry_pct=1.0), 0.0, 101.1, 2),  # 102.1 - 1 % of 100
        (ExitOverrides(trail_entry_pct=1.0), 0.25, 101.25, 2),  # on the grid, up for a long
        (ExitOverrides(trail_pct=1.0), 0.0, 102.5 - 1.015, 3),  # 1 % of each close: not in bar 2
    ],
)
def test_a_trailing_distance_of_the_entry_fill_and_its_level_on_the_grid(
    exits: ExitOverrides, tick: float, exit_price: float, bar: int
) -> None:
    config = BacktestConfig(exits=exits, price_tick=tick)
    t = simulate(TRAIL_ROWS, config, entries_long=[0]).trades.row(0)
    assert t["exit_reason"] == kc.EXIT_TRAILING
    assert t["exit_price"] == pytest.approx(exit_price, abs=1e-9)
    assert t["exit_time"] == T0 + bar * 60_000


def test_trailing_distances_exclude_each_other() -> None:
    both = BacktestConfig(exits=ExitOverrides(trail_pct=1.0, trail_entry_pct=1.0))
    with pytest.raises(BacktestConfigError, match=r"trail_entry_pct excludes exits\.trail_pct"):
        both.validate()
