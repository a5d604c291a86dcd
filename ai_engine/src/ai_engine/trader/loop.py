"""The trader loop of one bot (one symbol, market orders; spot, or a USD-M perpetual).

For every bar that closes (``feed``): mark the equity at its close, evaluate the strategy on
the rolling window (``strategies.live.latest``: the same code as a backtest), and on a signal
that changes the position:

1. size it (spot, all equity, as the backtest's ``all_equity`` sizing:
   ``qty = quote / (close x (1 + fee))``, floored to the lot step; an exit sells the whole base
   balance, floored to the lot step);
2. run the risk pre-check (``risk.check_order``; a refusal is recorded as a ``rejected``
   decision and nothing is sent);
3. mint the deterministic client order id (``execution.client_ids``: bot, signal bar, symbol,
   purpose);
4. persist the intent (``intents.persist_intent``: order ``initialized`` + decision), and only
   then enqueue it (``submit``: Celery ``orders`` queue) and wait for the worker's answer;
5. read the fills the worker recorded and book them (``holdings``).

The loop waits for the order's outcome before it moves the clock on (the feed's docstring says
why). When the replay reaches the end of the data an open position is closed at the last bar
(purpose FLATTEN, as the backtest's ``close_at_end``); the last bar's own signal is not traded
(there is no next bar to execute it in, in the backtest either).

**USD-M** (``config.market == "usdm"``, books ``positions_usdm.UsdmBook``): the position is
signed; the bar's four flags make the orders of ``usdm.decide`` (long and short entries, their
exits, reversals as exit-then-entry), an entry is sized by ``usdm.entry_quantity`` (margin at
``config.leverage``, which the composition root set at the venue before the first order) and
every exit is reduce-only. Funding the venue charged is read through ``funding`` (the
composition root's hook: the venue's income history) whenever a bar opens a new hour (funding
falls on the hour) and booked in the books (``UsdmBook.book_funding``).

With a ``supervisor`` (``trader/supervisor.py``: bot configs, ``tradingbot run --config``) the
loop also: checks the bot's control commands before every bar and carries out their actions
(cancel all, flatten) under the supervisor's lock, which the heartbeat takes too; trades
entries only while the bot is running and the breaker allows them (exits always); publishes the
bar, signal, risk verdict, order, fills, position and equity events; reports venue errors of
the feed (retrying the step after ``retry_s``) instead of crashing; and ends at ``end_ms`` or on
a ``stop``. Without one it behaves as before (the one-off replay and its parity tests).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import httpx

from ai_engine.domain import OrderSide, Price, Quantity, from_epoch_ms
from ai_engine.domain.enums import PositionSide
from ai_engine.domain.errors import RetryableError
from ai_engine.domain.instruments import Instrument
from ai_engine.execution.client_ids import Purpose, mint_client_order_id
from ai_engine.risk import RiskLimits
from ai_engine.risk.history import RiskHistory, needs_history, with_history
from ai_engine.risk.intent import OrderIntent
from ai_engine.risk.pre_trade import check_order
from ai_engine.risk.state import OpenPosition, RiskState
from ai_engine.store.risk_history import ENTRY_PURPOSES, read_history
from ai_engine.strategies import MarketInput, get
from ai_engine.strategies.live import reading as live_reading
from ai_engine.trader import intents, usdm
from ai_engine.trader.control import Actions, BotState
from ai_engine.trader.exits import (
    ExitDesk,
    ExitRunner,
    ExitWiring,
    average_true_range,
    exit_quantity,
)
from ai_engine.trader.feed import BarFeed, BarWindow, FeedError, Kline, Step, klines_to_bars
from ai_engine.trader.flash_crash import FlashRule, bar_move
from ai_engine.trader.holdings import Holdings, OrderFills
from ai_engine.trader.model_input import for_strategy as model_input_for
from ai_engine.trader.positions_usdm import UsdmBook
from ai_engine.trader.records import Recorder
from ai_engine.trader.supervisor import Supervisor

ZERO = Decimal(0)
Submit = Callable[[str], Awaitable[Mapping[str, Any]]]  # client id -> the worker's answer
SessionFactory = Callable[[], Any]
CancelAll = Callable[[], Awaitable[Any]]  # cancel the bot's open orders at the venue
# Reconciliation hook: (records agree with the venue, mismatches in words). The full
# reconciliation (open orders, orders by client id, positions) is ``trader/reconcile.py``;
# until it is wired, the replay passes a balance check (``replay.balances_agree``).
ReconcileHook = Callable[[], Awaitable[tuple[bool, list[str]]]]
FundingHook = Callable[[], Awaitable[list[Decimal]]]  # USD-M: funding booked since last asked
Books = Holdings | UsdmBook
HOUR_MS = 3_600_000


@dataclass(frozen=True)
class TraderConfig:
    bot_id: str
    run_id: str
    strategy: str
    params: Mapping[str, object]
    interval_ms: int
    fee_rate: Decimal
    risk_profile: str
    limits: RiskLimits
    close_at_end: bool = True
    order_key: str | None = None  # the bot id in client order ids (None: ``bot_id``)
    fraction: Decimal = Decimal(1)  # share of the quote balance an entry spends
    end_ms: int | None = None  # bars opening at or after this are not traded (replay --end)
    retry_s: float = 1.0  # wait before stepping again after a venue error (supervised)
    interval: str = ""  # the bars' interval as named (events)
    reconcile_every_bars: int = 60  # supervised: reconcile on start and every this many bars
    book_events: bool = False  # supervised: a ``book`` event (top 20 levels) after each step
    models_root: Path | None = None  # the model registry: its promoted model (model_input.py)
    # Bars (and equity points) held in memory: 0 keeps every one (a replay's JSON needs them);
    # a live run keeps this many (at least the strategy's window), so a bot running for weeks
    # does not grow by every bar it saw (its equity is in PostgreSQL, ``records``).
    keep_bars: int = 0
    market: str = "spot"  # spot | usdm (module docstring)
    leverage: int = 1  # usdm: the leverage the entries are sized with

    @property
    def id_key(self) -> str:
        return self.order_key or self.bot_id


@dataclass
class TraderRun:
    """What the loop saw and did: bars, equity at each bar's close, orders, round trips."""

    bars: list[Kline] = field(default_factory=list)
    equity: list[Decimal] = field(default_factory=list)
    orders: list[tuple[str, str]] = field(default_factory=list)  # (client id, final status)
    refusals: int = 0
    stopped_by: str = ""  # the control command or condition that ended the loop early
    dropped: int = 0  # oldest bars (and their equity) let go (``TraderConfig.keep_bars``)

    @property
    def seen(self) -> int:
        """Bars seen in all, the ones let go included."""
        return self.dropped + len(self.bars)

    def keep_last(self, keep: int) -> None:
        """Let go of all but the last ``keep`` bars and equity points (in one cut, once they
        reach twice that: the strategy's window is rebuilt once per cut)."""
        if keep > 0 and len(self.bars) >= 2 * keep:
            cut = len(self.bars) - keep
            del self.bars[:cut], self.equity[:cut]
            self.dropped += cut


