"""Finer bars on real data: 5m bars resolved with the 1m bars they were built from."""

from __future__ import annotations

import numpy as np

from ai_engine.backtest import kernel_codes as kc
from ai_engine.backtest.config import BacktestConfig, ExitOverrides
from ai_engine.backtest.engine import run
from ai_engine.marketdata import resample

from .kernel_factories import sample_bars

FIVE = 5 * 60_000


def first_touch(minute_bars, start: int, stop: float, target: float) -> int:  # type: ignore[no-untyped-def]
    """Which level the 1m path of a 5m bar reaches first: +1 target, -1 stop, 0 both in one."""
    inside = (minute_bars.open_time >= start) & (minute_bars.open_time < start + FIVE)
    for high, low in zip(minute_bars.high[inside], minute_bars.low[inside], strict=True):
        down, up = low <= stop, high > target
        if down or up:
            return 0 if down and up else (1 if up else -1)
    raise AssertionError("neither level inside the bar")


def test_ambiguous_five_minute_bars_follow_the_one_minute_path() -> None:
    minutes = sample_bars("BTCUSDT-1m-*")
    five = resample(minutes, "5m")
    exits = ExitOverrides(stop_pct=0.05, take_profit_pct=0.05)
    config = BacktestConfig(fee_maker=0.0, fee_taker=0.0, exits=exits)
    params = {"fast": 3, "slow": 8, "fee_rate": 0.0}
    worst = run("ema_cross", five, params=params, config=config)
    finer = run("ema_cross", five, params=params, config=config, finer=minutes)
    # same first entries; they part at the first bar both levels were touched in
    a, b = worst.trades, finer.trades
    differ = np.flatnonzero(
        (a.exit_price[: len(b)] != b.exit_price[: len(a)])
        | (a.exit_time[: len(b)] != b.exit_time[: len(a)])
    )
    assert len(differ) > 0
    i = int(differ[0])
    assert a.entry_time[i] == b.entry_time[i]
    entry = a.entry_price[i]
    stop, target = entry * (1 - 0.0005), entry * (1 + 0.0005)
    bar_start = int(a.exit_time[i])  # the worst case stopped out inside this 5m bar
    assert a.exit_reason[i] == kc.EXIT_STOP
    assert bar_start <= b.exit_time[i] < bar_start + FIVE  # the finer run: the same 5m bar,
    assert b.exit_time[i] % 60_000 == 0  # at the 1m bar where it happened
    path = first_touch(minutes, bar_start, stop, target)
    if path == 1:  # the 1m path reached the target first: the finer run took it
        assert (b.exit_reason[i], b.exit_price[i]) == (kc.EXIT_TAKE_PROFIT, target)
    else:  # the stop first, or both inside one 1m bar (the worse again): the stop
        assert (b.exit_reason[i], b.exit_price[i]) == (kc.EXIT_STOP, stop)
    # over the whole run, more targets are reached than under the worst-case assumption
    assert np.count_nonzero(b.exit_reason == kc.EXIT_TAKE_PROFIT) > np.count_nonzero(
        a.exit_reason == kc.EXIT_TAKE_PROFIT
    )
