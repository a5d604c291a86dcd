"""The same strategy signals run in Backtrader: an independent check of our kernel.

``run_backtrader(signals, bars, config)`` feeds the bars to a Backtrader ``Cerebro`` and lets
a Backtrader strategy act on the precomputed signal arrays, with broker settings equivalent to
the kernel's (``kernel.py``, ``kernel_positions.py``):

* **timing**: ``cheat_on_open``: the signal of bar ``i`` (decided in ``next`` at its close)
  is sent in ``next_open`` of bar ``i + 1``, as a market order filled at that bar's open;
* **sizing**: the kernel's rules (``kernel_entries.size_for``), computed from the broker's
  cash and the fill price, fractional quantities;
* **commission**: a percentage of the notional, ``|size| x price x rate``; taker on market and
  stop fills, maker on take-profit limits;
* **stops and targets**: a ``Stop`` sell (buy for a short) at the signal's stop level and a
  ``Limit`` at its take-profit, one OCO group, sent with the entry so they are watched from
  the entry bar on. Stops fill at the open on a gap through them, else at the stop (a touch
  triggers). A take-profit fills when the bar trades strictly through it, at its limit price,
  also when the open is already through it (a resting order fills at its price): the project's
  fill rule (``matching.fill_rules``), which ``_Broker`` puts in place of Backtrader's
  (fill at the open on a gap, fill on a touch). When the open is already through the
  take-profit the stop is withdrawn first (the kernel fills that target at the open, before
  anything inside the bar); a stop and a target both touched inside one bar: the stop (the
  ``worst`` intrabar rule);
* **slippage** ``fixed_bps`` on market and stop fills, as the kernel: ``price +- price x bps /
  10^4`` (capped at ``max_bps``);
* **end of data** (``close_at_end``): a position still open closes at the last bar's close
  (``cheat_on_close`` for that one order, in the stop's OCO group).

What cannot be expressed exactly is refused before any work (``BacktestConfigError`` naming
it): latency, leverage and USD-M (funding, liquidation, shorts), slippage kinds other than
``none`` and ``fixed_bps``, the ``best`` intrabar rule, trailing stops, time stops, breakeven
and partial take-profits, portfolios. Spot short entries are skipped (and counted) as the
kernel does; a short signal while long closes the long ("reversal").

The result is built from Backtrader's own records: fill prices, sizes and commissions from the
executed orders, trade P&L from its closed trades (``pnlcomm``), equity from
``broker.getvalue()`` at each bar's close. Entry quantities that use all the cash can exceed
it by a rounding error (``q x p + q x p x fee`` vs ``cash``); Backtrader would refuse such an
order, so the shortfall (a few 1e-12 of the cash) is added to the broker's cash and reported
in ``timings["cash_topup"]``.
"""

from __future__ import annotations

import time as clock
from datetime import UTC, datetime, timedelta
from typing import Any

import backtrader as bt  # type: ignore[import-untyped]
import numpy as np

from ai_engine.backtest.backtrader_strategy import Book, SignalStrategy
from ai_engine.backtest.config import BacktestConfig, BacktestConfigError
from ai_engine.backtest.result import BacktestResult
from ai_engine.marketdata.frames import Bars
from ai_engine.strategies import Signals
from ai_engine.strategies.inputs import infer_interval_ms
from ai_engine.strategies.signals import ExitRules

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def run_backtrader(
    signals: Signals,
    bars: Bars,
    config: BacktestConfig | None = None,
    *,
    symbol: str = "",
    interval_ms: int | None = None,
) -> BacktestResult:
    """Simulate ``signals`` (one value per bar of ``bars``) in Backtrader."""
    config = config or BacktestConfig()
    check_supported(signals, bars, config)
    step = interval_ms if interval_ms is not None else infer_interval_ms(bars.open_time)
    started = clock.perf_counter()
    book = Book(np.asarray(bars.open_time, np.int64), step)
    cerebro = bt.Cerebro(stdstats=False, cheat_on_open=True, preload=True, runonce=True)
    broker = _Broker(coc=True, checksubmit=False, slip_open=True)
    broker.fixed_bps = config.slippage.bps if config.slippage.kind == "fixed_bps" else 0.0
    broker.max_bps = config.slippage.max_bps
    broker.fee_maker = config.fee_maker
    cerebro.broker = broker
    broker.setcash(config.cash)
    broker.addcommissioninfo(_Commission(commission=config.fee_taker))
    cerebro.adddata(_feed(bars))
    cerebro.addstrategy(SignalStrategy, signals=signals, config=config, book=book)
    cerebro.run()
    trades = book.trades()
    return BacktestResult(
        symbols=(symbol,),
        open_time=book.open_time,
        equity=np.asarray(book.equity, np.float64),
        trades=trades,
        config=config,
        interval_ms=step,
        timings={"simulation": clock.perf_counter() - started, "cash_topup": book.topup},
        skipped=book.skipped,
    )


def check_config(config: BacktestConfig) -> None:
    """Refuse a config Backtrader cannot reproduce (module docstring), before any data."""
    config.validate()
    refuse = _refusal(config, trailing=False, rules=False)
    if refuse:
        raise BacktestConfigError(f"the backtrader engine cannot reproduce {refuse}")