class Trader:
    def __init__(
        self,
        config: TraderConfig,
        *,
        feed: BarFeed,
        instrument: Instrument,
        instrument_row: int,
        sessions: SessionFactory,
        submit: Submit,
        holdings: Books,
        supervisor: Supervisor | None = None,
        cancel_all: CancelAll | None = None,
        recorder: Recorder | None = None,
        reconcile: ReconcileHook | None = None,
        exits: ExitWiring | None = None,
        funding: FundingHook | None = None,
    ) -> None:
        self.config, self.feed, self.instrument = config, feed, instrument
        self.instrument_row, self.sessions, self.submit = instrument_row, sessions, submit
        self.holdings, self.supervisor, self.cancel_all = holdings, supervisor, cancel_all
        self.symbol = instrument.id.symbol
        self.recorder, self.reconcile = recorder, reconcile
        self.exit_wiring = exits  # the exit manager's plan and ports (trader/exits.py)
        self.funding = funding
        self.exits: ExitRunner | None = None  # set when the loop starts
        self.flash: FlashRule | None = None  # replay's flash-crash rule at bar close
        self.peak_equity = holdings.quote
        self._reconciled_at: int | None = None
        self._record_read: tuple[int, date] | None = None  # (round trips, UTC day) of the read
        self._record = RiskHistory()  # the bot's record as the breaker last read it
        self._reported_day: date | None = None  # the UTC day of the last bar reported
        self.shared_supervisor = False  # True: started and finished by ``run_traders``
        self.strategy = get(config.strategy)
        self.params = self.strategy.params(config.params)
        self.lookback = self.strategy.lookback(self.params)
        self._window = BarWindow(self.lookback)  # the strategy's bars as columns
        # The served model's P(up) (``model_prob``) for strategies that read it; loaded now.
        self.model = model_input_for(
            config.strategy, self.params, config.models_root, config.interval_ms
        )
        self.starting_equity = holdings.quote
        self.run_state = TraderRun()

    async def run(self) -> TraderRun:
        sup = self.supervisor
        if sup is None or self.shared_supervisor:
            return await self._run()
        await sup.start(self._carry_out)
        try:
            run = await self._run()
        except BaseException:
            await sup.finish(BotState.HALTED, "the trader loop failed")
            raise
        await sup.finish(BotState.STOPPED, run.stopped_by or "end of data")
        return run

    async def _run(self) -> TraderRun:
        try:
            return await self._trade()
        finally:
            self.feed.leave()  # a shared clock does not wait for an ended trader

    async def _trade(self) -> TraderRun:
        await self.start_exits()
        step = await self._next(first=True)
        await self._add(step.bars)
        while not step.at_end and not self._ended:
            if self.supervisor is None:
                await self._on_bar()
            else:
                async with self.supervisor.lock:
                    await self._reconcile_due()
                    await self.supervisor.dispatch(await self.supervisor.poll())
                    if not self._ended:
                        await self._on_bar()
            if self._ended:
                break
            step = await self._next(first=False)
            await self._add(step.bars)
        if self.config.close_at_end and self.run_state.bars and not self._ended:
            await self._flatten()
        if self.recorder is not None and self.run_state.bars:
            last = self.run_state.bars[-1]
            self._snapshot(last, force=True)
        return self.run_state

    def _snapshot(self, bar: Kline, *, force: bool = False) -> None:
        assert self.recorder is not None
        close = Decimal(repr(bar.close))
        self.recorder.equity(
            from_epoch_ms(bar.open_time + self.config.interval_ms),
            self.holdings.equity(close), self.holdings.quote, self._unrealised(close),
            self.peak_equity, force=force,
        )  # fmt: skip

    async def _reconcile_due(self) -> None:
        every = self.config.reconcile_every_bars
        if self.reconcile is None or self.supervisor is None or every <= 0:
            return
        seen = self.run_state.seen
        if self._reconciled_at is not None and seen - self._reconciled_at < every:
            return
        self._reconciled_at = seen
        if self.exits is not None and self.run_state.bars:  # book what the venue filled first
            last = self.run_state.bars[-1]
            await self.exits.poll(from_epoch_ms(last.open_time + self.config.interval_ms))
        ok, mismatches = await self.reconcile()
        await self.supervisor.reconciled(ok, mismatches)

    @property
    def _ended(self) -> bool:
        return bool(self.run_state.stopped_by)

    async def _next(self, *, first: bool) -> Step:
        """The feed's next step; with a supervisor, venue errors are reported and retried."""
        while True:
            try:
                step = await (self.feed.history() if first else self.feed.step())
            except (FeedError, httpx.HTTPError) as exc:
                if self.supervisor is None:
                    raise
                await self.supervisor.venue_error("feed", str(exc)[:200], "klines")
                await asyncio.sleep(self.config.retry_s)
                continue
            end = self.config.end_ms
            if end is not None and any(b.open_time >= end for b in step.bars):
                bars = [b for b in step.bars if b.open_time < end]
                return Step(bars, True, step.now_ms)
            return step

    @staticmethod
    def carry_out_for_all(traders: list[Trader]) -> Callable[[Actions], Awaitable[None]]:
        """A control command's actions for every symbol's trader of one bot."""

        async def carry_out(actions: Actions) -> None:
            for trader in traders:
                await trader._carry_out(actions)

        return carry_out

    async def _carry_out(self, actions: Actions) -> None:
        """A control command's actions (the supervisor's lock is held)."""
        if actions.cancel_all and self.cancel_all is not None:
            await self.cancel_all()
        if actions.flatten:
            await self._flatten(reason="emergency_stop" if actions.halt_breaker else "manual")
        if actions.end_loop and self.supervisor is not None:
            self.run_state.stopped_by = self.supervisor.status.reason

    async def _book_funding(self) -> None:
        """USD-M: the funding the venue booked since the last call into the books. Supervised,
        a venue error is reported and the payments are picked up by the next call."""
        if self.funding is None or not isinstance(self.holdings, UsdmBook):
            return
        try:
            incomes = await self.funding()
        except (RetryableError, httpx.HTTPError) as exc:
            if self.supervisor is None:
                raise
            await self.supervisor.venue_error("funding", str(exc)[:200], "income")
            return
        for income in incomes:
            self.holdings.book_funding(income)

    async def _add(self, bars: list[Kline]) -> None:
        seen = self.run_state.bars
        if bars and (not seen or bars[-1].open_time // HOUR_MS != seen[-1].open_time // HOUR_MS):
            await self._book_funding()  # funding falls on the hour
        for bar in bars:
            self.run_state.bars.append(bar)
            equity = self.holdings.equity(Decimal(repr(bar.close)))
            self.run_state.equity.append(equity)
            self.peak_equity = max(self.peak_equity, equity)
        if self.config.keep_bars:
            keep = max(self.config.keep_bars, self.lookback + 1)
            self.run_state.keep_last(keep)
            if self.model is not None:
                self.model.keep_last(keep)
        if self.supervisor is not None and bars:
            await self._report_bars(bars)

    async def _report_bars(self, bars: list[Kline]) -> None:
        sup = self.supervisor
        assert sup is not None
        for bar in bars:
            ts = from_epoch_ms(bar.open_time + self.config.interval_ms)
            data = {"interval": self.config.interval, "open_time": bar.open_time,
                    "open": repr(bar.open), "high": repr(bar.high), "low": repr(bar.low),
                    "close": repr(bar.close), "volume": repr(bar.volume)}  # fmt: skip
            await sup.bar_seen(self.symbol, data, ts)
        last = bars[-1]
        close = Decimal(repr(last.close))
        ts = from_epoch_ms(last.open_time + self.config.interval_ms)
        day, before = ts.date(), self._reported_day
        if before is not None and day != before:
            await sup.day_started(new_week=day.isocalendar()[:2] != before.isocalendar()[:2])
        self._reported_day = day
        state = self._breaker_state(close, ts)
        await sup.account(state)
        unrealised = self._unrealised(close)
        realised = sum((t.pnl for t in self.holdings.trips), Decimal(0))
        peak = self.peak_equity
        drawdown = (peak - state.equity) / peak * 100 if peak > 0 else Decimal(0)
        await sup.emit(
            "equity",
            {"equity": state.equity, "realized_pnl": realised, "unrealized_pnl": unrealised,
             "drawdown_pct": drawdown},
            symbol=self.symbol, ts=ts,
        )  # fmt: skip
        if self.holdings.open_entry is not None:
            await self._report_position(close, ts)
        if self.recorder is not None:
            self._snapshot(last)
        if self.config.book_events:
            try:
                book = await self.feed.depth(20)
            except (FeedError, httpx.HTTPError) as exc:
                await sup.venue_error("depth", str(exc)[:200], "depth")
            else:
                await sup.emit("book", book, symbol=self.symbol, ts=ts)

    def _unrealised(self, close: Decimal) -> Decimal:
        if isinstance(self.holdings, UsdmBook):
            return self.holdings.unrealised(close)
        entry = self.holdings.open_entry
        if entry is None:
            return Decimal(0)
        return (close - entry.avg_price) * self.holdings.base

    async def _report_position(self, close: Decimal, ts: Any) -> None:
        assert self.supervisor is not None
        entry = self.holdings.open_entry
        await self.supervisor.emit(
            "position",
            {"side": {1: "long", -1: "short", 0: "flat"}[self._side()],
             "quantity": abs(self.holdings.base),
             "entry_price": entry.avg_price if entry is not None else None, "mark_price": close,
             "unrealized_pnl": self._unrealised(close),
             "stop_price": self.exits.stop_price if self.exits is not None else None,
             "take_profit": self.exits.take_profit if self.exits is not None else None},
            symbol=self.symbol, ts=ts,
        )  # fmt: skip

    async def _on_bar(self) -> None:
        bars = self.run_state.bars
        if not bars:
            return
        window = MarketInput.from_bars(self._window.of(bars), self.config.interval_ms)
        if self.model is not None:
            window = self.model.attach(window, bars)
        # The strategy's own long entry/exit flags, not the collapsed action: a BUY that covers
        # a short is no long entry. The backtest reads the flags (parity: docs/execution.md).
        signals = self.strategy.run(window, self.params)
        reading = live_reading(signals, window, len(window) - 1)
        enter_long, exit_long = bool(signals.entries_long[-1]), bool(signals.exits_long[-1])
        last = bars[-1]
        close = Decimal(repr(last.close))
        step = self.instrument.lot_step
        if self.supervisor is not None:
            await self._report_signal(reading, last)
        if self.exits is not None:
            await self._exits_bar(last)
        if self.flash is not None and self._side() != 0:  # trader/flash_crash.py: replay's
            high, low = Decimal(repr(last.high)), Decimal(repr(last.low))  # rule, either side
            move = bar_move(high, low, self._side(), self.flash)
            if move is not None:
                if self.supervisor is not None:
                    await self.supervisor.price_move(self.symbol, move, self.flash.window)
                await self.flash_exit()
                return
        if self.config.market == "usdm":
            flags = (signals.entries_short, signals.exits_short)
            decision = usdm.decide(self._side(), enter_long, exit_long,
                                   bool(flags[0][-1]), bool(flags[1][-1]))  # fmt: skip
            await self._trade_usdm(decision, last, close, reading)
            return
        if enter_long and self.holdings.open_entry is None:
            if self.supervisor is not None and not self.supervisor.entries_allowed():
                await self._entry_blocked(last)
                return
            spend = self.holdings.quote * self.config.fraction
            budget = spend / (close * (1 + self.config.fee_rate))
            await self._order(OrderSide.BUY, _floor(budget, step), last, Purpose.ENTRY, reading)
        elif exit_long and self.holdings.open_entry is not None and self.exits is not None:
            # The exit manager closes it (its reversal rule), cancelling its stop first.
            score = None if reading.score is None else Decimal(repr(reading.score))
            ts = from_epoch_ms(last.open_time + self.config.interval_ms)
            await self.exits.on_signal(score=score, ts=ts)
        elif exit_long and self.holdings.open_entry is not None:
            await self._order(
                OrderSide.SELL, _floor(self.holdings.base, step), last, Purpose.EXIT, reading
            )

    def _side(self) -> int:
        """The open position's side: 1 long, -1 short, 0 flat."""
        if self.holdings.open_entry is None or self.holdings.base == 0:
            return 0
        return 1 if self.holdings.base > 0 else -1

    async def _trade_usdm(
        self, decision: usdm.Decision, last: Kline, close: Decimal, reading: Any
    ) -> None:
        """A USD-M bar's orders: the reduce-only exit first, then the entry (module docstring)."""
        side = self._side()
        if decision.close and side:
            await self._book_funding()  # what the position paid goes into its round trip
        if decision.close and side and self.exits is not None:
            score = None if reading.score is None else Decimal(repr(reading.score))
            ts = from_epoch_ms(last.open_time + self.config.interval_ms)
            await self.exits.on_signal(score=score, ts=ts)
        elif decision.close and side:
            await self._order(
                OrderSide.SELL if side > 0 else OrderSide.BUY, abs(self.holdings.base), last,
                Purpose.EXIT, reading, reduce_only=True,
            )  # fmt: skip
        if decision.enter == 0 or self._side() != 0:
            return
        if self.supervisor is not None and not self.supervisor.entries_allowed():
            await self._entry_blocked(last)
            return
        cfg = self.config
        qty = usdm.entry_quantity(self.holdings.quote * cfg.fraction, close, cfg.leverage,
                                  cfg.fee_rate, self.instrument.lot_step)  # fmt: skip
        side_of = OrderSide.BUY if decision.enter > 0 else OrderSide.SELL
        await self._order(side_of, qty, last, Purpose.ENTRY, reading)

    async def _report_signal(self, reading: Any, bar: Kline) -> None:
        assert self.supervisor is not None
        ts = from_epoch_ms(bar.open_time + self.config.interval_ms)
        if self.recorder is not None:
            self.recorder.signal(str(reading.action), reading.score, list(reading.reasons), ts)
        await self.supervisor.emit(
            "signal",
            {"action": str(reading.action).upper(), "strategy": self.config.strategy,
             "score": reading.score, "reasons": list(reading.reasons)},
            symbol=self.symbol, ts=from_epoch_ms(bar.open_time + self.config.interval_ms),
        )  # fmt: skip

    async def _entry_blocked(self, bar: Kline) -> None:
        """A buy signal while paused or halted: recorded as a refusal, nothing sent."""
        assert self.supervisor is not None
        state, reason = self.supervisor.status.state, self.supervisor.status.reason
        halts = self.supervisor.active_halts()
        why = "; ".join(halts) if halts else f"bot {state.value}: {reason}"
        decided_at = from_epoch_ms(bar.open_time + self.config.interval_ms)
        self._refused(decided_at, {"purpose": "entry", "reason": "signal", "blocked": why})
        await self.supervisor.emit(
            "risk", {"approved": False, "check": "bot_state", "reasons": [why]},
            symbol=self.symbol, ts=decided_at,
        )  # fmt: skip

    async def flash_exit(self) -> None:
        """A flash crash (``trader.flash_crash``): the open position closed at market now (a
        long sold; a USD-M short bought back, reduce-only), exit reason ``flash_crash``. The
        caller holds the supervisor's lock."""
        await self._flatten(reason="flash_crash")

    async def _flatten(self, reason: str = "end_of_data") -> None:
        if self.holdings.open_entry is None:
            return
        last = self.run_state.bars[-1]
        purpose = Purpose.FLASH_EXIT if reason == "flash_crash" else Purpose.FLATTEN
        if self.exits is not None:  # its resting exits go first (they lock the base)
            await self.exits.release()
            if self.holdings.open_entry is None:  # the stop filled before it was canceled
                return
        if isinstance(self.holdings, UsdmBook):  # the signed position, reduce-only
            await self._book_funding()
            side = OrderSide.SELL if self.holdings.base > 0 else OrderSide.BUY
            await self._order(side, abs(self.holdings.base), last, purpose, None,
                              reason=reason, reduce_only=True)  # fmt: skip
        else:
            qty = _floor(self.holdings.base, self.instrument.lot_step)
            await self._order(OrderSide.SELL, qty, last, purpose, None, reason=reason)
        self.run_state.equity[-1] = self.holdings.equity(Decimal(repr(last.close)))

    async def _order(
        self, side: OrderSide, qty: Decimal, bar: Kline, purpose: Purpose, reading: Any,
        reason: str = "signal", *, reduce_only: bool = False,
    ) -> None:  # fmt: skip
        cfg, inst = self.config, self.instrument
        close = Decimal(repr(bar.close))
        decided_at = from_epoch_ms(bar.open_time + cfg.interval_ms)
        why: dict[str, Any] = {"purpose": purpose.name.lower(), "reason": reason}
        if reading is not None:
            why["signal"] = {"action": str(reading.action), "reasons": list(reading.reasons)}
        small = qty * close < inst.min_notional and not reduce_only  # venues exempt reductions
        if qty < inst.min_quantity or qty <= 0 or small:
            why["skipped"] = f"quantity {qty} below the venue's minimum"
            self._refused(decided_at, why)
            return
        stop = target = None  # an entry's stop and take profit (the exit manager's plan)
        if self.exits is not None and purpose is Purpose.ENTRY:
            sign = 1 if side is OrderSide.BUY else -1  # a short's stop is above its entry
            stop = self.exits.planned_stop(close, self._atr(), sign)
            target = self.exits.planned_target(close, self._atr(), sign)
            if stop is not None:
                why["protective_stop"] = str(stop)
        verdict = check_order(
            OrderIntent(
                symbol=inst.id.symbol, side=side, quantity=Quantity(qty), price=Price(close),
                entry_fee_rate=cfg.fee_rate, exit_fee_rate=cfg.fee_rate,
                stop_price=Price(stop) if stop is not None else None,
                target_price=Price(target) if target is not None else None,
                leverage=Decimal(cfg.leverage), reduce_only=reduce_only,
            ),
            self._checked_state(close, purpose, decided_at),
            cfg.limits,
            decided_at,
        )  # fmt: skip
        why["pre_check"] = verdict.summary()
        if self.supervisor is not None:
            await self.supervisor.emit(
                "risk",
                {"approved": verdict.approved, "check": "pre_trade",
                 "reasons": [str(r) for r in verdict.refusals] or [verdict.summary()]},
                symbol=inst.id.symbol, ts=decided_at,
            )  # fmt: skip
        if not verdict.approved:
            self._refused(decided_at, why)
            return
        client_id = mint_client_order_id(
            bot_id=cfg.id_key,
            bar_time=from_epoch_ms(bar.open_time),
            symbol=inst.id.symbol,
            purpose=purpose,
        )
        intent = intents.Intent(
            client_order_id=client_id, bot_id=cfg.bot_id, run_id=cfg.run_id, side=side.value,
            quantity=qty, reference_price=close, fee_rate=cfg.fee_rate,
            risk_profile=cfg.risk_profile, decided_at=decided_at, purpose=purpose.name.lower(),
            reason=reason, starting_equity=self.starting_equity, why=why, protective_stop=stop,
            target=target, reduce_only=reduce_only, leverage=cfg.leverage,
        )  # fmt: skip
        with self.sessions() as session:  # one statement: the order path's latency budget
            # False: the id has a row already (a restart re-seeing a bar it traded)
            sent = not intents.persist_intent(session, self.instrument_row, intent)
        if sent:
            self._refused(decided_at, {**why, "skipped": f"{client_id} already sent"})
            return
        queued_at = time.time()  # the order event's latency times (docs/events.md)
        answer = await self.submit(client_id)  # enqueued only after the commit above
        with self.sessions() as session:
            status, fills = intents.order_fills(session, client_id, reason)
        self.run_state.orders.append((client_id, status))
        self.holdings.apply(fills)
        if self.recorder is not None:
            self.recorder.after_order(self.holdings)
        if self.supervisor is not None:
            times = _order_times(queued_at, answer)
            await self._report_order(intent, status, fills, close, decided_at, times)
        if self.exits is not None and purpose is Purpose.ENTRY and fills.fills:
            await self._entry_filled(fills, bar)
            if self.supervisor is not None:  # the position again, with its stop now
                await self._report_position(close, decided_at)

    async def _report_order(
        self, intent: intents.Intent, status: str, fills: OrderFills, close: Decimal, ts: Any,
        times: Mapping[str, float] | None = None,
    ) -> None:  # fmt: skip
        sup = self.supervisor
        assert sup is not None
        symbol = self.symbol
        await sup.emit(
            "order",
            {"client_order_id": intent.client_order_id, "side": intent.side,
             "type": intent.order_type,
             "status": status, "quantity": intent.quantity, "price": intent.limit_price,
             "stop_price": intent.stop_price,
             "purpose": intent.purpose, "reason": intent.reason, **(times or {})},
            symbol=symbol, ts=ts,
        )  # fmt: skip
        for i, f in enumerate(fills.fills):
            await sup.emit(
                "fill",
                {"client_order_id": intent.client_order_id, "trade_id": f"{i}", "side": intent.side,
                 "price": f.price, "quantity": f.qty, "fee": f.fee, "fee_asset": f.fee_asset,
                 "is_maker": False},
                symbol=symbol, ts=from_epoch_ms(f.ts_ms),
            )  # fmt: skip
        if status == "rejected":
            await sup.venue_error("rejected", f"order {intent.client_order_id}", "order")
        await self._report_position(close, ts)

    # -- exits (trader/exits.py) ----------------------------------------------------------------

    async def start_exits(self) -> None:
        """Build (or restore: a restarted trader) the exit runner; once (``run`` calls it)."""
        wiring = self.exit_wiring
        if wiring is None or self.exits is not None:
            return
        cfg = self.config
        desk = ExitDesk(
            bot_id=cfg.bot_id, run_id=cfg.run_id, fee_rate=cfg.fee_rate,
            risk_profile=cfg.risk_profile, starting_equity=self.starting_equity,
            quote_asset=self.holdings.quote_asset, send=self._send_exit, read=self._read_order,
            book=self._book_exit,
        )  # fmt: skip
        self.exits = await ExitRunner.restore(wiring, self.instrument, key=cfg.id_key, desk=desk)
        entry_id = self.exits.entry_client_id
        if entry_id is not None and self.holdings.open_entry is None:
            # A restarted trader: its books were set from the venue's balances; the open
            # position's entry is the order its exit state names.
            _, fills = self._read_order(entry_id, "signal")
            base = self.holdings.base_asset
            bought = fills.qty - sum((f.fee for f in fills.fills if f.fee_asset == base), ZERO)
            self.holdings.open_entry = fills
            self.holdings.entry_base = self.holdings.base - bought

    def _atr(self) -> Decimal | None:
        bars = self.run_state.bars[-15:]
        return average_true_range(
            [b.high for b in bars], [b.low for b in bars], [b.close for b in bars]
        )

    async def _exits_bar(self, bar: Kline) -> None:
        assert self.exits is not None
        await self.exits.on_bar(
            ts=from_epoch_ms(bar.open_time + self.config.interval_ms),
            high=Decimal(repr(bar.high)), low=Decimal(repr(bar.low)),
            close=Decimal(repr(bar.close)), atr=self._atr(), volume=Decimal(repr(bar.volume)),
        )  # fmt: skip

    async def _entry_filled(self, fills: OrderFills, bar: Kline) -> None:
        """An entry filled: the exit manager's protective stop goes to the venue now (spot:
        for the base held after the base-asset fee, floored to the lot step)."""
        assert self.exits is not None
        base_fee = sum((f.fee for f in fills.fills if f.fee_asset == self.holdings.base_asset),
                       Decimal(0))  # fmt: skip
        quantity = exit_quantity(fills.qty, base_fee, self.instrument.lot_step)
        anchor = from_epoch_ms(bar.open_time)  # the signal bar: the entry's client id's bar
        await self.exits.entry_filled(fills, quantity=quantity, anchor=anchor, atr=self._atr())

    async def _send_exit(self, intent: intents.Intent) -> tuple[str, OrderFills]:
        """An exit order through the entries' path: persisted, then queued, read back."""
        with self.sessions() as session:
            if not intents.persist_intent(session, self.instrument_row, intent):
                raise intents.IntentError(f"{intent.client_order_id}: an order with this id exists")
        queued_at = time.time()
        answer = await self.submit(intent.client_order_id)  # enqueued only after the commit
        status, fills = self._read_order(intent.client_order_id, intent.reason)
        self.run_state.orders.append((intent.client_order_id, status))
        if self.supervisor is not None:
            close = Decimal(repr(self.run_state.bars[-1].close))
            none = OrderFills(intent.client_order_id, intent.side, intent.reason, ())
            times = _order_times(queued_at, answer)
            await self._report_order(intent, status, none, close, intent.decided_at, times)
        return status, fills

    def _read_order(self, client_id: str, reason: str) -> tuple[str, OrderFills]:
        with self.sessions() as session:
            return intents.order_fills(session, client_id, reason)

    async def _book_exit(self, fills: OrderFills, closes: bool) -> None:
        """Fills of an exit order: into the holdings (a round trip when ``closes``), the
        record and the events."""
        self.holdings.apply(fills, closes=closes)
        if self.recorder is not None:
            self.recorder.after_order(self.holdings)
        sup = self.supervisor
        if sup is None:
            return
        for f in fills.fills:
            await sup.emit(
                "fill",
                {"client_order_id": fills.client_order_id, "trade_id": str(f.ts_ms),
                 "side": fills.side, "price": f.price, "quantity": f.qty, "fee": f.fee,
                 "fee_asset": f.fee_asset, "is_maker": False, "reason": fills.reason},
                symbol=self.symbol, ts=from_epoch_ms(f.ts_ms),
            )  # fmt: skip
        last = self.run_state.bars[-1]
        close = Decimal(repr(last.close))
        await self._report_position(close, from_epoch_ms(last.open_time + self.config.interval_ms))

    def _refused(self, ts: Any, why: dict[str, Any]) -> None:
        self.run_state.refusals += 1
        with self.sessions() as session:
            intents.record_refusal(session, self.config.bot_id, ts, why)

    def _checked_state(self, close: Decimal, purpose: Purpose, now: datetime) -> RiskState:
        """The pre-check's state: the whole bot's equity (``_bot_state``) and, for an entry, the
        bot's record (``risk.history``), read as the execution worker's check reads it
        (``store.risk_history``): the two agree."""
        state = self._bot_state(close)
        if purpose.name.lower() not in ENTRY_PURPOSES or not needs_history(self.config.limits):
            return state
        cfg = self.config
        with self.sessions() as session:
            history = read_history(session, bot_id=cfg.bot_id, run_id=cfg.run_id, now=now,
                                   limits=cfg.limits)  # fmt: skip
        return with_history(state, history, now)

    def _breaker_state(self, close: Decimal, now: datetime) -> RiskState:
        """What the supervisor's breaker checks each bar (``account_breaches``): the books --
        the whole bot's (``_bot_state``) -- and, for a profile with history-based limits, the
        bot's record (today's and this week's realised loss, the losing streak) as the
        pre-check reads it. Before, the breaker saw one symbol's books only, so the daily-loss
        and loss-streak halts never fired (the checks still refused each entry). The record
        is read at the first bar, after a round trip closed and when the UTC day turns; in
        between the last one read stands."""
        state = self._bot_state(close)
        if not needs_history(self.config.limits):
            return state
        read = (len(self.holdings.trips), now.date())
        if self._record_read != read:
            cfg = self.config
            with self.sessions() as session:
                self._record = read_history(session, bot_id=cfg.bot_id, run_id=cfg.run_id,
                                            now=now, limits=cfg.limits)  # fmt: skip
            self._record_read = read
        return with_history(state, self._record, now)

    def _bot_state(self, close: Decimal) -> RiskState:
        """``_risk_state`` with the whole bot's equity and peak when it trades several symbols
        (``records.BotEquity``: each trader's book is a share of the bot's cash), so that the
        limits in fractions of equity (daily loss, drawdown, position size, loss per trade)
        are of the bot's, as the execution worker's are of the account's. Orders are still
        sized from this symbol's share."""
        state = self._risk_state(close)
        if self.recorder is not None:
            equity, peak = self.recorder.bot_equity.total_with(self.instrument_row, state.equity)
            if equity != state.equity:  # other symbols' books too
                state = replace(state, equity=equity, peak_equity=max(peak, equity))
        return state

    def _risk_state(self, close: Decimal) -> RiskState:
        equity = self.holdings.equity(close)
        positions: tuple[OpenPosition, ...] = ()
        if self._side() != 0:
            entry = self.holdings.open_entry.avg_price if self.holdings.open_entry else close
            short = self.holdings.base < 0
            positions = (
                OpenPosition(
                    symbol=self.instrument.id.symbol,
                    side=PositionSide.SHORT if short else PositionSide.LONG,
                    quantity=Quantity(abs(self.holdings.base)),
                    entry_price=Price(entry),
                    mark_price=Price(close),
                ),
            )
        state = RiskState(
            equity=equity,
            starting_equity=self.starting_equity,
            peak_equity=max(equity, self.peak_equity),
            day_start_equity=equity,
            positions=positions,
        )
        return state if self.supervisor is None else self.supervisor.risk_state(state)


def _order_times(queued_at: float, answer: Mapping[str, Any]) -> dict[str, float]:
    """``queued_at`` (this trader enqueued the order) and, when the venue answered the send,
    ``acked_at`` (the worker's clock then): Unix seconds, for the metrics' round trip."""
    times = {"queued_at": round(queued_at, 6)}
    acked = answer.get("acked_at") if isinstance(answer, Mapping) else None
    if isinstance(acked, int | float):
        times["acked_at"] = round(float(acked), 6)
    return times


def _floor(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


def _market(bars: list[Kline], interval_ms: int) -> MarketInput:
    return MarketInput.from_bars(klines_to_bars(bars), interval_ms)
