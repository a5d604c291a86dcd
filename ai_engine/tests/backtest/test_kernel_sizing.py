"""Every sizing mode, worked out by hand (cash 10,000, fee 0.1 %, entries at 100)."""

from __future__ import annotations

import pytest

from ai_engine.backtest import kernel_codes as kc
from ai_engine.backtest.config import BacktestConfig, ExitOverrides, Sizing

from .kernel_factories import FEE, simulate

CASH = 10_000.0
ROWS = [(100, 101, 99, 100), (100, 101, 99, 100), (100, 101, 94, 96), (96, 97, 95, 96)]


def sized(kind: str, value: float, **config: object) -> BacktestConfig:
    return BacktestConfig(sizing=Sizing(kind=kind, value=value), **config)  # type: ignore[arg-type]


def test_all_equity_is_cash_over_price_times_one_plus_fee() -> None:
    result = simulate(ROWS, entries_long=[0])
    assert result.trades.quantity[0] == pytest.approx(CASH / (100 * (1 + FEE)), rel=1e-15)
    assert result.equity[1] == pytest.approx(CASH / (1 + FEE), rel=1e-12)


def test_fixed_notional() -> None:
    result = simulate(ROWS, sized("fixed_notional", 1_000), entries_long=[0])
    assert result.trades.quantity[0] == pytest.approx(10.0, rel=1e-12)
    assert result.equity[1] == pytest.approx(CASH - 1_000 * FEE, rel=1e-12)


def test_fixed_notional_beyond_the_cash_is_capped_at_all_equity() -> None:
    result = simulate(ROWS, sized("fixed_notional", 50_000), entries_long=[0])
    assert result.trades.quantity[0] == pytest.approx(CASH / (100 * (1 + FEE)), rel=1e-12)


def test_equity_pct_is_a_share_of_the_equity_at_the_decision_close() -> None:
    result = simulate(ROWS, sized("equity_pct", 0.25), entries_long=[0])
    assert result.trades.quantity[0] == pytest.approx(25.0, rel=1e-12)
    # the second entry is sized on the equity after the first trade
    rows = [*ROWS, (96, 97, 95, 96), (96, 97, 95, 96)]
    result = simulate(rows, sized("equity_pct", 0.25), entries_long=[0, 3], exits_long=[1])
    first, second = result.trades.row(0), result.trades.row(1)
    equity_at_3 = CASH + first["pnl"]
    assert second["quantity"] == pytest.approx(0.25 * equity_at_3 / 96, rel=1e-12)


def test_equity_pct_with_leverage_is_the_margin_share() -> None:
    config = sized("equity_pct", 0.25, market="usdm", leverage=4.0)
    result = simulate(ROWS, config, entries_long=[0])
    assert result.trades.quantity[0] == pytest.approx(100.0, rel=1e-12)  # 2,500 x 4 / 100


def test_risk_pct_loses_the_share_of_equity_when_the_stop_is_hit() -> None:
    result = simulate(ROWS, sized("risk_pct", 0.01), entries_long=[0], stop={0: 95.0})
    t = result.trades.row(0)
    assert t["quantity"] == pytest.approx(20.0, rel=1e-12)  # 100 / (100 - 95)
    assert t["exit_reason"] == kc.EXIT_STOP
    assert t["pnl"] == pytest.approx(-100 - 20 * 100 * FEE - 20 * 95 * FEE, rel=1e-12)


def test_risk_pct_is_capped_by_the_cash() -> None:
    result = simulate(ROWS, sized("risk_pct", 0.5), entries_long=[0], stop={0: 99.5})
    assert result.trades.quantity[0] == pytest.approx(CASH / (100 * (1 + FEE)), rel=1e-12)


def test_risk_pct_without_a_stop_skips_the_entry_and_says_so() -> None:
    result = simulate(ROWS, sized("risk_pct", 0.01), entries_long=[0])
    assert len(result.trades) == 0
    assert result.skipped["no_stop_for_risk_sizing"] == 1
    assert result.final_equity == CASH


def test_risk_pct_with_a_stop_override_from_the_fill() -> None:
    config = BacktestConfig(
        sizing=Sizing(kind="risk_pct", value=0.02), exits=ExitOverrides(stop_pct=4.0)
    )
    t = simulate(ROWS, config, entries_long=[0]).trades.row(0)
    assert t["quantity"] == pytest.approx(200 / 4, rel=1e-12)  # 2 % of 10,000 over 4 % of 100
    assert (t["exit_price"], t["exit_reason"]) == (96.0, kc.EXIT_STOP)
