"""USD-M perpetuals: leverage with isolated margin, liquidation, and funding on real data."""

from __future__ import annotations

import numpy as np
import pytest

from ai_engine.backtest import kernel_codes as kc
from ai_engine.backtest.config import BacktestConfig, BacktestConfigError
from ai_engine.backtest.engine import run_signals

from .kernel_factories import FEE, MIN, T0, sample_bars, sample_funding, signals, simulate

CASH = 10_000.0
MMR = 0.004


def config(leverage: float) -> BacktestConfig:
    return BacktestConfig(market="usdm", leverage=leverage, maintenance_margin=MMR)


def test_leverage_locks_notional_over_leverage_as_margin() -> None:
    rows = [(100, 100, 100, 100), (100, 101, 99, 100), (100, 102, 99, 102)]
    result = simulate(rows, config(5), entries_long=[0])
    t = result.trades.row(0)
    q = CASH / (100 * (1 / 5 + FEE))
    assert t["quantity"] == pytest.approx(q, rel=1e-12)
    # bar 1 closes at 100: equity is the cash left plus the margin, i.e. cash less the fee
    assert result.equity[1] == pytest.approx(CASH - q * 100 * FEE, rel=1e-12)
    assert result.final_equity == pytest.approx(
        CASH + q * (102 - 100) - q * 100 * FEE - q * 102 * FEE, rel=1e-12
    )


@pytest.mark.parametrize(
    ("side", "extreme_bar", "liq", "bankrupt"),
    [
        (1, (100, 100, 90, 91), 100 * (1 - 1 / 10) / (1 - MMR), 90.0),
        (-1, (100, 110, 100, 109), 100 * (1 + 1 / 10) / (1 + MMR), 110.0),
    ],
)
def test_liquidation_at_the_bar_extreme_loses_the_whole_margin(
    side: int, extreme_bar: tuple[float, float, float, float], liq: float, bankrupt: float
) -> None:
    rows = [(100, 100, 100, 100), (100, 100.5, 99.5, 100), extreme_bar, extreme_bar[3:] * 4]
    entry = {"entries_long": [0]} if side > 0 else {"entries_short": [0]}
    result = simulate(rows, config(10), **entry)  # type: ignore[arg-type]
    t = result.trades.row(0)
    assert (t["exit_reason"], t["exit_time"]) == (kc.EXIT_LIQUIDATION, T0 + 2 * MIN)
    assert t["exit_price"] == pytest.approx(bankrupt, rel=1e-12)
    assert t["exit_fee"] == 0.0
    q = CASH / (100 * (1 / 10 + FEE))
    margin = q * 100 / 10
    assert t["pnl"] == pytest.approx(-margin - q * 100 * FEE, rel=1e-12)
    assert result.final_equity == pytest.approx(0.0, abs=1e-6)  # all in at 10x
    # one tick less adverse and nothing happens
    near = (100, 100, liq + 0.01, 100) if side > 0 else (100, liq - 0.01, 100, 100)
    rows[2] = near
    kept = simulate(rows, config(10), **entry)  # type: ignore[arg-type]
    assert kept.trades.exit_reason.tolist() == [kc.EXIT_END]


def test_a_gap_through_the_liquidation_price_still_loses_only_the_margin() -> None:
    rows = [(100, 100, 100, 100), (100, 100.5, 99.5, 100), (85, 86, 84, 85), (85,) * 4]
    t = simulate(rows, config(10), entries_long=[0]).trades.row(0)
    assert (t["exit_reason"], t["exit_price"]) == (kc.EXIT_LIQUIDATION, pytest.approx(90.0))


def test_a_stop_before_the_liquidation_price_fills_first() -> None:
    rows = [(100, 100, 100, 100), (100, 100.5, 99.5, 100), (100, 100, 90, 91), (91,) * 4]
    t = simulate(rows, config(10), entries_long=[0], stop={0: 95.0}).trades.row(0)
    assert (t["exit_reason"], t["exit_price"]) == (kc.EXIT_STOP, 95.0)


def test_spot_has_no_liquidation() -> None:
    rows = [(100, 100, 100, 100), (100, 100.5, 99.5, 100), (100, 100, 1, 91), (91,) * 4]
    t = simulate(rows, entries_long=[0]).trades.row(0)
    assert t["exit_reason"] == kc.EXIT_END


def test_funding_on_real_btcusdt_perpetual_data() -> None:
    """Positions pay ``side x quantity x open x rate`` at each funding time they are open
    through (BTCUSDT USD-M 1m bars 2025-05-26..28 and the real funding events)."""
    bars = sample_bars("BTCUSDT-1m-*", "futures_um/klines_1m")
    funding = sample_funding("BTCUSDT-fundingRate-2025-05-26_2025-05-29.csv.gz")
    assert np.all(np.diff(bars.open_time) == MIN)  # contiguous: bar j opens at first + j min
    n = len(bars)
    s = signals(n, entries_long=[10], exits_long=[2000], entries_short=[2500], exits_short=[4000])
    result = run_signals(s, bars, BacktestConfig(market="usdm"), symbol="BTCUSDT", funding=funding)
    # bar charged for each event: the one whose minute holds it (events come a few ms late)
    charged = (np.asarray(funding.funding_time) - bars.open_time[0]) // MIN
    inside = charged < n
    assert inside.sum() == 9  # 2025-05-29 00:00 is after the data
    assert (~inside).sum() == 1
    long_q, short_q = result.trades.quantity
    expected_long = sum(
        long_q * bars.open[j] * r
        for j, r in zip(charged[inside], funding.funding_rate[inside], strict=True)
        if 11 < j <= 2001  # entered at bar 11's open, left at bar 2001's open
    )
    expected_short = -sum(
        short_q * bars.open[j] * r
        for j, r in zip(charged[inside], funding.funding_rate[inside], strict=True)
        if 2501 < j <= 4001
    )
    assert expected_long > 0  # rates were positive: longs paid ...
    assert expected_short < 0  # ... and shorts received
    np.testing.assert_allclose(result.trades.funding, [expected_long, expected_short], rtol=1e-12)
    tr = result.trades
    gross = tr.side * tr.quantity * (tr.exit_price - tr.entry_price)
    np.testing.assert_allclose(tr.pnl, gross - tr.entry_fee - tr.exit_fee - tr.funding, rtol=1e-9)
    assert result.final_equity == pytest.approx(CASH + tr.pnl.sum(), rel=1e-12)
    assert result.funding_paid == pytest.approx(expected_long + expected_short, rel=1e-12)


def test_funding_is_refused_on_spot() -> None:
    bars = sample_bars("BTCUSDT-1m-*", "futures_um/klines_1m")
    funding = sample_funding("BTCUSDT-fundingRate-2025-05-26_2025-05-29.csv.gz")
    with pytest.raises(BacktestConfigError, match="funding payments need market 'usdm'"):
        run_signals(signals(len(bars)), bars, BacktestConfig(), funding=funding)
