"""Per-bar rules of the kernel's phase D: trailing and breakeven state, and signal decisions.

* ``end_of_bar``: after a bar's close, breakeven (the stop moves to the entry price once the
  best price since entry is ``breakeven_after_r`` R in profit) and trailing (active from the
  entry, or once ``trail_after_r`` R was reached; level = best - side x distance of this bar,
  on the ``price_tick`` grid (a long's up, a short's down: the trader's rounding), only ever
  tightened; it binds from the next bar).
* ``decide``: a bar's signals -> pending orders: the time stop (named first when an exit
  signal comes at the same close: the trader's exit manager decides it before the signal) or
  an exit signal of the position's side; an entry when flat; an opposite entry reverses (exit,
  then entry); a short on spot is skipped and counted. The orders reach the market
  ``latency_ms`` after the close.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from ai_engine.backtest import kernel_codes as kc
from ai_engine.backtest.jit import jit, jit_inline
from ai_engine.matching import fill_rules

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

level_on_grid = jit(fill_rules.level_on_grid)


@jit
def end_of_bar(st: F64, k: int, trail: float, p: F64) -> None:
    """Breakeven and trailing after a bar's close (the best price is already updated)."""
    side = st[k, kc.S_SIDE]
    entry = st[k, kc.S_ENTRY_PX]
    best = st[k, kc.S_BEST]
    r = st[k, kc.S_R]
    gained = side * (best - entry)
    breakeven = p[kc.P_BREAKEVEN_AFTER_R]
    if not math.isnan(breakeven) and r > 0.0 and st[k, kc.S_STOP_KIND] != kc.EXIT_BREAKEVEN:
        stop = st[k, kc.S_STOP]
        if gained >= breakeven * r and (math.isnan(stop) or side * entry > side * stop):
            st[k, kc.S_STOP] = entry
            st[k, kc.S_STOP_KIND] = kc.EXIT_BREAKEVEN
    if st[k, kc.S_TRAIL_ON] == 0.0 and r > 0.0 and gained >= p[kc.P_TRAIL_AFTER_R] * r:
        st[k, kc.S_TRAIL_ON] = 1.0
    if st[k, kc.S_TRAIL_ON] > 0.0 and trail > 0.0:
        level = level_on_grid(best - side * trail, p[kc.P_PRICE_TICK], side > 0.0)
        current = st[k, kc.S_TRAIL_LVL]
        if math.isnan(current) or side * level > side * current:
            st[k, kc.S_TRAIL_LVL] = level


@jit_inline
def decide(
    st: F64,
    k: int,
    time_stop: bool,
    entry_long: bool,
    exit_long: bool,
    entry_short: bool,
    exit_short: bool,
    stop: float,
    take_profit: float,
    priority: float,
    equity: float,
    now_ms: int,
    p: F64,
    skips: I64,
) -> None:
    """Turn bar ``t``'s signals into pending orders for symbol ``k`` (kernel docstring, D)."""
    side = st[k, kc.S_SIDE]
    exit_reason = 0
    if side != 0.0 and time_stop:  # the position's own rule first, as the trader's exits
        exit_reason = kc.EXIT_TIME
    elif (side > 0.0 and exit_long) or (side < 0.0 and exit_short):
        exit_reason = kc.EXIT_SIGNAL
    want = 0.0
    if entry_long and not entry_short:
        want = 1.0
    elif entry_short and not entry_long:
        want = -1.0
    entry_side = 0.0
    entry_reason = kc.ENTRY_SIGNAL
    if want != 0.0:
        if side == -want:
            if exit_reason == 0:
                exit_reason = kc.EXIT_REVERSAL
            entry_side = want
            entry_reason = kc.ENTRY_REVERSAL
        elif side == 0.0 or exit_reason != 0:
            entry_side = want
    if entry_side < 0.0 and p[kc.P_FUTURES] == 0.0:
        skips[kc.SKIP_SHORT_ON_SPOT] += 1
        entry_side = 0.0
    if exit_reason == 0 and entry_side == 0.0:
        return
    st[k, kc.S_PEND_TIME] = now_ms + p[kc.P_LATENCY_MS]
    st[k, kc.S_PEND_EXIT] = exit_reason
    st[k, kc.S_PEND_SIDE] = entry_side
    st[k, kc.S_PEND_REASON] = entry_reason
    st[k, kc.S_PEND_STOP] = stop
    st[k, kc.S_PEND_TP] = take_profit
    st[k, kc.S_PEND_PRIO] = priority if priority == priority else 0.0
    st[k, kc.S_PEND_EQUITY] = equity
