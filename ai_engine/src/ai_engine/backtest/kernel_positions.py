"""Positions inside the kernel: open one, close all or part of one, scan a bar for its exits.

Accounting (quote currency; one rule for spot and USD-M, spot being leverage 1, long only):

    entry:  notional N = q x p,  margin M = N / leverage,  fee = N x taker rate
            cash -= M + fee
    exit of qx at px:  cash += M x qx/q + side x qx x (px - p) - qx x px x rate
    equity = cash + sum over open positions of (M + side x q x (close - p))

With leverage 1 on spot this is buying ``q`` for ``q x p x (1 + fee)`` and selling it for
``q x px x (1 - fee)``. The fee is charged in quote on the notional (the Decimal sim charges
a buy's commission in the base asset; the value is the same at the fill, the held quantity
differs by ``fee x q``: see docs/backtesting.md).

Liquidation (isolated margin, USD-M): the trigger price is where the position's margin plus
its loss equals the maintenance margin ``mmr x q x price``::

    long:  p x (1 - 1/leverage) / (1 - mmr)        short:  p x (1 + 1/leverage) / (1 + mmr)

and the position is closed at its bankruptcy price ``p x (1 - side / leverage)``: the whole
margin is lost (Binance keeps what the maintenance margin leaves to its insurance fund), no
fee. The bar's extreme (low for a long, high for a short) is the mark price.

The bar scan (``scan``) for a position, in this order:

1. at the open: the liquidation price crossed -> liquidated; the stop crossed (a gap through
   it) -> filled at the OPEN, not at the stop; take-profit limits the open is already
   through -> filled at their limit price (maker), as the sim fills resting orders;
2. inside the bar: the stop (or liquidation) touched (``fill_rules.stop_triggers``) and/or a
   take-profit traded through (``fill_rules.limit_fills``: strictly beyond it). One side
   only: that fill (stop at its level, taker, slipped; targets at their levels, maker, in
   price order). Both: the order is unknown -- the caller walks finer bars when it has
   them, else ``worst`` takes the stop for the whole position (``best``: targets first).

The effective stop is the tighter of the base stop (initial, or the entry price once
breakeven has triggered) and the trailing level; the exit reason names the one that bound.
A stop before the liquidation price (on the adverse path) fills first; otherwise liquidation.
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

limit_fills = jit(fill_rules.limit_fills)
stop_triggers = jit(fill_rules.stop_triggers)
commission = jit(fill_rules.commission)

SCAN_REPORT = 0  # return True on an ambiguous bar, fill nothing inside it
SCAN_WORST = 1
SCAN_BEST = 2


@jit_inline
def close(
    st: F64,
    k: int,
    quantity: float,
    price: float,
    rate: float,
    reason: int,
    at_ms: int,
    whole: bool,
    acct: F64,
    tr_f: F64,
    tr_i: I64,
    count: I64,
) -> None:
    """Close ``quantity`` (all of it when ``whole``) at ``price``; write the trade row."""
    side = st[k, kc.S_SIDE]
    held = st[k, kc.S_QTY]
    if whole or quantity >= held:
        quantity = held
        whole = True
    share = quantity / held
    margin = st[k, kc.S_MARGIN] * share
    entry_fee = st[k, kc.S_FEE_LEFT] * share
    funding = st[k, kc.S_FUND] * share
    gross = side * quantity * (price - st[k, kc.S_ENTRY_PX])
    exit_fee = commission(quantity * price, rate)
    acct[kc.A_CASH] += margin + gross - exit_fee
    n = count[0]
    if n >= tr_f.shape[0]:
        raise RuntimeError("backtest kernel: trade buffer full (engine sized it too small)")
    tr_f[n, kc.T_ENTRY_PX] = st[k, kc.S_ENTRY_PX]
    tr_f[n, kc.T_EXIT_PX] = price
    tr_f[n, kc.T_QTY] = quantity
    tr_f[n, kc.T_ENTRY_FEE] = entry_fee
    tr_f[n, kc.T_EXIT_FEE] = exit_fee
    tr_f[n, kc.T_FUNDING] = funding
    tr_f[n, kc.T_PNL] = gross - entry_fee - exit_fee - funding
    tr_i[n, kc.T_SYMBOL] = k
    tr_i[n, kc.T_SIDE] = int(side)
    tr_i[n, kc.T_ENTRY_T] = int(st[k, kc.S_ENTRY_T])
    tr_i[n, kc.T_EXIT_T] = at_ms
    tr_i[n, kc.T_ENTRY_REASON] = int(st[k, kc.S_ENTRY_REASON])
    tr_i[n, kc.T_EXIT_REASON] = reason
    count[0] = n + 1
    if whole:
        st[k, kc.S_SIDE] = 0.0
        st[k, kc.S_QTY] = 0.0
        st[k, kc.S_MARGIN] = 0.0
        st[k, kc.S_FEE_LEFT] = 0.0
        st[k, kc.S_FUND] = 0.0
        acct[kc.A_OPEN] -= 1.0
    else:
        st[k, kc.S_QTY] = held - quantity
        st[k, kc.S_MARGIN] -= margin
        st[k, kc.S_FEE_LEFT] -= entry_fee
        st[k, kc.S_FUND] -= funding


@jit
def liquidate(
    st: F64, k: int, at_ms: int, p: F64, acct: F64, tr_f: F64, tr_i: I64, count: I64
) -> None:
    """Close the whole position at its bankruptcy price: the margin is lost, no fee."""
    side = st[k, kc.S_SIDE]
    bankrupt = st[k, kc.S_ENTRY_PX] * (1.0 - side / p[kc.P_LEVERAGE])
    close(st, k, 0.0, bankrupt, 0.0, kc.EXIT_LIQUIDATION, at_ms, True, acct, tr_f, tr_i, count)


@jit
def effective_stop(st: F64, k: int) -> tuple[float, int]:
    """(level, exit reason) of the stop that binds now; NaN when there is none."""
    side = st[k, kc.S_SIDE]
    base = st[k, kc.S_STOP]
    trail = st[k, kc.S_TRAIL_LVL]
    kind = int(st[k, kc.S_STOP_KIND])
    if math.isnan(trail):
        return base, kind
    if math.isnan(base) or side * trail >= side * base:
        return trail, kc.EXIT_TRAILING
    return base, kind


@jit
def next_target(st: F64, k: int, tp_r: F64) -> tuple[float, bool]:
    """(level, is a partial level) of the next take-profit; NaN when there is none.

    Partial levels (``tp_r`` R multiples from the entry fill) replace the single target
    when the position has a known R; without R the single target stands."""
    r = st[k, kc.S_R]
    if len(tp_r) > 0 and r > 0.0:
        i = int(st[k, kc.S_TP_NEXT])
        if i >= len(tp_r):
            return math.nan, True
        return st[k, kc.S_ENTRY_PX] + st[k, kc.S_SIDE] * tp_r[i] * r, True
    return st[k, kc.S_TP], False


@jit
def take_target(
    st: F64,
    k: int,
    level: float,
    partial: bool,
    at_ms: int,
    tp_share: F64,
    p: F64,
    acct: F64,
    tr_f: F64,
    tr_i: I64,
    count: I64,
) -> None:
    """Fill the next take-profit at its limit price, as maker."""
    maker = p[kc.P_FEE_MAKER]
    if not partial:
        close(st, k, 0.0, level, maker, kc.EXIT_TAKE_PROFIT, at_ms, True, acct, tr_f, tr_i, count)
        return
    i = int(st[k, kc.S_TP_NEXT])
    st[k, kc.S_TP_NEXT] = i + 1
    quantity = tp_share[i] * st[k, kc.S_QTY0]
    whole = quantity >= st[k, kc.S_QTY] * (1.0 - 1e-12)
    close(st, k, quantity, level, maker, kc.EXIT_PARTIAL, at_ms, whole, acct, tr_f, tr_i, count)


@jit
def stop_out(
    st: F64,
    k: int,
    price: float,
    reason: int,
    at_ms: int,
    ref: float,
    p: F64,
    acct: F64,
    tr_f: F64,
    tr_i: I64,
    count: I64,
) -> None:
    """Close the whole position with a market (stop) order at ``price`` plus slippage."""
    side = st[k, kc.S_SIDE]
    fill = slipped(side < 0, price, st[k, kc.S_QTY], ref, p)
    close(st, k, 0.0, fill, p[kc.P_FEE_TAKER], reason, at_ms, True, acct, tr_f, tr_i, count)


@jit
def adverse_event(
    st: F64,
    k: int,
    at_ms: int,
    ref: float,
    p: F64,
    acct: F64,
    tr_f: F64,
    tr_i: I64,
    count: I64,
) -> None:
    """The bar reached the stop or the liquidation price: whichever comes first on the way."""
    side = st[k, kc.S_SIDE]
    stop, reason = effective_stop(st, k)
    liq = st[k, kc.S_LIQ]
    if not math.isnan(stop) and (math.isnan(liq) or side * stop >= side * liq):
        stop_out(st, k, stop, reason, at_ms, ref, p, acct, tr_f, tr_i, count)
    else:
        liquidate(st, k, at_ms, p, acct, tr_f, tr_i, count)


@jit
def scan(
    st: F64,
    k: int,
    open_: float,
    high: float,
    low: float,
    at_ms: int,
    ref: float,
    mode: int,
    tp_r: F64,
    tp_share: F64,
    p: F64,
    acct: F64,
    tr_f: F64,
    tr_i: I64,
    count: I64,
) -> bool:
    """Apply one bar's exits to position ``k`` (module docstring); True: ambiguous, nothing
    filled inside the bar (only with ``SCAN_REPORT``)."""
    side = st[k, kc.S_SIDE]
    if side == 0.0:
        return False
    long = side > 0.0
    liq = st[k, kc.S_LIQ]
    stop, reason = effective_stop(st, k)
    # 1. the open
    if not math.isnan(liq) and side * open_ <= side * liq:
        liquidate(st, k, at_ms, p, acct, tr_f, tr_i, count)
        return False
    if not math.isnan(stop) and side * open_ <= side * stop:
        stop_out(st, k, open_, reason, at_ms, ref, p, acct, tr_f, tr_i, count)
        return False
    while st[k, kc.S_SIDE] != 0.0:
        level, partial = next_target(st, k, tp_r)
        if math.isnan(level) or not side * open_ > side * level:
            break
        take_target(st, k, level, partial, at_ms, tp_share, p, acct, tr_f, tr_i, count)
    if st[k, kc.S_SIDE] == 0.0:
        return False
    # 2. inside the bar
    down = (not math.isnan(stop) and stop_triggers(not long, stop, low, high)) or (
        not math.isnan(liq) and stop_triggers(not long, liq, low, high)
    )
    level, partial = next_target(st, k, tp_r)
    up = not math.isnan(level) and limit_fills(not long, level, low, high)
    if down and up:
        if mode == SCAN_REPORT:
            return True
        if mode == SCAN_WORST:
            adverse_event(st, k, at_ms, ref, p, acct, tr_f, tr_i, count)
            return False
    elif down:
        adverse_event(st, k, at_ms, ref, p, acct, tr_f, tr_i, count)
        return False
    # targets (alone, or first under SCAN_BEST), then what is left may still be stopped
    while up and st[k, kc.S_SIDE] != 0.0:
        take_target(st, k, level, partial, at_ms, tp_share, p, acct, tr_f, tr_i, count)
        if st[k, kc.S_SIDE] == 0.0:
            break
        level, partial = next_target(st, k, tp_r)
        up = not math.isnan(level) and limit_fills(not long, level, low, high)
    if down and st[k, kc.S_SIDE] != 0.0:
        adverse_event(st, k, at_ms, ref, p, acct, tr_f, tr_i, count)
    return False
