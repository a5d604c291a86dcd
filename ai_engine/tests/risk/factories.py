"""Small builders for risk tests: sensible defaults, override what the test is about.

The default intent is hand-worked in the tests: BTCUSDT buy 0.01 at 50,000 (notional 500),
stop 49,500, target 51,500, fees 0.1 % each side, so
loss at the stop = 0.01 x 500 + 0.5 entry fee + 0.495 exit fee = 5.995 and
fees to the target = 0.5 + 0.515 = 1.015 for a gross profit of 15.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import settings

from ai_engine.domain import OrderSide, PositionSide, Price, Quantity
from ai_engine.risk import OpenPosition, OrderIntent, RiskLimits, RiskState, check_order
from ai_engine.risk.verdict import RefusalCode, Verdict

D = Decimal
T0 = datetime(2024, 3, 4, 12, 0, tzinfo=UTC)  # a Monday, noon UTC
FEE = D("0.001")
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None)


def at(seconds: float = 0) -> datetime:
    return T0 + timedelta(seconds=seconds)


def make_intent(**overrides: Any) -> OrderIntent:
    values: dict[str, Any] = {
        "symbol": "BTCUSDT",
        "side": OrderSide.BUY,
        "quantity": Quantity("0.01"),
        "price": Price("50000"),
        "stop_price": Price("49500"),
        "target_price": Price("51500"),
        "entry_fee_rate": FEE,
        "exit_fee_rate": FEE,
    }
    values.update(overrides)
    return OrderIntent(**values)


def make_state(**overrides: Any) -> RiskState:
    values: dict[str, Any] = {
        "equity": D(10000),
        "starting_equity": D(10000),
        "peak_equity": D(10000),
        "day_start_equity": D(10000),
    }
    values.update(overrides)
    return RiskState(**values)


def make_position(**overrides: Any) -> OpenPosition:
    values: dict[str, Any] = {
        "symbol": "ETHUSDT",
        "side": PositionSide.LONG,
        "quantity": Quantity("1"),
        "entry_price": Price("3000"),
        "mark_price": Price("3000"),
        "stop_price": Price("2900"),
    }
    values.update(overrides)
    return OpenPosition(**values)


def limits(**fields: Any) -> RiskLimits:
    """A profile with only the given limits switched on (stops required, as everywhere)."""
    return RiskLimits(name="test", **fields)


def verdict(
    risk: RiskLimits,
    *,
    intent: OrderIntent | None = None,
    state: RiskState | None = None,
    now: datetime = T0,
) -> Verdict:
    return check_order(intent or make_intent(), state or make_state(), risk, now)


def codes(v: Verdict) -> set[RefusalCode]:
    return set(v.codes)
