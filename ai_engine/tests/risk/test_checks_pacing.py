"""Breaker halts, loss streak, cool-down after a stop, time between trades, daily trade cap."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ai_engine.risk import BreakerRules, DataAge, next_state
from ai_engine.risk.breaker import start
from ai_engine.risk.verdict import RefusalCode

from .factories import at, limits, make_state, verdict

STREAK = limits(breaker=BreakerRules(loss_streak=3, loss_streak_cooldown=timedelta(hours=1)))


@pytest.mark.parametrize(
    ("losses", "ago_s", "code"),
    [
        (2, 0, None),  # below the streak
        (3, 3599, RefusalCode.LOSS_STREAK),  # cool-down not over
        (3, 3600, None),  # exactly over
        (7, 60, RefusalCode.LOSS_STREAK),
    ],
)
def test_loss_streak_breaker_with_cooldown(
    losses: int, ago_s: int, code: RefusalCode | None
) -> None:
    state = make_state(consecutive_losses=losses, last_loss_at=at(-ago_s))
    v = verdict(STREAK, state=state)
    assert v.codes == (() if code is None else (code,))


def test_loss_streak_reason_and_missing_time() -> None:
    v = verdict(STREAK, state=make_state(consecutive_losses=3, last_loss_at=at(-600)))
    assert v.refusals[0].reason == (
        "loss streak circuit breaker: 3 losing trades in a row, limit 3; cool-down 1h, 50m left"
    )
    # Without a time for the last loss it waits as if the loss had just happened.
    assert verdict(STREAK, state=make_state(consecutive_losses=3)).codes == (
        RefusalCode.LOSS_STREAK,
    )


@pytest.mark.parametrize(("ago_s", "approved"), [(59, False), (60, True), (3600, True)])
def test_cooldown_after_stop_loss(ago_s: int, approved: bool) -> None:
    risk = limits(stop_loss_cooldown=timedelta(seconds=60))
    v = verdict(risk, state=make_state(last_stop_loss_at=at(-ago_s)))
    assert v.approved is approved
    if not approved:
        assert (
            v.refusals[0].reason == "cool-down after a stop loss: 1m after the last stop, 1s left"
        )


@pytest.mark.parametrize(("ago_ms", "approved"), [(4999, False), (5000, True)])
def test_min_time_between_trades(ago_ms: int, approved: bool) -> None:
    risk = limits(min_trade_interval=timedelta(seconds=5))
    v = verdict(risk, state=make_state(last_entry_at=at(-ago_ms / 1000)))
    assert v.approved is approved
    if not approved:
        assert v.refusals[0].reason == "minimum time between trades: 5s, last entry 4.999s ago"


@pytest.mark.parametrize(("done", "approved"), [(0, True), (99, True), (100, False)])
def test_daily_trade_cap(done: int, approved: bool) -> None:
    v = verdict(limits(daily_trade_cap=100), state=make_state(trades_today=done))
    assert v.approved is approved
    if not approved:
        assert v.refusals[0].reason == "daily trade cap: 100 entries today, cap 100"


def test_an_active_breaker_halt_refuses_entries_until_it_clears() -> None:
    rules = BreakerRules(stale_data_after=timedelta(seconds=30))
    halted = next_state(start(rules), DataAge(timedelta(seconds=45)), at(0)).after
    v = verdict(limits(), state=make_state(breaker=halted))
    assert v.codes == (RefusalCode.HALTED,)
    assert v.refusals[0].reason == (
        "trading halted by the circuit breaker: stale_data: market data is 45s old, limit 30s "
        "(data_fresh)"
    )
    fresh = next_state(halted, DataAge(timedelta(seconds=2)), at(1)).after
    assert verdict(limits(), state=make_state(breaker=fresh), now=at(1)).approved
