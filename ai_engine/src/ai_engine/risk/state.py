"""``RiskState``: the snapshot of an account that the checks judge an order against.

Everything a check needs is in here, passed in by the caller (the trader or the execution
worker, which read it from PostgreSQL and the venue); nothing is read from a database or a
clock. Money is in the account's settlement asset.

Equity is the account's value marked to market (wallet balance plus unrealised P&L on futures;
cash plus holdings at mark on spot). Working entry orders belong in ``positions`` as if filled
at their price, so that limits count them before they fill.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ai_engine.domain import (
    DomainValueError,
    PositionSide,
    Price,
    Quantity,
    require_utc,
    to_decimal,
)
from ai_engine.domain.decimals import wide_divide
from ai_engine.risk.breaker import BreakerState

_ZERO = Decimal(0)
_ONE = Decimal(1)


def _adverse_move(side: PositionSide, start: Decimal, stop: Decimal) -> Decimal:
    """How far the price must move against ``side`` from ``start`` to reach ``stop`` (>= 0)."""
    move = start - stop if side is PositionSide.LONG else stop - start
    return max(move, _ZERO)


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenPosition:
    """One open position (or working entry order) in one symbol."""

    symbol: str
    side: PositionSide
    quantity: Quantity
    entry_price: Price
    mark_price: Price
    stop_price: Price | None = None
    leverage: Decimal = _ONE
    contract_multiplier: Decimal = _ONE
    exit_fee_rate: Decimal = _ZERO  # fee rate paid when the stop closes it

    def __post_init__(self) -> None:
        if self.side is PositionSide.FLAT or self.quantity.is_zero():
            raise DomainValueError(f"open position {self.symbol} must be long or short, not flat")
        for name in ("leverage", "contract_multiplier", "exit_fee_rate"):
            object.__setattr__(self, name, to_decimal(getattr(self, name), what=name))
        if self.leverage < 1 or self.contract_multiplier <= 0 or self.exit_fee_rate < 0:
            raise DomainValueError(f"open position {self.symbol}: bad leverage, multiplier or fee")

    @property
    def notional(self) -> Decimal:
        """Value at the mark price."""
        return self.quantity.value * self.mark_price.value * self.contract_multiplier

    @property
    def margin(self) -> Decimal:
        """Capital the position ties up: notional / leverage (the notional on spot)."""
        return wide_divide(self.notional, self.leverage)

    @property
    def unrealised_pnl(self) -> Decimal:
        move = self.mark_price.value - self.entry_price.value
        signed = move if self.side is PositionSide.LONG else -move
        return signed * self.quantity.value * self.contract_multiplier

    def risk_from(self, price: Decimal) -> Decimal:
        """What the position loses from ``price`` if its stop fills, exit fee included.

        Without a stop the whole notional counts (a long can fall to zero; for a short it is a
        convention, its risk being unbounded). A stop past ``price`` (locked-in profit) is 0.
        """
        units = self.quantity.value * self.contract_multiplier
        if self.stop_price is None:
            return units * price
        stop = self.stop_price.value
        return _adverse_move(self.side, price, stop) * units + units * stop * self.exit_fee_rate

    @property
    def risk_from_mark(self) -> Decimal:
        return self.risk_from(self.mark_price.value)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosedTrade:
    """A finished round trip: net P&L (fees included), when, and whether a stop closed it."""

    symbol: str
    closed_at: datetime
    pnl: Decimal
    by_stop: bool = False
    leveraged: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "closed_at", require_utc(self.closed_at, what="closed_at"))
        object.__setattr__(self, "pnl", to_decimal(self.pnl, what="pnl"))


@dataclass(frozen=True, slots=True)
class CorrelationGroup:
    """Symbols that move together (e.g. correlation >= the profile's threshold): counted as one."""

    name: str
    symbols: frozenset[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskState:
    """The account as the risk engine sees it at one moment."""

    equity: Decimal
    starting_equity: Decimal  # the principal: base of growth milestones and profit rules
    peak_equity: Decimal  # highest equity seen; raised to ``equity`` if below it
    day_start_equity: Decimal  # equity at the start of the current UTC day
    week_start_equity: Decimal | None = None  # ... of the current week (None: same as the day)
    realised_pnl_today: Decimal = _ZERO  # net of fees
    realised_pnl_week: Decimal = _ZERO
    positions: tuple[OpenPosition, ...] = ()
    recent_trades: tuple[ClosedTrade, ...] = ()  # oldest first
    consecutive_losses: int = 0
    last_loss_at: datetime | None = None
    last_stop_loss_at: datetime | None = None
    last_entry_at: datetime | None = None
    trades_today: int = 0  # entries since the start of the UTC day
    leveraged_pnl: Decimal = _ZERO  # realised P&L of trades taken with leverage > 1
    consecutive_profitable_days: int = 0
    volatility_index: Decimal | None = None  # e.g. a crypto volatility index (seed 002)
    correlation_groups: tuple[CorrelationGroup, ...] = ()
    breaker: BreakerState | None = None  # the circuit breaker's state; None: not tracked

    def __post_init__(self) -> None:
        for name in (
            "equity",
            "starting_equity",
            "peak_equity",
            "day_start_equity",
            "realised_pnl_today",
            "realised_pnl_week",
            "leveraged_pnl",
        ):
            object.__setattr__(self, name, to_decimal(getattr(self, name), what=name))
        if self.week_start_equity is None:
            object.__setattr__(self, "week_start_equity", self.day_start_equity)
        if self.starting_equity <= 0:
            raise DomainValueError(f"starting equity must be positive, got {self.starting_equity}")
        object.__setattr__(self, "peak_equity", max(self.peak_equity, self.equity))
        for name in ("last_loss_at", "last_stop_loss_at", "last_entry_at"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, require_utc(value, what=name))
        for name in ("consecutive_losses", "trades_today", "consecutive_profitable_days"):
            if getattr(self, name) < 0:
                raise DomainValueError(f"{name} must not be negative")

    # -- figures the checks share ---------------------------------------------------------

    @property
    def profit(self) -> Decimal:
        """Equity above the principal (negative when below it)."""
        return self.equity - self.starting_equity

    @property
    def drawdown(self) -> Decimal:
        return self.peak_equity - self.equity

    @property
    def loss_today(self) -> Decimal:
        """The day's loss so far: the worse of the equity drop and the realised loss (>= 0)."""
        return max(_ZERO, self.day_start_equity - self.equity, -self.realised_pnl_today)

    @property
    def loss_this_week(self) -> Decimal:
        week_start = self.week_start_equity if self.week_start_equity is not None else _ZERO
        return max(_ZERO, week_start - self.equity, -self.realised_pnl_week)

    @property
    def open_risk(self) -> Decimal:
        """What every open position still loses, from its mark, if its stop fills."""
        return sum((p.risk_from_mark for p in self.positions), _ZERO)

    @property
    def gross_notional(self) -> Decimal:
        return sum((p.notional for p in self.positions), _ZERO)

    @property
    def total_margin(self) -> Decimal:
        return sum((p.margin for p in self.positions), _ZERO)

    @property
    def leveraged_margin(self) -> Decimal:
        return sum((p.margin for p in self.positions if p.leverage > 1), _ZERO)

    @property
    def gross_leverage(self) -> Decimal:
        """Gross notional / equity: the account's current leverage (0 when flat)."""
        return wide_divide(self.gross_notional, self.equity) if self.equity > 0 else _ZERO

    def positions_in(self, symbols: frozenset[str] | str) -> tuple[OpenPosition, ...]:
        wanted = frozenset({symbols}) if isinstance(symbols, str) else symbols
        return tuple(p for p in self.positions if p.symbol in wanted)

    def net_quantity(self, symbol: str) -> Decimal:
        """Signed net quantity in ``symbol``: long positive, short negative."""
        return sum(
            (
                p.quantity.value if p.side is PositionSide.LONG else -p.quantity.value
                for p in self.positions_in(symbol)
            ),
            _ZERO,
        )

    def groups_of(self, symbol: str) -> tuple[CorrelationGroup, ...]:
        return tuple(g for g in self.correlation_groups if symbol in g.symbols)
