"""``ema_cross`` in the engine against an independent plain-Python loop of issue 6's text.

Issue 6: long only; EMA(12) and EMA(26) of close from TA-Lib; when fast crosses above slow at
a bar's close, buy at the next bar's open with all equity (quantity = cash / (price x
(1 + fee))); when it crosses below, sell at the next bar's open; a position still open after
the last bar is closed at that bar's close; taker fee on every fill; no slippage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import talib

from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.engine import run
from ai_engine.marketdata.frames import Bars

from .kernel_factories import sample_bars


@dataclass
class Reference:
    entries: list[tuple[int, float]]  # (time, price)
    exits: list[tuple[int, float]]
    quantities: list[float]
    final_equity: float


def reference_loop(
    bars: Bars, fee: float, cash: float, fast: int = 12, slow: int = 26
) -> Reference:
    close = np.asarray(bars.close, dtype=float)
    f, s = talib.EMA(close, fast).tolist(), talib.EMA(close, slow).tolist()
    opens, times = bars.open.tolist(), bars.open_time.tolist()
    out = Reference([], [], [], 0.0)
    side = 0  # sign of the last non-zero fast - slow seen
    holding, quantity, pending = False, 0.0, ""
    for i in range(len(close)):
        if pending == "buy":
            price = opens[i]
            quantity = cash / (price * (1 + fee))
            cash -= quantity * price + quantity * price * fee
            out.entries.append((times[i], price))
            out.quantities.append(quantity)
            holding = True
        elif pending == "sell":
            price = opens[i]
            cash += quantity * price - quantity * price * fee
            out.exits.append((times[i], price))
            holding = False
        pending = ""
        if np.isnan(f[i]) or np.isnan(s[i]) or f[i] == s[i]:
            continue
        now = 1 if f[i] > s[i] else -1
        if i < len(close) - 1:  # a crossing on the last bar has no next open
            if side == -1 and now == 1 and not holding:
                pending = "buy"
            elif side == 1 and now == -1 and holding:
                pending = "sell"
        side = now
    if holding:
        last = close[-1]
        cash += quantity * last - quantity * last * fee
        out.exits.append((times[-1] + 60_000, last))
    out.final_equity = cash
    return out


@pytest.mark.parametrize(
    ("pattern", "folder"),
    [
        ("BTCUSDT-1m-*", "spot/klines_1m"),  # includes the 2023-03-24 trading halt (a gap)
        ("ETHUSDT-1m-*", "spot/klines_1m"),
        ("AVAXUSDT-1m-*", "futures_um/klines_1m"),
        ("BTCUSDT-1m-*", "futures_um/klines_1m"),
    ],
)
def test_engine_matches_the_reference_loop_on_real_bars(pattern: str, folder: str) -> None:
    bars = sample_bars(pattern, folder)
    fee = 0.001
    result = run("ema_cross", bars, config=BacktestConfig(fee_maker=fee, fee_taker=fee))
    ref = reference_loop(bars, fee, 10_000.0)
    tr = result.trades
    assert len(tr) == len(ref.entries) > 20
    assert list(zip(tr.entry_time.tolist(), tr.entry_price.tolist(), strict=True)) == ref.entries
    assert list(zip(tr.exit_time.tolist(), tr.exit_price.tolist(), strict=True)) == ref.exits
    np.testing.assert_allclose(tr.quantity, ref.quantities, rtol=1e-9)
    np.testing.assert_allclose(tr.entry_fee, tr.quantity * tr.entry_price * fee, rtol=1e-12)
    np.testing.assert_allclose(tr.exit_fee, tr.quantity * tr.exit_price * fee, rtol=1e-12)
    assert result.final_equity == pytest.approx(ref.final_equity, rel=1e-9)
    assert result.final_equity != pytest.approx(10_000.0, rel=1e-6)  # it traded


def test_the_reference_also_agrees_with_other_periods_and_fees() -> None:
    bars = sample_bars("ETHUSDT-1m-2023-03-2[45].csv.gz")
    config = BacktestConfig(cash=250.0, fee_taker=0.00075, fee_maker=0.0)
    result = run("ema_cross", bars, params={"fast": 5, "slow": 50}, config=config)
    ref = reference_loop(bars, 0.00075, 250.0, fast=5, slow=50)
    assert [t for t, _ in ref.entries] == result.trades.entry_time.tolist()
    assert result.final_equity == pytest.approx(ref.final_equity, rel=1e-9)
