"""Opening a position inside the kernel: size, slippage, margin, stop, targets, liquidation.

Sizing (``config.Sizing``; ``budget`` is the free cash -- split over the free position slots
for ``all_equity`` -- and ``equity`` the mark-to-market equity at the decision bar's close)::

    all_equity      q = budget / (price x (1/leverage + taker fee))
    fixed_notional  q = value / price
    equity_pct      q = value x equity x leverage / price
    risk_pct        q = value x equity / |price - stop|     (no stop on the right side: skipped)

each capped at the all-equity quantity (margin + fee never exceed the budget). Slippage that
depends on the size (volume, book) is computed for the size at the unslipped price; the size is
then recomputed at the slipped price, so the cost stays within the budget.

The stop is the signal's level (or ``stop_pct`` % from the fill when the config overrides it,
put on the ``price_tick`` grid as the trader's exit manager puts it: up for a long, down for a
short, so never looser than sized; ``take_profit_pct`` levels alike);
1R = |fill - stop| when the stop is on the losing side of the fill, else unknown (R-based
rules -- breakeven, trailing activation, partial targets -- then stay off). The single target
is the signal's level (or ``take_profit_pct`` % from the fill).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from ai_engine.backtest import kernel_codes as kc
from ai_engine.backtest.jit import jit, jit_inline
from ai_engine.backtest.kernel_fills import slipped
from ai_engine.matching import fill_rules

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

commission = jit(fill_rules.commission)
level_on_grid = jit(fill_rules.level_on_grid)


@jit_inline
def size_for(price: float, stop: float, budget: float, equity: float, p: F64) -> float:
    """Quantity to open at ``price`` (0: skip); see the module docstring."""
    per_unit = price * (1.0 / p[kc.P_LEVERAGE] + p[kc.P_FEE_TAKER])
    most = budget / per_unit
    kind = int(p[kc.P_SIZING_KIND])
    value = p[kc.P_SIZING_VALUE]
    if kind == kc.SIZE_ALL_EQUITY:
        return float(most)
    if kind == kc.SIZE_FIXED_NOTIONAL:
        wanted = value / price
    elif kind == kc.SIZE_EQUITY_PCT:
        wanted = value * equity * p[kc.P_LEVERAGE] / price
    else:
        distance = abs(price - stop)
        if math.isnan(distance) or distance <= 0.0:
            return 0.0
        wanted = value * equity / distance
    return float(min(wanted, most))


@jit_inline
def enter(
    st: F64,
    k: int,
    side: float,
    raw: float,
    at_ms: int,
    t: int,
    fine_j: int,
    budget: float,
    ref: float,
    p: F64,
    acct: F64,
    skips: I64,
) -> bool:
    """Open position ``k`` at market price ``raw``; False (and a skip counted) if it cannot."""
    stop = st[k, kc.S_PEND_STOP]
    stop_pct = p[kc.P_STOP_PCT]
    if budget <= 0.0:
        skips[kc.SKIP_NO_CASH] += 1
        return False
    guess_stop = raw * (1.0 - side * stop_pct / 100.0) if not math.isnan(stop_pct) else stop
    if int(p[kc.P_SIZING_KIND]) == kc.SIZE_RISK_PCT and not side * (raw - guess_stop) > 0.0:
        skips[kc.SKIP_NO_STOP] += 1
        return False
    equity = st[k, kc.S_PEND_EQUITY]
    quantity = size_for(raw, guess_stop, budget, equity, p)
    price = slipped(side > 0.0, raw, quantity, ref, p)
    tick = p[kc.P_PRICE_TICK]
    if not math.isnan(stop_pct):
        stop = level_on_grid(price * (1.0 - side * stop_pct / 100.0), tick, side > 0.0)
    quantity = size_for(price, stop, budget, equity, p)
    if not quantity > 0.0:
        skips[kc.SKIP_NO_CASH] += 1
        return False
    notional = quantity * price
    margin = notional / p[kc.P_LEVERAGE]
    fee = commission(notional, p[kc.P_FEE_TAKER])
    acct[kc.A_CASH] -= margin + fee
    acct[kc.A_OPEN] += 1.0
    st[k, kc.S_SIDE] = side
    st[k, kc.S_QTY] = quantity
    st[k, kc.S_QTY0] = quantity
    st[k, kc.S_ENTRY_PX] = price
    st[k, kc.S_ENTRY_RAW] = raw
    st[k, kc.S_ENTRY_T] = at_ms
    st[k, kc.S_ENTRY_BAR] = t
    st[k, kc.S_ENTRY_FINE] = fine_j
    st[k, kc.S_ENTRY_REASON] = st[k, kc.S_PEND_REASON]
    st[k, kc.S_MARGIN] = margin
    st[k, kc.S_FEE_LEFT] = fee
    st[k, kc.S_FUND] = 0.0
    st[k, kc.S_STOP] = stop
    st[k, kc.S_STOP_KIND] = kc.EXIT_STOP
    st[k, kc.S_R] = side * (price - stop) if side * (price - stop) > 0.0 else math.nan
    take_profit_pct = p[kc.P_TAKE_PROFIT_PCT]
    if math.isnan(take_profit_pct):
        st[k, kc.S_TP] = st[k, kc.S_PEND_TP]
    else:
        level = price * (1.0 + side * take_profit_pct / 100.0)
        st[k, kc.S_TP] = level_on_grid(level, tick, side > 0.0)
    st[k, kc.S_TP_NEXT] = 0.0
    trail_after = p[kc.P_TRAIL_AFTER_R]
    st[k, kc.S_TRAIL_ON] = 1.0 if math.isnan(trail_after) or trail_after <= 0.0 else 0.0
    st[k, kc.S_TRAIL_LVL] = math.nan
    st[k, kc.S_BEST] = price
    st[k, kc.S_HELD] = 0.0
    st[k, kc.S_LIQ] = math.nan
    if p[kc.P_FUTURES] > 0.0:
        leverage, mmr = p[kc.P_LEVERAGE], p[kc.P_MMR]
        if side > 0.0:
            liq = price * (1.0 - 1.0 / leverage) / (1.0 - mmr)
            st[k, kc.S_LIQ] = liq if liq > 0.0 else math.nan
        else:
            st[k, kc.S_LIQ] = price * (1.0 + 1.0 / leverage) / (1.0 + mmr)
    return True