def check_supported(signals: Signals, bars: Bars, config: BacktestConfig) -> None:
    """``check_config`` plus what the signals ask for (trailing, time stops ...)."""
    config.validate()
    trailing = bool(np.any(signals.trail > 0))
    refuse = _refusal(config, trailing, _has_rules(signals.exit_rules, config))
    if refuse:
        raise BacktestConfigError(f"the backtrader engine cannot reproduce {refuse}")
    if len(signals) != len(bars):
        raise BacktestConfigError(f"signals have {len(signals)} bars, the data {len(bars)}")
    if len(bars) == 0:
        raise BacktestConfigError("no bars to backtest (empty range?)")
    same_bar = (signals.entries_long & signals.exits_long) | (
        signals.entries_short & signals.exits_short
    )
    if bool(np.any(same_bar)):
        raise BacktestConfigError(
            f"signals that exit and re-enter one side on one bar (bar {int(np.argmax(same_bar))})"
        )


def _refusal(config: BacktestConfig, trailing: bool, rules: bool) -> str:
    e = config.exits
    checks = (
        (config.latency_ms != 0, f"latency ({config.latency_ms} ms); use latency_ms 0"),
        (config.market != "spot", f"market {config.market!r} (funding, liquidation); use spot"),
        (config.leverage != 1, f"leverage {config.leverage}"),
        (
            config.slippage.kind not in ("none", "fixed_bps"),
            f"slippage kind {config.slippage.kind!r}; use none or fixed_bps",
        ),
        (config.intrabar != "worst", f"intrabar {config.intrabar!r}; use worst"),
        (config.max_positions != 1, f"max_positions {config.max_positions}; use 1"),
        (
            trailing or any(v is not None for v in (e.trail_pct, e.trail_atr, e.trail_entry_pct)),
            "trailing stops",
        ),
        (
            rules
            or e.max_hold_bars is not None
            or e.breakeven_after_r is not None
            or bool(e.take_profit_levels),
            "time stops, breakeven or partial take-profits",
        ),
    )
    return next((what for bad, what in checks if bad), "")


def _has_rules(rules: ExitRules, config: BacktestConfig) -> bool:
    e = config.exits
    hold = rules.max_hold_bars if e.max_hold_bars is None else e.max_hold_bars
    even = rules.breakeven_after_r if e.breakeven_after_r is None else e.breakeven_after_r
    levels = rules.take_profit_levels if e.take_profit_levels is None else e.take_profit_levels
    return hold is not None or even is not None or bool(levels)


class _Commission(bt.CommInfoBase):  # type: ignore[misc]
    """A percentage of the notional, in the kernel's order of operations."""

    params = (("stocklike", True), ("commtype", bt.CommInfoBase.COMM_PERC), ("percabs", True))

    def _getcommission(self, size: float, price: float, pseudoexec: bool) -> float:
        return float(abs(size) * price * self.p.commission)


class _Broker(bt.brokers.BackBroker):  # type: ignore[misc]
    """Backtrader's broker with the project's limit-fill rule, maker fee on limit fills and
    the kernel's fixed-bps slippage arithmetic (see the module docstring)."""

    fixed_bps = 0.0
    max_bps = 0.0
    fee_maker = 0.0

    def _try_exec_limit(
        self, order: Any, popen: float, phigh: float, plow: float, plimit: float
    ) -> None:
        through = plow < plimit if order.isbuy() else phigh > plimit
        if not through:
            return
        comminfo = self.getcommissioninfo(order.data)
        taker = comminfo.p.commission
        comminfo.p.commission = self.fee_maker
        try:
            self._execute(order, ago=0, price=plimit)
        finally:
            comminfo.p.commission = taker

    def _slip_up(self, pmax: float, price: float, doslip: bool = True, lim: bool = False) -> float:
        return self._slipped(price, +1.0) if doslip else price

    def _slip_down(
        self, pmin: float, price: float, doslip: bool = True, lim: bool = False
    ) -> float:
        return self._slipped(price, -1.0) if doslip else price

    def _slipped(self, price: float, direction: float) -> float:
        if self.fixed_bps <= 0.0:
            return price
        move = min(price * self.fixed_bps / 10_000.0, price * self.max_bps / 10_000.0)
        return price + direction * move


class _ArrayFeed(bt.feed.DataBase):  # type: ignore[misc]
    """Bars from numpy columns (no pandas): datetime is each bar's open, UTC."""

    params = (("columns", None),)

    def start(self) -> None:
        super().start()
        self._row = 0

    def _load(self) -> bool:
        times, o, h, low, c, v = self.p.columns
        i = self._row
        if i >= len(o):
            return False
        self.lines.datetime[0] = times[i]
        self.lines.open[0] = o[i]
        self.lines.high[0] = h[i]
        self.lines.low[0] = low[i]
        self.lines.close[0] = c[i]
        self.lines.volume[0] = v[i]
        self.lines.openinterest[0] = 0.0
        self._row = i + 1
        return True


def _feed(bars: Bars) -> Any:
    stamps = [
        bt.date2num((_EPOCH + timedelta(milliseconds=int(ms))).replace(tzinfo=None))
        for ms in np.asarray(bars.open_time, np.int64).tolist()
    ]
    prices = (getattr(bars, name) for name in ("open", "high", "low", "close", "volume"))
    columns = (stamps, *(np.asarray(column, np.float64).tolist() for column in prices))
    return _ArrayFeed(columns=columns)
