"""Small builders for the exit manager tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ai_engine.domain import PositionSide, Price, Quantity
from ai_engine.domain.instrument_examples import binance_spot_btcusdt, binance_usdm_btcusdt
from ai_engine.execution.exits import (
    Breakeven,
    Distance,
    ExitAction,
    ExitManager,
    ExitPlan,
    TakeProfitLevel,
    TrailingStop,
)

D = Decimal
T0 = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
USDM = binance_usdm_btcusdt()
SPOT = binance_spot_btcusdt()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def seed004_plan(**overrides: Any) -> ExitPlan:
    """Seed 004 §5: 25 % at 1R, 2R, 3R, the rest trailing; breakeven at 1R, trailing from 2R."""
    values: dict[str, Any] = {
        "stop": Distance.percent("0.01"),
        "take_profits": tuple(TakeProfitLevel(Distance.r(n), D("0.25")) for n in (1, 2, 3)),
        "trailing": TrailingStop(activation=Distance.r(2), distance=Distance.percent("0.005")),
        "breakeven": Breakeven(Distance.r(1)),
        "maker_fee_rate": D("0.0002"),
        "taker_fee_rate": D("0.0004"),
        "reduce_only_venue": True,
    }
    values.update(overrides)
    return ExitPlan(**values)


def opened(
    plan: ExitPlan,
    *,
    side: PositionSide = PositionSide.LONG,
    price: int | str = 50000,
    quantity: str = "0.1",
    instrument: Any = USDM,
    **extra: Any,
) -> tuple[ExitManager, list[ExitAction]]:
    manager = ExitManager(plan, instrument)
    actions = manager.on_entry_filled(
        side=side, price=Price(price), quantity=Quantity(quantity), fee=D(2), ts=T0, anchor=T0,
        **extra,
    )  # fmt: skip
    return manager, actions


def bar(manager: ExitManager, minute: float, high: int | str, low: int | str, close: int | str,
        **extra: Any) -> list[ExitAction]:  # fmt: skip
    return manager.on_bar(
        ts=at(minute), high=Price(high), low=Price(low), close=Price(close), **extra
    )
