"""A small simulated account for the property tests: entries, price moves, stops, exits, days.

Linear USD-M style: equity = wallet + unrealised P&L; fees (0.04 % taker) leave the wallet at
each fill; a stop fills exactly at its stop price (no slippage: the assumption under which the
loss-headroom rules are exact). Before every order it builds a ``RiskState`` from its own books,
the way the trader will from the database, and asks ``check_order``. It keeps its own arithmetic
for the invariants (``invariants.py``), independent of ``RiskState``'s derived figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from ai_engine.domain import (
    Instrument,
    InstrumentId,
    MarketType,
    OrderSide,
    PositionSide,
    Price,
    Quantity,
    Venue,
)
from ai_engine.risk import (
    BreakerEvent,
    BreakerState,
    ClosedTrade,
    CorrelationGroup,
    DataAge,
    DayStarted,
    OpenPosition,
    OperatorHalt,
    OperatorResume,
    OrderIntent,
    Reconciled,
    ReconciliationMismatch,
    RiskLimits,
    RiskState,
    VenueError,
    Verdict,
    account_breaches,
    check_order,
    next_state,
    size_by_risk,
)
from ai_engine.risk.breaker import start
from ai_engine.risk.pre_trade import ENTRY_CHECKS, Check

D = Decimal
ZERO = D(0)
FEE = D("0.0004")
TICK = D("0.01")
START = D(10000)
T_START = datetime(2024, 3, 4, 23, 0, tzinfo=UTC)  # an hour before a day (and no week) ends
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
FIRST_PRICE = {"BTCUSDT": D(50000), "ETHUSDT": D(3000), "SOLUSDT": D(150)}
LOT = {"BTCUSDT": D("0.001"), "ETHUSDT": D("0.01"), "SOLUSDT": D("0.1")}
GROUPS = (CorrelationGroup("majors", frozenset({"BTCUSDT", "ETHUSDT"})),)


def instrument(symbol: str) -> Instrument:
    return Instrument(
        id=InstrumentId(Venue.SIM, MarketType.USDM, symbol),
        base_asset=symbol.removesuffix("USDT"),
        quote_asset="USDT",
        settlement_asset="USDT",
        tick_size=TICK,
        lot_step=LOT[symbol],
        min_quantity=LOT[symbol],
        min_notional=D(5),
    )


def on_tick(value: Decimal) -> Decimal:
    return max(TICK, value.quantize(TICK, rounding=ROUND_DOWN))


# -- steps ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enter:
    symbol: int
    buy: bool
    by_risk: bool  # size with size_by_risk, else ``lots`` lot steps
    risk_bp: int
    lots: int
    stop_bp: int  # 0: no stop
    reward_risk: Decimal  # 0: no target
    leverage: int
    score: int
    wait_s: int


@dataclass(frozen=True)
class Move:
    symbol: int
    bps: int
    wait_s: int


@dataclass(frozen=True)
class Exit:
    position: int
    reduce_only: bool
    wait_s: int


@dataclass(frozen=True)
class Incident:
    """Something the circuit breaker hears about: stale or fresh data, a venue error, ..."""

    kind: int
    wait_s: int


INCIDENTS: tuple[BreakerEvent, ...] = (
    DataAge(timedelta(seconds=45)),
    DataAge(timedelta(seconds=2)),
    VenueError("HTTP 503"),
    ReconciliationMismatch("0.1 BTC unaccounted for"),
    Reconciled(),
    OperatorHalt("ops"),
    OperatorResume("ops"),
)

Step = Enter | Move | Exit | Incident


# -- the account ------------------------------------------------------------------------------


@dataclass
class SimPosition:
    symbol: str
    side: PositionSide
    qty: Decimal
    entry: Decimal
    stop: Decimal | None
    leverage: Decimal
    mark: Decimal
    entry_fee: Decimal

    @property
    def sign(self) -> int:
        return 1 if self.side is PositionSide.LONG else -1

    @property
    def unrealised(self) -> Decimal:
        return (self.mark - self.entry) * self.qty * self.sign

    @property
    def risk_at_stop(self) -> Decimal:
        if self.stop is None:
            return self.qty * self.mark  # the whole notional
        move = (self.mark - self.stop) * self.sign
        return max(move, D(0)) * self.qty + self.qty * self.stop * FEE

    def stopped_at(self, price: Decimal) -> bool:
        if self.stop is None:
            return False
        return price <= self.stop if self.side is PositionSide.LONG else price >= self.stop


@dataclass
class SimAccount:
    limits: RiskLimits
    wallet: Decimal
    profitable_days: int = 0
    now: datetime = T_START
    peak: Decimal = ZERO
    day_start: Decimal = ZERO
    week_start: Decimal = ZERO
    realised_today: Decimal = ZERO
    realised_week: Decimal = ZERO
    positions: list[SimPosition] = field(default_factory=list)
    trades: list[ClosedTrade] = field(default_factory=list)
    streak: int = 0
    last_loss_at: datetime | None = None
    last_stop_at: datetime | None = None
    last_entry_at: datetime | None = None
    trades_today: int = 0
    leveraged_pnl: Decimal = ZERO
    prices: dict[str, Decimal] = field(default_factory=lambda: dict(FIRST_PRICE))
    approved: int = 0
    exits: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    breaker: BreakerState | None = None
    checks: tuple[Check, ...] = ENTRY_CHECKS  # fewer, to prove each check is needed
    feed_breaches: bool = True  # off: the breaker cannot stand in for a missing check

    def __post_init__(self) -> None:
        self.peak = self.day_start = self.week_start = self.equity
        self.breaker = start(self.limits.breaker)

    def hear(self, event: BreakerEvent) -> None:
        assert self.breaker is not None
        self.breaker = next_state(self.breaker, event, self.now).after

    def settle(self) -> None:
        """After every step, as the trader will: account limits reached go to the breaker."""
        if not self.feed_breaches:
            return
        for event in account_breaches(self.state(), self.limits):
            self.hear(event)

    @property
    def equity(self) -> Decimal:
        return self.wallet + sum((p.unrealised for p in self.positions), D(0))

    def state(self) -> RiskState:
        return RiskState(
            equity=self.equity,
            starting_equity=START,
            peak_equity=self.peak,
            day_start_equity=self.day_start,
            week_start_equity=self.week_start,
            realised_pnl_today=self.realised_today,
            realised_pnl_week=self.realised_week,
            positions=tuple(
                OpenPosition(
                    symbol=p.symbol,
                    side=p.side,
                    quantity=Quantity(p.qty),
                    entry_price=Price(p.entry),
                    mark_price=Price(p.mark),
                    stop_price=None if p.stop is None else Price(p.stop),
                    leverage=p.leverage,
                    exit_fee_rate=FEE,
                )
                for p in self.positions
            ),
            recent_trades=tuple(self.trades[-20:]),
            consecutive_losses=self.streak,
            last_loss_at=self.last_loss_at,
            last_stop_loss_at=self.last_stop_at,
            last_entry_at=self.last_entry_at,
            trades_today=self.trades_today,
            leveraged_pnl=self.leveraged_pnl,
            consecutive_profitable_days=self.profitable_days,
            correlation_groups=GROUPS,
            breaker=self.breaker,
        )

    # -- time -----------------------------------------------------------------------------

    def wait(self, seconds: int) -> None:
        later = self.now + timedelta(seconds=seconds)
        new_day = later.date() != self.now.date()
        new_week = later.isocalendar()[:2] != self.now.isocalendar()[:2]
        self.now = later
        if new_day:
            self.profitable_days = self.profitable_days + 1 if self.realised_today > 0 else 0
            self.day_start, self.realised_today, self.trades_today = self.equity, D(0), 0
            if new_week:
                self.week_start, self.realised_week = self.equity, D(0)
            self.hear(DayStarted(new_week=new_week))

    # -- steps ----------------------------------------------------------------------------

    def intent_for(self, step: Enter) -> OrderIntent | None:
        symbol = SYMBOLS[step.symbol % len(SYMBOLS)]
        price = self.prices[symbol]
        side = OrderSide.BUY if step.buy else OrderSide.SELL
        sign = 1 if step.buy else -1
        distance = max(TICK, on_tick(price * (step.stop_bp or 10) / 10_000))
        stop = price - sign * distance
        target = price + sign * on_tick(distance * step.reward_risk)
        if stop <= 0 or target <= 0 or target == price:
            return None
        if step.by_risk and step.stop_bp:
            sized = size_by_risk(
                equity=max(self.equity, D(0)),
                risk_fraction=D(step.risk_bp) / 10_000,
                price=Price(price),
                stop=Price(stop),
                instrument=instrument(symbol),
                entry_fee_rate=FEE,
                exit_fee_rate=FEE,
            )
            if not sized.ok:
                self.refused["sizing"] += 1
                return None
            qty = sized.quantity.value
        else:
            qty = LOT[symbol] * step.lots
        return OrderIntent(
            symbol=symbol,
            side=side,
            quantity=Quantity(qty),
            price=Price(price),
            stop_price=Price(stop) if step.stop_bp else None,
            target_price=Price(target) if step.reward_risk else None,
            leverage=D(step.leverage),
            entry_fee_rate=FEE,
            exit_fee_rate=FEE,
            signal_score=D(step.score),
        )

    def ask(self, intent: OrderIntent) -> Verdict:
        verdict = check_order(intent, self.state(), self.limits, self.now, checks=self.checks)
        if verdict.approved and not verdict.is_exit:
            self.approved += 1
        for code in verdict.codes:
            self.refused[code.value] += 1
        return verdict

    def open(self, intent: OrderIntent) -> None:
        fee = intent.notional * FEE
        self.wallet -= fee
        self.positions.append(
            SimPosition(
                symbol=intent.symbol,
                side=intent.position_side,
                qty=intent.quantity.value,
                entry=intent.price.value,
                stop=None if intent.stop_price is None else intent.stop_price.value,
                leverage=intent.leverage,
                mark=intent.price.value,
                entry_fee=fee,
            )
        )
        self.trades_today += 1
        self.last_entry_at = self.now

    def move(self, step: Move) -> None:
        symbol = SYMBOLS[step.symbol % len(SYMBOLS)]
        price = on_tick(self.prices[symbol] * (10_000 + step.bps) / 10_000)
        self.prices[symbol] = price
        for p in [p for p in self.positions if p.symbol == symbol]:
            if p.stopped_at(price):
                assert p.stop is not None
                p.mark = p.stop  # no slippage: the stop fills at its price
                self.close(p, by_stop=True)
            else:
                p.mark = price
        self.peak = max(self.peak, self.equity)

    def close(self, p: SimPosition, *, by_stop: bool) -> None:
        exit_fee = p.mark * p.qty * FEE
        self.wallet += p.unrealised - exit_fee
        pnl = p.unrealised - exit_fee - p.entry_fee
        self.positions.remove(p)
        self.realised_today += pnl
        self.realised_week += pnl
        if p.leverage > 1:
            self.leveraged_pnl += pnl
        if pnl < 0:
            self.streak += 1
            self.last_loss_at = self.now
            if by_stop:
                self.last_stop_at = self.now
        else:
            self.streak = 0
        self.trades.append(
            ClosedTrade(
                symbol=p.symbol,
                closed_at=self.now,
                pnl=pnl,
                by_stop=by_stop,
                leveraged=p.leverage > 1,
            )
        )
        self.peak = max(self.peak, self.equity)

    def exit_order(self, p: SimPosition, *, reduce_only: bool) -> OrderIntent:
        return OrderIntent(
            symbol=p.symbol,
            side=OrderSide.SELL if p.side is PositionSide.LONG else OrderSide.BUY,
            quantity=Quantity(p.qty),
            price=Price(p.mark),
            entry_fee_rate=FEE,
            exit_fee_rate=FEE,
            reduce_only=reduce_only,
        )
