"""What the exit manager asks the trader to do: place, move or cancel exit orders, or exit now.

Every action is an immutable record with a ``tag`` (``ExitTag``: the order's purpose and its
attempt number within the position) so the trader mints a deterministic client order id with
``tag.client_order_id(bot_id=..., anchor=state.anchor, symbol=...)``: the same position and
the same step always give the same id, across restarts. Every action carries an
``ExitReason`` (the ``trades.exit_reason`` vocabulary) and a ``detail`` in words.

Execute the actions of one call **in list order**. The order is chosen per venue: on a
reduce-only venue (USD-M) a new stop is placed before the old one is canceled and a market
exit goes out before the resting exits are canceled (never unprotected); on spot the old
order is canceled first, because the base asset it locks is what the next order sells.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ai_engine.domain import DomainValueError, OrderSide, OrderType, Price, Quantity
from ai_engine.execution.client_ids import (
    MAX_ATTEMPT,
    Purpose,
    mint_client_order_id,
    parse_client_order_id,
)


class ExitReason(StrEnum):
    """Why an exit order exists; the values are ``trades.exit_reason``'s."""

    STOP_LOSS = "stop_loss"
    TAKE_PROFIT = "take_profit"
    TRAILING_STOP = "trailing_stop"
    TIME_STOP = "time_stop"
    SIGNAL = "signal"  # signal reversal
    RISK = "risk"  # flash crash, or a protective stop the venue refused


EXIT_PURPOSES = frozenset(
    {
        Purpose.STOP_LOSS,
        Purpose.TAKE_PROFIT,
        Purpose.TRAILING_STOP,
        Purpose.EXIT,
        Purpose.FLASH_EXIT,
    }
)


@dataclass(frozen=True, slots=True, order=True)
class ExitTag:
    """The stable identity of one exit order of one position: purpose and attempt (0..1295).
    Attempts count per purpose within the position, so every new order gets a new id."""

    purpose: Purpose
    attempt: int

    def __post_init__(self) -> None:
        if self.purpose not in EXIT_PURPOSES:
            raise DomainValueError(f"{self.purpose!r} is not an exit purpose")
        if isinstance(self.attempt, bool) or not 0 <= self.attempt <= MAX_ATTEMPT:
            raise DomainValueError(f"exit attempt must be 0..{MAX_ATTEMPT}, got {self.attempt!r}")

    def client_order_id(self, *, bot_id: str, anchor: datetime, symbol: str) -> str:
        """The order's client id (``execution.client_ids``); ``anchor`` is the position's
        ``ExitState.anchor`` (the entry's signal bar)."""
        return mint_client_order_id(
            bot_id=bot_id, bar_time=anchor, symbol=symbol, purpose=self.purpose,
            attempt=self.attempt,
        )  # fmt: skip

    @classmethod
    def of_client_order_id(cls, client_order_id: str) -> ExitTag | None:
        """The tag inside an id minted by ``client_order_id``; None for an entry's id or an
        id minted elsewhere (the caller checks the bot tag and anchor if it must)."""
        parts = parse_client_order_id(client_order_id)
        if parts is None or parts.purpose not in EXIT_PURPOSES:
            return None
        return cls(parts.purpose, parts.attempt)

    def __str__(self) -> str:
        return f"{self.purpose.name.lower()}#{self.attempt}"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaceStop:
    """Place the protective stop: a STOP_MARKET on ``side`` (the closing side) for ``quantity``
    triggered at ``stop_price`` -- or a STOP_LIMIT with ``limit_price`` when the plan asks
    for one (``stop_limit_offset``); reduce-only on a reduce-only venue."""

    tag: ExitTag
    side: OrderSide
    quantity: Quantity
    stop_price: Price
    reason: ExitReason
    detail: str
    limit_price: Price | None = None

    @property
    def order_type(self) -> OrderType:
        return OrderType.STOP_MARKET if self.limit_price is None else OrderType.STOP_LIMIT


@dataclass(frozen=True, slots=True, kw_only=True)
class MoveStop:
    """Replace the live stop ``cancel`` with ``place`` (a new price, a new quantity, or both).
    ``place_first``: place the new one, then cancel the old (reduce-only venues); else cancel,
    then place (spot)."""

    cancel: ExitTag
    place: PlaceStop
    place_first: bool

    @property
    def tag(self) -> ExitTag:
        return self.place.tag

    @property
    def reason(self) -> ExitReason:
        return self.place.reason

    @property
    def detail(self) -> str:
        return self.place.detail


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaceTakeProfit:
    """A resting take profit (reduce-only venues only): LIMIT at ``price`` when the maker fee
    is the cheaper (``order_type`` LIMIT, GTC), else TAKE_PROFIT_MARKET triggered at ``price``."""

    tag: ExitTag
    side: OrderSide
    quantity: Quantity
    price: Price
    order_type: OrderType
    level: int  # index into ExitPlan.take_profits
    reason: ExitReason
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelExit:
    """Cancel a resting exit order (stop or take profit)."""

    tag: ExitTag
    reason: ExitReason
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketExit:
    """Sell (or buy back) ``quantity`` at market now, reduce-only on a reduce-only venue."""

    tag: ExitTag
    side: OrderSide
    quantity: Quantity
    reason: ExitReason
    detail: str
    order_type: OrderType = OrderType.MARKET


ExitAction = PlaceStop | MoveStop | PlaceTakeProfit | CancelExit | MarketExit
