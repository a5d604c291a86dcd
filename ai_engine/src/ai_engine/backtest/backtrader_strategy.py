"""The Backtrader strategy that acts on precomputed signals, and the book of what it did.

``SignalStrategy`` mirrors ``kernel.decide`` for one spot symbol with latency 0: at bar ``i``'s
close (``next``) it marks the equity and turns the signals into a pending decision; at bar
``i + 1``'s open (``next_open``, Backtrader's cheat-on-open) it sends the orders: the market
exit or entry, the entry's stop and take-profit (one OCO group), the end-of-data close. The
broker settings and the reasons for each choice are in ``backtrader_engine``. ``Book`` keeps
the equity per bar, the fills and Backtrader's closed-trade P&L, and turns them into
``Trades`` with the kernel's time stamps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import backtrader as bt  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt

from ai_engine.backtest import kernel_codes as kc
from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.result import Trades
from ai_engine.matching.fill_rules import level_on_grid
from ai_engine.strategies import Signals


@dataclass
class Fill:
    bar: int
    price: float
    size: float
    fee: float
    reason: int


@dataclass
class Book:
    """What the Backtrader strategy records: equity per bar, fills, closed trades."""

    open_time: npt.NDArray[np.int64]
    interval_ms: int
    equity: list[float] = field(default_factory=list)
    rows: list[tuple[Fill, Fill, float, int]] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(kc.SKIP_NAMES, 0))
    topup: float = 0.0

    def time_of(self, fill: Fill) -> int:
        """Fill times as the kernel stamps them: the bar's open; at the end, its close."""
        start = int(self.open_time[fill.bar])
        return start + self.interval_ms if fill.reason == kc.EXIT_END else start

    def trades(self) -> Trades:
        if not self.rows:
            return Trades.empty()
        entries, exits, pnl, sides = zip(*self.rows, strict=True)
        return Trades(
            symbol=np.zeros(len(self.rows), np.int64),
            side=np.array(sides, np.int64),
            entry_time=np.array([self.time_of(f) for f in entries], np.int64),
            exit_time=np.array([self.time_of(f) for f in exits], np.int64),
            entry_price=np.array([f.price for f in entries]),
            exit_price=np.array([f.price for f in exits]),
            quantity=np.array([abs(f.size) for f in entries]),
            entry_fee=np.array([f.fee for f in entries]),
            exit_fee=np.array([f.fee for f in exits]),
            funding=np.zeros(len(self.rows)),
            pnl=np.array(pnl, np.float64),
            entry_reason=np.array([f.reason for f in entries], np.int64),
            exit_reason=np.array([f.reason for f in exits], np.int64),
        )


