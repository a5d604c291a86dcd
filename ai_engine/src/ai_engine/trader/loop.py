"""The trader loop of one bot (spot, one symbol, market orders).

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
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

import numpy as np

from ai_engine.domain import OrderSide, Price, Quantity, from_epoch_ms
from ai_engine.domain.enums import PositionSide
from ai_engine.domain.instruments import Instrument
from ai_engine.execution.client_ids import Purpose, mint_client_order_id
from ai_engine.marketdata.frames import Bars
from ai_engine.risk import RiskLimits
from ai_engine.risk.intent import OrderIntent
from ai_engine.risk.pre_trade import check_order
from ai_engine.risk.state import OpenPosition, RiskState
from ai_engine.strategies import MarketInput, get
from ai_engine.strategies.live import latest
from ai_engine.strategies.signals import Action
from ai_engine.trader import intents
from ai_engine.trader.feed import ClockSteppedFeed, Kline
from ai_engine.trader.holdings import Holdings

Submit = Callable[[str], Awaitable[Mapping[str, Any]]]  # client id -> the worker's answer
SessionFactory = Callable[[], Any]


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


@dataclass
class TraderRun:
    """What the loop saw and did: bars, equity at each bar's close, orders, round trips."""

    bars: list[Kline] = field(default_factory=list)
    equity: list[Decimal] = field(default_factory=list)
    orders: list[tuple[str, str]] = field(default_factory=list)  # (client id, final status)
    refusals: int = 0


class Trader:
    def __init__(
        self,
        config: TraderConfig,
        *,
        feed: ClockSteppedFeed,
        instrument: Instrument,
        instrument_row: int,
        sessions: SessionFactory,
        submit: Submit,
        holdings: Holdings,
    ) -> None:
        self.config, self.feed, self.instrument = config, feed, instrument
        self.instrument_row, self.sessions, self.submit = instrument_row, sessions, submit
        self.holdings = holdings
        self.strategy = get(config.strategy)
        self.params = self.strategy.params(config.params)
        self.lookback = self.strategy.lookback(self.params)
        self.starting_equity = holdings.quote
        self.run_state = TraderRun()

    async def run(self) -> TraderRun:
        step = await self.feed.history()
        self._add(step.bars)
        while not step.at_end:
            await self._on_bar()
            step = await self.feed.step()
            self._add(step.bars)
        if self.config.close_at_end and self.run_state.bars:
            await self._flatten()
        return self.run_state

    def _add(self, bars: list[Kline]) -> None:
        for bar in bars:
            self.run_state.bars.append(bar)
            self.run_state.equity.append(self.holdings.equity(Decimal(repr(bar.close))))

    async def _on_bar(self) -> None:
        bars = self.run_state.bars
        if not bars:
            return
        window = _market(bars[-self.lookback :], self.config.interval_ms)
        reading = latest(self.strategy, window, self.params)
        last = bars[-1]
        close = Decimal(repr(last.close))
        step = self.instrument.lot_step
        if reading.action is Action.BUY and self.holdings.open_entry is None:
            budget = self.holdings.quote / (close * (1 + self.config.fee_rate))
            await self._order(OrderSide.BUY, _floor(budget, step), last, Purpose.ENTRY, reading)
        elif reading.action is Action.SELL and self.holdings.open_entry is not None:
            await self._order(
                OrderSide.SELL, _floor(self.holdings.base, step), last, Purpose.EXIT, reading
            )

    async def _flatten(self) -> None:
        if self.holdings.open_entry is None:
            return
        last = self.run_state.bars[-1]
        qty = _floor(self.holdings.base, self.instrument.lot_step)
        await self._order(OrderSide.SELL, qty, last, Purpose.FLATTEN, None, reason="end_of_data")
        self.run_state.equity[-1] = self.holdings.equity(Decimal(repr(last.close)))

    async def _order(
        self, side: OrderSide, qty: Decimal, bar: Kline, purpose: Purpose, reading: Any,
        reason: str = "signal",
    ) -> None:  # fmt: skip
        cfg, inst = self.config, self.instrument
        close = Decimal(repr(bar.close))
        decided_at = from_epoch_ms(bar.open_time + cfg.interval_ms)
        why: dict[str, Any] = {"purpose": purpose.name.lower(), "reason": reason}
        if reading is not None:
            why["signal"] = {"action": str(reading.action), "reasons": list(reading.reasons)}
        if qty < inst.min_quantity or qty <= 0 or qty * close < inst.min_notional:
            why["skipped"] = f"quantity {qty} below the venue's minimum"
            self._refused(decided_at, why)
            return
        verdict = check_order(
            OrderIntent(
                symbol=inst.id.symbol, side=side, quantity=Quantity(qty), price=Price(close),
                entry_fee_rate=cfg.fee_rate, exit_fee_rate=cfg.fee_rate,
            ),
            self._risk_state(close),
            cfg.limits,
            decided_at,
        )  # fmt: skip
        why["pre_check"] = verdict.summary()
        if not verdict.approved:
            self._refused(decided_at, why)
            return
        client_id = mint_client_order_id(
            bot_id=cfg.bot_id,
            bar_time=from_epoch_ms(bar.open_time),
            symbol=inst.id.symbol,
            purpose=purpose,
        )
        intent = intents.Intent(
            client_order_id=client_id, bot_id=cfg.bot_id, run_id=cfg.run_id, side=side.value,
            quantity=qty, reference_price=close, fee_rate=cfg.fee_rate,
            risk_profile=cfg.risk_profile, decided_at=decided_at, purpose=purpose.name.lower(),
            reason=reason, starting_equity=self.starting_equity, why=why,
        )  # fmt: skip
        with self.sessions() as session:
            intents.persist_intent(session, self.instrument_row, intent)
        await self.submit(client_id)  # enqueued only after the commit above
        with self.sessions() as session:
            status, fills = intents.order_fills(session, client_id, reason)
        self.run_state.orders.append((client_id, status))
        self.holdings.apply(fills)

    def _refused(self, ts: Any, why: dict[str, Any]) -> None:
        self.run_state.refusals += 1
        with self.sessions() as session:
            intents.record_refusal(session, self.config.bot_id, ts, why)

    def _risk_state(self, close: Decimal) -> RiskState:
        equity = self.holdings.equity(close)
        positions: tuple[OpenPosition, ...] = ()
        if self.holdings.open_entry is not None and self.holdings.base > 0:
            entry = self.holdings.open_entry.avg_price
            positions = (
                OpenPosition(
                    symbol=self.instrument.id.symbol,
                    side=PositionSide.LONG,
                    quantity=Quantity(self.holdings.base),
                    entry_price=Price(entry),
                    mark_price=Price(close),
                ),
            )
        return RiskState(
            equity=equity,
            starting_equity=self.starting_equity,
            peak_equity=max(equity, self.starting_equity),
            day_start_equity=equity,
            positions=positions,
        )


def _floor(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_DOWN) * step


def _market(bars: list[Kline], interval_ms: int) -> MarketInput:
    def col(name: str, dtype: Any = np.float64) -> Any:
        return np.fromiter((getattr(b, name) for b in bars), dtype=dtype, count=len(bars))

    frame = Bars(
        open_time=col("open_time", np.int64),
        open=col("open"),
        high=col("high"),
        low=col("low"),
        close=col("close"),
        volume=col("volume"),
        quote_volume=col("quote_volume"),
        taker_buy_volume=col("taker_buy_volume"),
        taker_buy_quote_volume=col("taker_buy_quote_volume"),
        trades=col("trades", np.int64),
    )
    return MarketInput.from_bars(frame, interval_ms)
