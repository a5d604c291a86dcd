"""The circuit breaker state machine: each halt, its resume rule, and the reason it carries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ai_engine.risk import (
    BreakerRules,
    BreakerState,
    DataAge,
    DayStarted,
    HaltCause,
    LimitBreached,
    OperatorHalt,
    OperatorResume,
    PriceMove,
    Reconciled,
    ReconciliationMismatch,
    ResumeRule,
    Tick,
    VenueError,
    account_breaches,
    load_profile,
    next_state,
)
from ai_engine.risk.breaker import RESUME_RULES, BreakerEvent, start

from .factories import D, at, make_state

RULES = BreakerRules(
    loss_streak=3,
    loss_streak_cooldown=timedelta(hours=1),
    venue_error_burst=5,
    venue_error_cooldown=timedelta(minutes=5),
    stale_data_after=timedelta(seconds=30),
    flash_crash_move=D("0.05"),
)


def run(*steps: tuple[float, BreakerEvent], state: BreakerState | None = None) -> BreakerState:
    state = state or start(RULES)
    for seconds, event in steps:
        state = next_state(state, event, at(seconds)).after
    return state


def causes(state: BreakerState, seconds: float) -> set[HaltCause]:
    return {h.cause for h in state.active_halts(at(seconds))}


def test_every_cause_has_a_resume_rule() -> None:
    assert set(RESUME_RULES) == set(HaltCause)


def test_daily_loss_halts_until_the_next_day_and_the_operator_cannot_lift_it() -> None:
    halted = run((0, LimitBreached(HaltCause.DAILY_LOSS, "lost 1,000.00 today, limit 1,000.00")))
    assert not halted.allows_entries(at(0))
    t = next_state(halted, OperatorResume("alice"), at(10))
    assert not t.changed
    assert t.reason == "operator alice, still halted: daily_loss (waits for next_day)"
    t = next_state(halted, DayStarted(), at(43_200))
    assert t.changed
    assert t.after.allows_entries(at(43_200))
    assert t.reason == "new day: resume daily_loss"


def test_weekly_loss_needs_a_new_week() -> None:
    halted = run((0, LimitBreached(HaltCause.WEEKLY_LOSS, "lost 5%")))
    assert causes(run((10, DayStarted()), state=halted), 10) == {HaltCause.WEEKLY_LOSS}
    assert causes(run((10, DayStarted(new_week=True)), state=halted), 10) == set()


def test_drawdown_halt_needs_an_operator() -> None:
    halted = run((0, LimitBreached(HaltCause.DRAWDOWN, "equity 25% below peak")))
    assert halted.needs_operator(at(0))
    assert not run((86_400, DayStarted(new_week=True)), state=halted).allows_entries(at(86_400))
    t = next_state(halted, OperatorResume("bob"), at(100))
    assert t.changed
    assert t.after.allows_entries(at(100))
    assert t.reason == "operator bob, resumed drawdown"
    assert t.after.reason == "operator bob, resumed drawdown"
    assert t.after.changed_at == at(100)


def test_loss_streak_cools_down_from_the_last_loss() -> None:
    event = LimitBreached(HaltCause.LOSS_STREAK, "3 losing trades in a row", at=at(0))
    halted = run((0, event))
    assert halted.halts[0].until == at(3600)
    # Hearing of the same streak again does not push the end back ...
    t = next_state(halted, event, at(1800))
    assert not t.changed
    assert t.reason.startswith("no change: loss streak")
    # ... and the halt ends by itself.
    assert halted.allows_entries(at(3600))
    assert not halted.allows_entries(at(3599))
    t = next_state(halted, Tick(), at(3600))
    assert t.changed
    assert t.reason == "loss_streak cool-down ended; tick"
    # A new loss restarts it.
    later = LimitBreached(HaltCause.LOSS_STREAK, "4 losing trades in a row", at=at(1800))
    assert run((1800, later), state=halted).halts[0].until == at(5400)
    # A streak whose cool-down is already over raises nothing.
    assert run((7200, event)).allows_entries(at(7200))


def test_stale_data_halts_and_fresh_data_resumes() -> None:
    t = next_state(start(RULES), DataAge(timedelta(seconds=31), "BTCUSDT 1m"), at(0))
    assert t.changed
    assert t.reason == "halt stale_data: BTCUSDT 1m is 31s old, limit 30s (data_fresh)"
    assert not next_state(start(RULES), DataAge(timedelta(seconds=30)), at(0)).changed
    # The operator cannot override stale data.
    still = next_state(t.after, OperatorResume("carol"), at(5))
    assert not still.changed
    assert "stale_data (waits for data_fresh)" in still.reason
    fresh = next_state(t.after, DataAge(timedelta(seconds=1)), at(6))
    assert fresh.changed
    assert fresh.reason == "resume stale_data: market data fresh (1s old)"


def test_venue_error_burst_over_five_per_minute() -> None:
    five = run(*((i * 10, VenueError(f"HTTP 503 #{i}")) for i in range(5)))
    assert five.allows_entries(at(40))
    assert len(five.venue_errors) == 5
    t = next_state(five, VenueError("HTTP 503 #5"), at(50))
    assert t.changed
    assert t.reason.startswith("halt venue_errors: 6 venue errors within 1m, more than 5")
    assert t.after.halts[0].until == at(350)
    # Errors spread out over more than a minute never trip it.
    spread = run(*((i * 13, VenueError("timeout")) for i in range(20)))
    assert spread.allows_entries(at(260))
    # The cool-down ends by itself; an operator may end it early.
    assert t.after.allows_entries(at(350))
    assert next_state(t.after, OperatorResume("dan"), at(60)).after.allows_entries(at(60))


def test_reconciliation_mismatch_holds_until_reconciled() -> None:
    halted = run((0, ReconciliationMismatch("venue shows 0.5 BTC, records 0.4")))
    assert causes(halted, 0) == {HaltCause.RECONCILIATION}
    assert not run((10, OperatorResume("eve")), state=halted).allows_entries(at(10))
    t = next_state(halted, Reconciled("adopted 0.1 BTC"), at(20))
    assert t.changed
    assert t.reason == "resume reconciliation: adopted 0.1 BTC"


@pytest.mark.parametrize(
    ("move", "window_s", "reason"),
    [
        (
            "-0.05",
            60,
            "halt flash_crash: BTCUSDT moved -5% in 1m, limit 5% in 1m until "
            "2024-03-04T12:15:00+00:00",
        ),
        (
            "0.051",
            30,
            "halt flash_crash: BTCUSDT moved 5.1% in 30s, limit 5% in 1m until "
            "2024-03-04T12:15:00+00:00",
        ),
        ("-0.0499", 60, "no change: BTCUSDT moved -4.99% in 1m"),
        ("-0.08", 120, "no change: BTCUSDT moved -8% in 2m"),  # too slow to be a flash crash
    ],
)
def test_flash_crash(move: str, window_s: int, reason: str) -> None:
    t = next_state(start(RULES), PriceMove("BTCUSDT", D(move), timedelta(seconds=window_s)), at(0))
    assert t.reason == reason
    assert t.changed is reason.startswith("halt")


def test_operator_halt_and_resume() -> None:
    t = next_state(start(RULES), OperatorHalt("ops", "emergency stop"), at(0))
    assert t.reason == "halt operator: emergency stop by ops (operator)"
    assert t.after.needs_operator(at(0))
    t = next_state(t.after, OperatorResume("ops"), at(60))
    assert t.after.allows_entries(at(60))


def test_several_halts_clear_independently() -> None:
    state = run(
        (0, DataAge(timedelta(minutes=2))),
        (1, LimitBreached(HaltCause.DAILY_LOSS, "lost 10%")),
        (2, OperatorHalt("ops")),
    )
    assert causes(state, 2) == {HaltCause.STALE_DATA, HaltCause.DAILY_LOSS, HaltCause.OPERATOR}
    state = run((3, OperatorResume("ops")), state=state)
    assert causes(state, 3) == {HaltCause.STALE_DATA, HaltCause.DAILY_LOSS}
    state = run((4, DataAge(timedelta(seconds=1))), (5, DayStarted()), state=state)
    assert state.allows_entries(at(5))


def test_repeated_limit_breach_keeps_the_first_halt() -> None:
    first = run((0, LimitBreached(HaltCause.DAILY_LOSS, "lost 10.0%")))
    t = next_state(first, LimitBreached(HaltCause.DAILY_LOSS, "lost 10.5%"), at(5))
    assert not t.changed
    assert t.after.halts == first.halts
    assert t.reason.startswith("already halted (daily_loss: lost 10.0% (next_day))")


def test_limit_breached_only_for_account_limits() -> None:
    with pytest.raises(ValueError, match="cannot carry cause stale_data"):
        next_state(start(RULES), LimitBreached(HaltCause.STALE_DATA, "x"), at(0))


def test_account_breaches_feed_the_breaker() -> None:
    risk = load_profile("conservative_spot")  # daily 10%, drawdown 25%, streak 5
    state = make_state(
        equity=D(7400),
        peak_equity=D(10000),
        day_start_equity=D(8400),
        consecutive_losses=5,
        last_loss_at=at(-60),
    )
    events = account_breaches(state, risk)
    assert [e.cause for e in events] == [
        HaltCause.DAILY_LOSS,
        HaltCause.DRAWDOWN,
        HaltCause.LOSS_STREAK,
    ]
    assert events[0].detail == "lost 1,000.00 today, limit 10% of 8,400.00 = 840.00"
    state_after = run(*((0, e) for e in events), state=start(risk.breaker))
    assert causes(state_after, 0) == {
        HaltCause.DAILY_LOSS,
        HaltCause.DRAWDOWN,
        HaltCause.LOSS_STREAK,
    }
    assert state_after.halt_for(HaltCause.LOSS_STREAK).until == at(-60) + timedelta(hours=1)  # type: ignore[union-attr]
    assert account_breaches(make_state(), risk) == ()


def test_resume_rules_table_matches_the_documented_policy() -> None:
    assert RESUME_RULES[HaltCause.DRAWDOWN] is ResumeRule.OPERATOR
    assert RESUME_RULES[HaltCause.OPERATOR] is ResumeRule.OPERATOR
    assert RESUME_RULES[HaltCause.DAILY_LOSS] is ResumeRule.NEXT_DAY
    assert RESUME_RULES[HaltCause.STALE_DATA] is ResumeRule.DATA_FRESH
    assert RESUME_RULES[HaltCause.RECONCILIATION] is ResumeRule.RECONCILED
