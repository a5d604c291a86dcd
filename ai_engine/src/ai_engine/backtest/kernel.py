"""The simulation kernel: one numba loop over the bar grid of one or several symbols.

The grid is the sorted union of ``T`` bar open times of ``K`` symbols (one symbol: its own
bars). Per-bar inputs are the symbols' own columns laid end to end (``offsets[k]`` is where
symbol ``k`` starts; one symbol: its arrays as they are, no copy); a cursor per symbol finds
its bar at each grid time (``kernel_inputs`` builds all this from bars and signals).
A signal of bar ``i`` is decided at its close and executed as a market order when it reaches
the market ``latency_ms`` later (``kernel_fills``: latency 0 = the next bar's open). Each bar
``t``, for every symbol that has a bar there (symbols in index order), in this order:

A. **Funding** (USD-M): each funding event was assigned by the engine to the bar whose
   interval holds its time (``kernel_inputs``); at that bar's open, before anything fills,
   every open position pays ``side x quantity x open x rate`` (a positive rate: longs pay,
   shorts receive). Then **due exits**: a pending market exit (signal, reversal, time stop)
   fills at its execution price plus slippage, taker fee.
B. **Due entries**, across symbols in a deterministic order: highest confidence of the
   deciding bar's score (``|score - 50| / 50``) first, ties by symbol index (the engine sorts
   symbols by name). An entry is skipped when ``max_positions`` are open, when the free cash
   cannot pay for it, for a short on spot and, under ``risk_pct`` sizing, without a stop.
C. **Intrabar exits** of every open position (``kernel_positions.scan``): liquidation, stop
   (gap through it: at the open), take-profits, with finer bars walked in order when the bar
   is ambiguous (stop and target both touched) and such bars exist, else ``intrabar`` decides
   (``worst``: the stop). A position entered inside this bar with latency and finer bars is
   scanned from the finer bar it entered in.
D. **Close of the bar**: the best price since entry, breakeven (stop to the entry price once
   the best price is ``breakeven_after_r`` R away), trailing (active from the entry, or once
   ``trail_after_r`` R was reached; level = best - side x trail distance of this bar -- or
   ``trail_entry_pct`` % of the entry fill -- on the ``price_tick`` grid, only ever tightened,
   used from the next bar), the time stop (held ``max_hold_bars`` bars: exit
   at the next execution), the end of data (``close_at_end``: a position still open at a
   symbol's last bar closes at its close, taker fee, slippage). Equity is marked to market.
   Then the signals of this bar: an exit signal of the position's side; an entry when flat;
   an opposite entry reverses (exit, then entry). While a symbol has orders in flight
   (latency), its new signals are ignored. Nothing is decided on a symbol's last bar.

Entry, exit and stop fills are market orders (taker fee, slippage); take-profits are limit
orders (maker fee, no slippage). Quantities are fractional (no lot rounding).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from ai_engine.backtest import kernel_codes as kc
from ai_engine.backtest.jit import jit, jit_inline
from ai_engine.backtest.kernel_entries import enter
from ai_engine.backtest.kernel_fills import along_bar, fine_index, slipped
from ai_engine.backtest.kernel_positions import SCAN_REPORT, close, scan
from ai_engine.backtest.kernel_rules import decide, end_of_bar

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]


@jit_inline
def market_price(
    row: int,
    opened: int,
    at: int,
    o: F64,
    c: F64,
    fine_t: I64,
    fo: F64,
    fc: F64,
    fs: I64,
    fe: I64,
    p: F64,
) -> tuple[float, int]:
    """(price, finer bar index or -1) of a market order reaching bar ``row`` (opened at
    ``opened`` ms) at ``at`` ms."""
    fine_ms = int(p[kc.P_FINE_INTERVAL_MS])
    if fine_ms > 0 and fs[row] < fe[row]:
        if at <= opened:
            return o[row], fs[row]
        j = fine_index(fine_t, fs[row], fe[row], at, fine_ms)
        return along_bar(fo[j], fc[j], fine_t[j], fine_ms, at), j
    return along_bar(o[row], c[row], opened, int(p[kc.P_INTERVAL_MS]), at), -1


@jit
def walk_fine(
    st: F64,
    k: int,
    start: int,
    stop: int,
    first_open: float,
    fine_t: I64,
    fo: F64,
    fh: F64,
    fl: F64,
    ref: float,
    tp_r: F64,
    tp_share: F64,
    p: F64,
    acct: F64,
    tr_f: F64,
    tr_i: I64,
    count: I64,
) -> None:
    """Scan finer bars ``start..stop-1`` in time order until the position is closed."""
    mode = 1 if p[kc.P_WORST] > 0.0 else 2
    for j in range(start, stop):
        if st[k, kc.S_SIDE] == 0.0:
            return
        open_ = first_open if j == start else fo[j]
        high, low, at = fh[j], fl[j], fine_t[j]
        if scan(st, k, open_, high, low, at, ref, SCAN_REPORT,
                tp_r, tp_share, p, acct, tr_f, tr_i, count):  # fmt: skip
            scan(st, k, open_, high, low, at, ref, mode, tp_r, tp_share, p, acct, tr_f, tr_i, count)


@jit
def intrabar(
    st: F64,
    k: int,
    t: int,
    row: int,
    opened: int,
    o: F64,
    h: F64,
    l: F64,  # noqa: E741 - the bar's low
    ref: float,
    fine_t: I64,
    fo: F64,
    fh: F64,
    fl: F64,
    fs: I64,
    fe: I64,
    tp_r: F64,
    tp_share: F64,
    p: F64,
    acct: F64,
    tr_f: F64,
    tr_i: I64,
    count: I64,
) -> None:
    """Phase C for position ``k`` in bar ``t``: the bar, or its finer bars (module docstring)."""
    entry_bar = st[k, kc.S_ENTRY_BAR] == t
    open_ = st[k, kc.S_ENTRY_RAW] if entry_bar else o[row]
    fine_ok = p[kc.P_FINE_INTERVAL_MS] > 0.0 and fs[row] < fe[row]
    start = fs[row] if fine_ok else 0
    if entry_bar and st[k, kc.S_ENTRY_FINE] >= 0.0:
        start = int(st[k, kc.S_ENTRY_FINE])
    stop = fe[row] if fine_ok else 0
    if fine_ok and entry_bar and st[k, kc.S_ENTRY_T] > opened:
        walk_fine(st, k, start, stop, open_, fine_t, fo, fh, fl, ref,
                  tp_r, tp_share, p, acct, tr_f, tr_i, count)  # fmt: skip
        return
    high, low, at = h[row], l[row], opened
    if not scan(st, k, open_, high, low, at, ref, SCAN_REPORT,
                tp_r, tp_share, p, acct, tr_f, tr_i, count):  # fmt: skip
        return
    if fine_ok:
        walk_fine(st, k, start, stop, open_, fine_t, fo, fh, fl, ref,
                  tp_r, tp_share, p, acct, tr_f, tr_i, count)  # fmt: skip
    else:
        mode = 1 if p[kc.P_WORST] > 0.0 else 2
        scan(st, k, open_, high, low, at, ref, mode, tp_r, tp_share, p, acct, tr_f, tr_i, count)


@jit
def simulate(
    time: I64,
    offsets: I64,
    bar_time: I64,
    o: F64,
    h: F64,
    l: F64,  # noqa: E741 - the bar's low, as o/h/c
    c: F64,
    el: Bool,
    xl: Bool,
    es: Bool,
    xs: Bool,
    stop: F64,
    tp: F64,
    trail: F64,
    prio: F64,
    ref: F64,
    fund: F64,
    fine_t: I64,
    fo: F64,
    fh: F64,
    fl: F64,
    fc: F64,
    fs: I64,
    fe: I64,
    tp_r: F64,
    tp_share: F64,
    p: F64,
    equity: F64,
    tr_f: F64,
    tr_i: I64,
    skips: I64,
) -> int:
    """Run the loop of the module docstring; fills ``equity``, the trade buffers and
    ``skips``; returns the number of trade rows written. Optional per-bar inputs may be
    empty: ``stop``/``tp``/``trail`` (none anywhere), ``prio`` (no tie-break needed), ``ref``
    (no slippage reference), ``fund`` (no funding), ``fs``/``fe`` (no finer bars)."""
    n_bars, n_sym = len(time), len(offsets) - 1
    interval = int(p[kc.P_INTERVAL_MS])
    with_ref = ref.shape[0] > 0
    with_levels = stop.shape[0] > 0
    with_prio = prio.shape[0] > 0
    funding = p[kc.P_FUTURES] > 0.0 and fund.shape[0] > 0
    max_positions = p[kc.P_MAX_POSITIONS]
    all_equity = int(p[kc.P_SIZING_KIND]) == kc.SIZE_ALL_EQUITY
    close_at_end = p[kc.P_CLOSE_AT_END] > 0.0
    breakeven = not math.isnan(p[kc.P_BREAKEVEN_AFTER_R])
    entry_trail = p[kc.P_TRAIL_ENTRY_PCT]  # a distance of the entry fill (NaN: per bar)
    trailing = not math.isnan(entry_trail)  # any trailing distance (most strategies have none)
    for value in trail:
        if value > 0.0:
            trailing = True
            break
    hold = p[kc.P_MAX_HOLD_BARS]
    partial_levels = len(tp_r) > 0
    taker = p[kc.P_FEE_TAKER]
    st = np.zeros((n_sym, kc.N_STATE))
    for k in range(n_sym):
        st[k, kc.S_STOP] = math.nan
        st[k, kc.S_TRAIL_LVL] = math.nan
        st[k, kc.S_LAST_CLOSE] = math.nan
    acct = np.zeros(kc.N_ACCOUNT)
    acct[kc.A_CASH] = p[kc.P_CASH]
    count = np.zeros(1, np.int64)
    due = np.zeros(n_sym, np.bool_)
    due_raw = np.zeros(n_sym)
    due_at = np.zeros(n_sym, np.int64)
    due_fine = np.zeros(n_sym, np.int64)
    order = np.zeros(n_sym, np.int64)
    time_stop = np.zeros(n_sym, np.bool_)
    cursor = offsets[:-1].copy()  # each symbol's next bar
    rows = np.zeros(n_sym, np.int64)  # its bar at this grid time, -1 if none
    in_flight = 0  # symbols with pending orders
    for t in range(n_bars):
        bar_end = time[t] + interval
        for k in range(n_sym):
            row = cursor[k]
            if row < offsets[k + 1] and bar_time[row] == time[t]:
                rows[k] = row
                cursor[k] = row + 1
            else:
                rows[k] = -1
        # A. funding, then due exits
        n_due = 0
        if funding and acct[kc.A_OPEN] > 0.0:
            for k in range(n_sym):
                side, row = st[k, kc.S_SIDE], rows[k]
                if side != 0.0 and row >= 0 and fund[row] != 0.0:
                    pay = side * st[k, kc.S_QTY] * o[row] * fund[row]
                    acct[kc.A_CASH] -= pay
                    st[k, kc.S_FUND] += pay
        if in_flight > 0:
            for k in range(n_sym):
                due[k] = False
                pending, row = st[k, kc.S_PEND_TIME], rows[k]
                if pending <= 0.0 or pending >= bar_end or row < 0:
                    continue
                due[k] = True
                n_due += 1
                in_flight -= 1
                at = max(int(pending), time[t])
                raw, j = market_price(row, time[t], at, o, c, fine_t, fo, fc, fs, fe, p)
                due_raw[k], due_at[k], due_fine[k] = raw, at, j
                reason = int(st[k, kc.S_PEND_EXIT])
                side = st[k, kc.S_SIDE]
                if reason != 0 and side != 0.0:
                    r = ref[row] if with_ref else math.nan
                    fill = slipped(side < 0.0, raw, st[k, kc.S_QTY], r, p)
                    close(st, k, 0.0, fill, taker, reason, at, True, acct, tr_f, tr_i, count)
                st[k, kc.S_PEND_EXIT] = 0.0
                st[k, kc.S_PEND_TIME] = 0.0
        # B. due entries, by priority then symbol index
        if n_due > 0:
            n_cand = 0
            for k in range(n_sym):
                if due[k] and st[k, kc.S_PEND_SIDE] != 0.0 and st[k, kc.S_SIDE] == 0.0:
                    i = n_cand
                    while i > 0 and st[order[i - 1], kc.S_PEND_PRIO] < st[k, kc.S_PEND_PRIO]:
                        order[i] = order[i - 1]
                        i -= 1
                    order[i] = k
                    n_cand += 1
            for i in range(n_cand):
                k = order[i]
                side = st[k, kc.S_PEND_SIDE]
                st[k, kc.S_PEND_SIDE] = 0.0
                if acct[kc.A_OPEN] >= max_positions:
                    skips[kc.SKIP_MAX_POSITIONS] += 1
                    continue
                budget = acct[kc.A_CASH]
                if all_equity:
                    budget /= max_positions - acct[kc.A_OPEN]
                r = ref[rows[k]] if with_ref else math.nan
                raw, at, j = due_raw[k], due_at[k], due_fine[k]
                enter(st, k, side, raw, at, t, j, budget, r, p, acct, skips)
            for k in range(n_sym):
                if due[k]:
                    st[k, kc.S_PEND_SIDE] = 0.0  # entries not taken (still in a position)
        # C. intrabar exits
        if acct[kc.A_OPEN] > 0.0:
            for k in range(n_sym):
                row = rows[k]
                if st[k, kc.S_SIDE] == 0.0 or row < 0:
                    continue
                if (
                    math.isnan(st[k, kc.S_STOP])
                    and math.isnan(st[k, kc.S_TRAIL_LVL])
                    and math.isnan(st[k, kc.S_TP])
                    and math.isnan(st[k, kc.S_LIQ])
                    and not (partial_levels and st[k, kc.S_R] > 0.0)
                ):
                    continue  # nothing can fill inside the bar (the common case: signal exits)
                r = ref[row] if with_ref else math.nan
                intrabar(st, k, t, row, time[t], o, h, l, r, fine_t, fo, fh, fl, fs, fe,
                         tp_r, tp_share, p, acct, tr_f, tr_i, count)  # fmt: skip
        # D. close of the bar: the position's state, the end of data, equity, the signals
        for k in range(n_sym):
            time_stop[k] = False
            row = rows[k]
            if row < 0:
                continue
            st[k, kc.S_LAST_CLOSE] = c[row]
            side = st[k, kc.S_SIDE]
            if side == 0.0:
                continue
            if close_at_end and row == offsets[k + 1] - 1:
                r = ref[row] if with_ref else math.nan
                fill = slipped(side < 0.0, c[row], st[k, kc.S_QTY], r, p)
                close(st, k, 0.0, fill, taker, kc.EXIT_END, bar_end, True, acct, tr_f, tr_i, count)
                continue
            # the best price since entry: the rules that read it are monotone in it, so they
            # are only evaluated on the bars where they can act
            if side > 0.0:
                st[k, kc.S_BEST] = max(st[k, kc.S_BEST], h[row])
            else:
                st[k, kc.S_BEST] = min(st[k, kc.S_BEST], l[row])
            distance = math.nan
            if trailing:
                distance = (
                    trail[row]
                    if math.isnan(entry_trail)
                    else st[k, kc.S_ENTRY_PX] * entry_trail / 100.0
                )
            if breakeven or (trailing and distance > 0.0):
                end_of_bar(st, k, distance, p)
            st[k, kc.S_HELD] += 1.0
            time_stop[k] = hold > 0.0 and st[k, kc.S_HELD] >= hold
        value = acct[kc.A_CASH]
        if acct[kc.A_OPEN] > 0.0:
            for k in range(n_sym):
                side = st[k, kc.S_SIDE]
                if side != 0.0:
                    move = st[k, kc.S_LAST_CLOSE] - st[k, kc.S_ENTRY_PX]
                    value += st[k, kc.S_MARGIN] + side * st[k, kc.S_QTY] * move
        equity[t] = value
        for k in range(n_sym):
            row = rows[k]
            if row < 0 or row == offsets[k + 1] - 1:
                continue  # no bar here, or the last one (no next bar to execute in)
            if not (el[row] or xl[row] or es[row] or xs[row] or time_stop[k]):
                continue
            if st[k, kc.S_PEND_TIME] > 0.0:
                continue  # orders in flight: new signals wait
            priority = prio[row] if with_prio else 0.0
            level = stop[row] if with_levels else math.nan
            target = tp[row] if with_levels else math.nan
            decide(st, k, time_stop[k], el[row], xl[row], es[row], xs[row], level, target,
                   priority, value, bar_end, p, skips)  # fmt: skip
            if st[k, kc.S_PEND_TIME] > 0.0:
                in_flight += 1
    return int(count[0])
