"""Exits and reductions are never blocked by entry limits; everything else is an entry."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ai_engine.domain import OrderSide, PositionSide, Price, Quantity
from ai_engine.risk import (
    BreakerRules,
    OperatorHalt,
    is_exit,
    load_profile,
    next_state,
)
from ai_engine.risk.breaker import start
from ai_engine.risk.verdict import RefusalCode

from .factories import T0, D, at, make_intent, make_position, make_state, verdict

LONG_BTC = make_position(
    symbol="BTCUSDT",
    quantity=Quantity("0.5"),
    entry_price=Price(52000),
    mark_price=Price(50000),
    stop_price=Price(49000),
)


def _everything_broken() -> object:
    """An account that breaks every entry limit at once, with an operator halt on top."""
    halted = next_state(start(BreakerRules()), OperatorHalt("ops", "emergency stop"), T0).after
    return make_state(
        equity=D(5000),
        peak_equity=D(20000),
        day_start_equity=D(9000),
        week_start_equity=D(12000),
        realised_pnl_today=D(-4000),
        positions=(LONG_BTC, make_position(), make_position()),
        consecutive_losses=20,
        last_loss_at=at(-1),
        last_stop_loss_at=at(-1),
        last_entry_at=at(-1),
        trades_today=10_000,
        breaker=halted,
    )


@pytest.mark.parametrize(
    "profile", ["conservative_spot", "futures_challenge", "ultra_short", "trinity"]
)
def test_reduce_only_exit_passes_when_every_entry_limit_is_broken(profile: str) -> None:
    state = _everything_broken()
    exit_order = make_intent(
        side=OrderSide.SELL,
        quantity=Quantity("0.5"),
        reduce_only=True,
        stop_price=None,
        target_price=None,
    )
    v = verdict(load_profile(profile), intent=exit_order, state=state)
    assert v.approved
    assert v.is_exit
    assert v.summary() == "approved (exit)"
    # The same order as an entry is refused for many reasons at once.
    entry = make_intent(side=OrderSide.BUY, stop_price=None, target_price=None)
    refused = verdict(load_profile(profile), intent=entry, state=state)
    assert {
        RefusalCode.HALTED,
        RefusalCode.STOP_REQUIRED,
        RefusalCode.DAILY_LOSS_LIMIT,
        RefusalCode.DRAWDOWN_LIMIT,
        RefusalCode.DAILY_TRADE_CAP,
    } <= set(refused.codes)


def test_partial_close_without_the_flag_is_an_exit() -> None:
    state = _everything_broken()
    for qty in ("0.1", "0.5"):
        order = make_intent(
            side=OrderSide.SELL, quantity=Quantity(qty), stop_price=None, target_price=None
        )
        assert is_exit(order, state)
        assert verdict(load_profile("futures_challenge"), intent=order, state=state).approved


def test_closing_a_short_is_an_exit() -> None:
    short = make_position(
        symbol="BTCUSDT",
        side=PositionSide.SHORT,
        quantity=Quantity("0.2"),
        entry_price=Price(50000),
        mark_price=Price(50000),
        stop_price=Price(51000),
    )
    state = make_state(positions=(short,))
    assert is_exit(make_intent(side=OrderSide.BUY, quantity=Quantity("0.2")), state)
    assert not is_exit(make_intent(side=OrderSide.SELL, quantity=Quantity("0.2")), state)


def test_flip_or_same_side_or_other_symbol_is_an_entry() -> None:
    state = make_state(positions=(LONG_BTC,))
    assert not is_exit(make_intent(side=OrderSide.SELL, quantity=Quantity("0.6")), state)
    assert not is_exit(make_intent(side=OrderSide.BUY, quantity=Quantity("0.1")), state)
    assert not is_exit(make_intent(symbol="ETHUSDT", side=OrderSide.SELL), state)


def test_no_equity_refuses_entries_but_not_exits() -> None:
    state = make_state(equity=D(0), peak_equity=D(10000), positions=(LONG_BTC,))
    v = verdict(load_profile("trinity"), state=state)
    assert v.codes == (RefusalCode.NO_EQUITY,)
    exit_order = make_intent(side=OrderSide.SELL, quantity=Quantity("0.5"))
    assert verdict(load_profile("trinity"), intent=exit_order, state=state).approved


def test_check_order_wants_utc_time() -> None:
    naive = datetime(2024, 1, 1)  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        verdict(load_profile("trinity"), now=naive)
    paris = T0.astimezone(timezone(timedelta(hours=2)))
    with pytest.raises(ValueError, match="UTC"):
        verdict(load_profile("trinity"), now=paris)


def test_all_refusals_are_listed_not_just_the_first() -> None:
    risk = load_profile("conservative_spot")
    state = make_state(trades_today=100, last_entry_at=at(-1), last_stop_loss_at=at(-1))
    v = verdict(
        risk, state=state, intent=make_intent(quantity=Quantity(1), target_price=Price(50001))
    )
    assert set(v.codes) >= {
        RefusalCode.TRADE_LOSS_CAP,
        RefusalCode.POSITION_SIZE_CAP,
        RefusalCode.GROSS_EXPOSURE,
        RefusalCode.MIN_TRADE_INTERVAL,
        RefusalCode.STOP_LOSS_COOLDOWN,
        RefusalCode.DAILY_TRADE_CAP,
        RefusalCode.MIN_EXPECTED_PROFIT,
        RefusalCode.MIN_REWARD_RISK,
    }
    assert v.summary().startswith("refused: trade_loss_cap: per-trade loss cap: BTCUSDT buy")
