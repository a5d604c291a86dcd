"""The engine API: refusals before any work, results, timings, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from ai_engine.backtest import REASONS, BacktestConfig, BacktestConfigError, Sizing
from ai_engine.backtest.config import ExitOverrides, SlippageModel
from ai_engine.backtest.engine import run, run_portfolio, run_signals
from ai_engine.backtest.result import REASON_NAMES
from ai_engine.marketdata.frames import Bars
from ai_engine.strategies import StrategyParamError, UnknownStrategy
from ai_engine.strategies.signals import ExitRules

from .kernel_factories import MIN, T0, bars, flat, sample_bars, signals

BTC = "BTCUSDT-1m-2023-03-23.csv.gz"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (BacktestConfig(cash=0), "cash must be positive"),
        (BacktestConfig(fee_taker=-0.001), "fee_taker is a fraction"),
        (BacktestConfig(fee_maker=float("nan")), "fee_maker must be a finite number"),
        (BacktestConfig(leverage=3), "leverage 3 needs market 'usdm'"),
        (BacktestConfig(market="usdm", leverage=0.5), "leverage must be at least 1"),
        (BacktestConfig(market="coinm"), "market must be one of spot, usdm"),
        (BacktestConfig(market="usdm", leverage=50, maintenance_margin=0.05), "maintenance_"),
        (BacktestConfig(latency_ms=-1), "latency_ms must be 0 or more"),
        (BacktestConfig(max_positions=0), "max_positions must be 1 or more"),
        (BacktestConfig(intrabar="random"), "intrabar must be one of worst, best"),
        (BacktestConfig(slippage=SlippageModel(kind="huge")), "slippage.kind must be one of"),
        (BacktestConfig(slippage=SlippageModel(kind="fixed_bps")), "fixed_bps needs bps > 0"),
        (BacktestConfig(slippage=SlippageModel(kind="volume")), "volume needs k > 0"),
        (BacktestConfig(sizing=Sizing(kind="kelly")), "sizing.kind must be one of"),
        (BacktestConfig(sizing=Sizing(kind="equity_pct", value=25)), "fraction in (0, 1]"),
        (BacktestConfig(sizing=Sizing(kind="fixed_notional", value=0)), "needs value > 0"),
        (
            BacktestConfig(exits=ExitOverrides(trail_pct=1, trail_atr=2)),
            "trail_pct and exits.trail_atr exclude each other",
        ),
        (
            BacktestConfig(exits=ExitOverrides(take_profit_levels=((1, 0.6), (2, 0.6)))),
            "shares add up to 1.2",
        ),
        (
            BacktestConfig(exits=ExitOverrides(take_profit_levels=((2, 0.2), (1, 0.2)))),
            "R multiples must be positive and rising",
        ),
    ],
)
def test_inconsistent_configs_are_refused_before_any_work(
    config: BacktestConfig, message: str
) -> None:
    # empty bars would fail too: the config is checked first
    with pytest.raises(BacktestConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run("ema_cross", Bars.empty(), config=config)


def test_strategy_parameters_are_refused_before_the_data_is_looked_at() -> None:
    with pytest.raises(StrategyParamError, match=r"fast \(30\) must be below slow \(20\)"):
        run("ema_cross", Bars.empty(), params={"fast": 30, "slow": 20})
    with pytest.raises(StrategyParamError, match="unknown parameter"):
        run("ema_cross", Bars.empty(), params={"fats": 3})
    with pytest.raises(UnknownStrategy, match="unknown strategy 'nope'"):
        run("nope", Bars.empty())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (Bars.empty(), "no bars to backtest"),
        (bars(flat(1)), "cannot infer the bar interval"),
        (bars(flat(3), times=[T0, T0 + 2 * MIN, T0 + MIN]), "must increase strictly"),
        (bars([(100, 101, 99, 100), (100, 101, float("nan"), 100)]), "low must be a positive"),
        (bars([(100, 101, 99, 100), (0, 101, 99, 100)]), "open must be a positive"),
    ],
)
def test_bad_data_is_refused_with_a_clear_message(data: Bars, message: str) -> None:
    with pytest.raises((BacktestConfigError, ValueError), match=message):
        run("ema_cross", data)


def test_signals_of_another_length_and_bad_finer_bars_are_refused() -> None:
    b = bars(flat(5))
    with pytest.raises(BacktestConfigError, match="signals have 4 bars, the data 5"):
        run_signals(signals(4), b)
    finer = bars(flat(10), step=45_000)
    with pytest.raises(BacktestConfigError, match="must divide the bar interval"):
        run_signals(signals(5), b, finer=finer)
    with pytest.raises(BacktestConfigError, match="different bar intervals"):
        run_portfolio({"A": b, "B": bars(flat(5), step=5 * MIN)}, "ema_cross")
    with pytest.raises(BacktestConfigError, match="needs at least one symbol"):
        run_portfolio({}, "ema_cross")


def test_a_result_carries_its_grid_equity_timings_and_reasons() -> None:
    b = sample_bars(BTC)
    result = run("ema_cross", b, symbol="BTCUSDT")
    assert result.symbols == ("BTCUSDT",)
    np.testing.assert_array_equal(result.open_time, b.open_time)
    assert len(result.equity) == len(b)
    assert result.interval_ms == MIN
    assert set(result.timings) == {"load", "indicators", "simulation"}
    assert result.timings["simulation"] > 0
    assert result.timings["indicators"] > 0
    codes = set(result.trades.entry_reason.tolist()) | set(result.trades.exit_reason.tolist())
    assert codes <= set(REASONS)
    assert set(REASONS) == set(REASON_NAMES)
    assert result.fees_paid == pytest.approx(
        float(result.trades.entry_fee.sum() + result.trades.exit_fee.sum())
    )
    first = result.trades.row(0)
    assert set(first) >= {"entry_time", "exit_price", "pnl", "exit_reason"}


def test_the_same_inputs_give_the_same_result_every_time() -> None:
    b = sample_bars("ETHUSDT-1m-*")
    config = BacktestConfig(
        slippage=SlippageModel(kind="volume", k=0.5),
        latency_ms=250,
        exits=ExitOverrides(stop_pct=1.0, trail_pct=0.5),
    )
    one = run("trinity_scalper", b, params={"fee_rate": 0.0001}, config=config)
    two = run("trinity_scalper", b, params={"fee_rate": 0.0001}, config=config)
    np.testing.assert_array_equal(one.equity, two.equity)
    for name in ("entry_time", "exit_time", "entry_price", "exit_price", "quantity", "pnl"):
        np.testing.assert_array_equal(getattr(one.trades, name), getattr(two.trades, name))
    assert len(one.trades) > 5


@pytest.mark.parametrize(
    "strategy", ["ma_crossover", "rsi_mean_reversion", "bollinger_bounce", "composite_score"]
)
def test_every_builtin_runs_and_balances(strategy: str) -> None:
    b = sample_bars("BTCUSDT-1m-*")
    result = run(strategy, b, params={"fee_rate": 0.0002, "fee_multiple": 0.0})
    tr = result.trades
    gross = tr.side * tr.quantity * (tr.exit_price - tr.entry_price)
    np.testing.assert_allclose(tr.pnl, gross - tr.entry_fee - tr.exit_fee - tr.funding)
    assert result.final_equity == pytest.approx(10_000 + tr.pnl.sum(), rel=1e-9)
    assert np.all(tr.exit_time >= tr.entry_time)


def test_orderflow_breakout_exit_rules_run_on_a_perpetual() -> None:
    b = sample_bars("AVAXUSDT-1m-*", "futures_um/klines_1m")
    config = BacktestConfig(market="usdm", leverage=2)
    result = run("orderflow_breakout", b, params={"allow_short": True}, config=config)
    assert result.final_equity == pytest.approx(10_000 + result.trades.pnl.sum(), rel=1e-9)


def test_exit_overrides_replace_the_strategys_rules() -> None:
    rows = [(100, 101, 99, 100), (100, 101, 99, 100), (100, 101, 99, 100), (100,) * 4]
    rules = ExitRules(max_hold_bars=10)
    s = signals(4, entries_long=[0], exit_rules=rules)
    config = BacktestConfig(exits=ExitOverrides(max_hold_bars=1))
    result = run_signals(s, bars(rows), config)
    assert result.trades.exit_time.tolist() == [T0 + 2 * MIN]