class SignalStrategy(bt.Strategy):  # type: ignore[misc]
    """Acts on precomputed signals exactly as the kernel does (module docstring)."""

    params = (("signals", None), ("config", None), ("book", None))

    def __init__(self) -> None:
        s: Signals = self.p.signals
        self.cfg: BacktestConfig = self.p.config
        self.book: Book = self.p.book
        self.el, self.xl = np.asarray(s.entries_long), np.asarray(s.exits_long)
        self.es, self.xs = np.asarray(s.entries_short), np.asarray(s.exits_short)
        self.stop_level, self.tp_level = np.asarray(s.stop), np.asarray(s.take_profit)
        self.last_bar = len(s) - 1
        # (exit reason or 0, entry side or 0, stop, take-profit, equity at the decision)
        self.pending: tuple[float, float, float, float, float] | None = None
        self.exits: dict[int, int] = {}  # order ref -> exit reason
        self.entry_ref = -1
        self.entry_fill: Fill | None = None
        self.exit_fill: Fill | None = None
        self.side = 0
        self.book_size = 0.0
        self.tp_px = math.nan
        self.stop_px = math.nan
        self.group: list[Any] = []

    # --- at the open of bar j: execute what bar j - 1 decided -----------------------------
    def next_open(self) -> None:
        j = len(self.data) - 1
        pending, self.pending = self.pending, None
        holding = self.side != 0 and bool(self.position.size)  # after this bar's orders
        if pending is not None:
            exit_reason, entry_side, stop, tp, equity = pending
            if exit_reason and self.position.size:
                self._cancel_group()
                order = self.close(coc=False)
                self.exits[order.ref] = int(exit_reason)
                holding = False
            if entry_side:
                holding = self._enter(entry_side, stop, tp, equity)
        elif holding:
            self._gap_through_target()
        if self.cfg.close_at_end and j == self.last_bar and holding:
            order = (self.buy if self.side < 0 else self.sell)(
                size=self.book_size, coc=True, oco=self.group[0] if self.group else None
            )
            self.exits[order.ref] = kc.EXIT_END
            self.group.append(order)

    def _enter(self, side: float, stop: float, tp: float, equity: float) -> bool:
        """Send the entry with its stop and target; False when it is skipped."""
        raw = float(self.data.open[0])
        e = self.cfg.exits
        if self.cfg.sizing.kind == "risk_pct":
            guess = stop if e.stop_pct is None else raw * (1.0 - side * e.stop_pct / 100.0)
            if not side * (raw - guess) > 0.0:
                self.book.skipped["no_stop_for_risk_sizing"] += 1
                return False
        broker: Any = self.broker
        price = broker._slipped(raw, side)
        if e.stop_pct is not None:
            stop = level_on_grid(
                price * (1.0 - side * e.stop_pct / 100.0), self.cfg.price_tick, side > 0.0
            )
        cash = float(broker.getcash())
        quantity = self._size(price, stop, cash, equity)
        if not quantity > 0.0:
            self.book.skipped["no_cash"] += 1
            return False
        # Backtrader's own arithmetic (opening cost, then commission) must leave cash >= 0:
        # raise the cash by the rounding shortfall, ulp by ulp (module docstring).
        topped = cash
        while (topped - quantity * price) - quantity * price * self.cfg.fee_taker < 0.0:
            topped = math.nextafter(topped, math.inf)
        if topped != cash:
            broker.cash = topped
            self.book.topup += topped - cash
        if e.take_profit_pct is not None:
            level = price * (1.0 + side * e.take_profit_pct / 100.0)
            tp = level_on_grid(level, self.cfg.price_tick, side > 0.0)
        order = (self.buy if side > 0 else self.sell)(size=quantity, coc=False)
        self.entry_ref = order.ref
        self.side, self.book_size, self.stop_px, self.tp_px = int(side), quantity, stop, tp
        self.group = []
        # At the entry bar's open the kernel checks the stop first, then the target.
        stop_at_open = not math.isnan(stop) and side * raw <= side * stop
        gap_tp = not stop_at_open and not math.isnan(tp) and side * raw > side * tp
        close_side = self.sell if side > 0 else self.buy
        if not math.isnan(stop) and not gap_tp:
            o = close_side(size=quantity, exectype=bt.Order.Stop, price=stop)
            self.exits[o.ref] = kc.EXIT_STOP
            self.group.append(o)
        if not math.isnan(tp):
            o = close_side(
                size=quantity,
                exectype=bt.Order.Limit,
                price=tp,
                oco=self.group[0] if self.group else None,
            )
            self.exits[o.ref] = kc.EXIT_TAKE_PROFIT
            self.group.append(o)
        return True

    def _size(self, price: float, stop: float, cash: float, equity: float) -> float:
        """``kernel_entries.size_for`` with leverage 1 and one position slot."""
        most = cash / (price * (1.0 / 1.0 + self.cfg.fee_taker))
        sizing = self.cfg.sizing
        if sizing.kind == "all_equity":
            return most
        if sizing.kind == "fixed_notional":
            wanted = sizing.value / price
        elif sizing.kind == "equity_pct":
            wanted = sizing.value * equity * 1.0 / price
        else:
            distance = abs(price - stop)
            if math.isnan(distance) or distance <= 0.0:
                return 0.0
            wanted = sizing.value * equity / distance
        return min(wanted, most)

    def _gap_through_target(self) -> None:
        """The open is through the take-profit: it fills there first, so the stop goes."""
        raw = float(self.data.open[0])
        if math.isnan(self.tp_px) or not self.side * raw > self.side * self.tp_px:
            return
        if not math.isnan(self.stop_px) and self.side * raw <= self.side * self.stop_px:
            return
        self._cancel_group()
        close_side = self.sell if self.side > 0 else self.buy
        o = close_side(size=self.book_size, exectype=bt.Order.Limit, price=self.tp_px)
        self.exits[o.ref] = kc.EXIT_TAKE_PROFIT
        self.group = [o]

    def _cancel_group(self) -> None:
        for order in self.group:
            if order.alive():
                self.cancel(order)
        self.group = []

    # --- fills -------------------------------------------------------------------------
    def notify_order(self, order: Any) -> None:
        if order.status != order.Completed:
            return
        j = len(self.data) - 1
        ex = order.executed
        # One execution per order: its own price (``executed.price`` is a running average
        # that can differ from it in the last bit).
        price = float(ex.exbits[-1].price) if ex.exbits else float(ex.price)
        if order.ref == self.entry_ref:
            self.entry_fill = Fill(j, price, float(ex.size), float(ex.comm), kc.ENTRY_SIGNAL)
            return
        reason = self.exits.get(order.ref, kc.EXIT_SIGNAL)
        self.exit_fill = Fill(j, price, float(ex.size), float(ex.comm), reason)

    def notify_trade(self, trade: Any) -> None:
        if not trade.isclosed or self.entry_fill is None or self.exit_fill is None:
            return
        side = 1 if self.entry_fill.size > 0 else -1
        self.book.rows.append((self.entry_fill, self.exit_fill, float(trade.pnlcomm), side))
        self.entry_fill = self.exit_fill = None
        self.side = 0
        self.group = []
        self.tp_px = self.stop_px = math.nan

    # --- at the close of bar i: mark equity, decide -------------------------------------
    def next(self) -> None:
        """``kernel.decide`` for a single spot symbol with latency 0."""
        i = len(self.data) - 1
        value = float(self.broker.getvalue())
        self.book.equity.append(value)
        if i >= self.last_bar:
            return
        side = self.side if self.position.size else 0
        exit_reason = 0
        if (side > 0 and bool(self.xl[i])) or (side < 0 and bool(self.xs[i])):
            exit_reason = kc.EXIT_SIGNAL
        want = 0
        if bool(self.el[i]) and not bool(self.es[i]):
            want = 1
        elif bool(self.es[i]) and not bool(self.el[i]):
            want = -1
        entry_side = 0
        if want != 0:
            if side == -want:
                exit_reason = exit_reason or kc.EXIT_REVERSAL
                entry_side = want
            elif side == 0 or exit_reason != 0:
                entry_side = want
        if entry_side < 0:  # spot: no shorts
            self.book.skipped["short_on_spot"] += 1
            entry_side = 0
        if exit_reason == 0 and entry_side == 0:
            return
        stop, tp = float(self.stop_level[i]), float(self.tp_level[i])
        self.pending = (float(exit_reason), float(entry_side), stop, tp, value)
