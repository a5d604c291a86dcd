"""Allowed values of the text "enum" columns, enforced in the database by CHECK constraints.

Lower-case, exactly the values of `ai_engine.domain.enums` where the domain has the enum (the
domain is the one source; adapters map venue spellings such as Binance's "PARTIALLY_FILLED" at
the boundary). The rest are storage vocabularies defined here. The migrations spell the values
out (frozen per revision); tests/store check that the migrated database allows exactly these,
so changing a domain enum fails the tests until a migration re-creates the constraint.
"""

from __future__ import annotations

from enum import StrEnum

from ai_engine.domain.enums import (
    LiquiditySide,
    MarketType,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    TimeInForce,
    Venue,
)


def _values(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


VENUES = _values(Venue)
MARKETS = _values(MarketType)
ORDER_SIDES = _values(OrderSide)
ORDER_TYPES = _values(OrderType)
TIME_IN_FORCE = _values(TimeInForce)
ORDER_STATUSES = _values(OrderStatus)
LIQUIDITY = _values(LiquiditySide)
POSITION_SIDES = _values(PositionSide)

TRADE_SIDES = ("long", "short")  # a closed round trip is never flat
EXIT_REASONS = (
    "signal",
    "take_profit",
    "stop_loss",
    "trailing_stop",
    "time_stop",
    "risk",
    "manual",
    "liquidation",
    "end_of_data",
    # 0003: the exit manager's and the kill switch's reasons
    "breakeven_stop",
    "flash_crash",
    "emergency_stop",
    "reconciliation",
)
# A bot's lifecycle (table bots): halted = stopped by a kill switch or a breaker, waits for a start.
BOT_STATES = ("stopped", "running", "paused", "halted")
BOT_MODES = ("replay", "paper", "testnet", "live")
SIGNAL_ACTIONS = ("buy", "sell", "hold")
# approved: order intent sent as proposed; resized: sent with a smaller quantity.
DECISION_OUTCOMES = ("approved", "resized", "rejected", "skipped")
