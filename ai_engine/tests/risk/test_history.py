"""``risk.history.with_history``: the history part of ``RiskState`` from the bot's record.

A hand-worked record, then properties: the order of the record's trades does not matter and
trades after ``now`` do not count, one more losing trade today never turns a refused entry into
an approved one, and the record's drawdown fraction carries over to any equity scale (the
trader's books and the worker's account)."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ai_engine.domain import DomainValueError
from ai_engine.risk import BreakerRules, ClosedTrade, RiskLimits, check_order
from ai_engine.risk.history import RiskHistory, day_start, lookback, with_history
from ai_engine.risk.verdict import RefusalCode

from .factories import PROPERTY_SETTINGS, T0, at, make_intent, make_state

D = Decimal
LIMITS = RiskLimits(
    name="history", require_stop=False, daily_loss_amount=D(100), daily_trade_cap=3,
    min_trade_interval=timedelta(seconds=30), stop_loss_cooldown=timedelta(minutes=2),
    breaker=BreakerRules(loss_streak=3, loss_streak_cooldown=timedelta(minutes=10)),
)  # fmt: skip


def trade(seconds: float, pnl: object, *, by_stop: bool = False) -> ClosedTrade:
    return ClosedTrade(symbol="BTCUSDT", closed_at=at(seconds), pnl=D(str(pnl)), by_stop=by_stop)


def test_a_hand_worked_record() -> None:
    history = RiskHistory(
        trades=(
            trade(-3600, "25"),  # a win ends the streak before it
            trade(-600, "-10", by_stop=True),
            trade(-300, "-15"),
            trade(+60, "-999"),  # after now: not yet
        ),
        realised_today=D(0), last_stop_loss_at=at(-600), entries_today=3,
        last_entry_at=at(-320), drawdown=D("0.2"),
    )  # fmt: skip
    state = with_history(make_state(equity=D(8000), peak_equity=D(8000)), history, T0)
    assert (state.realised_pnl_today, state.day_start_equity) == (D(0), D(8000))
    assert state.consecutive_losses == 2
    assert (state.last_loss_at, state.last_stop_loss_at) == (at(-300), at(-600))
    assert (state.last_entry_at, state.trades_today) == (at(-320), 3)
    assert state.peak_equity == D(10000)  # 8,000 is 20 % below its peak
    assert [t.pnl for t in state.recent_trades] == [D(25), D(-10), D(-15)]
    verdict = check_order(make_intent(), state, LIMITS, T0)
    # Three entries today (the cap), the last 5m20s ago (> 30 s), the stop 10 min ago (> 2 min),
    # two losses in a row (< 3): the cap alone refuses.
    assert {r.code for r in verdict.refusals} == {RefusalCode.DAILY_TRADE_CAP}
    lost = with_history(make_state(), RiskHistory(realised_today=D(-100)), T0)
    assert (lost.loss_today, lost.day_start_equity) == (D(100), D(10100))
    assert lookback(LIMITS) == timedelta(minutes=10)
    assert day_start(T0) == T0 - timedelta(hours=12)


def test_the_weeks_realised_loss_is_the_weekly_limits_and_not_the_days() -> None:
    # $500 lost this week, $100 of it today: the weekly limit ($400) refuses, the daily
    # ($1,000) does not.
    limits = RiskLimits(name="week", require_stop=False, daily_loss_amount=D(1000),
                        weekly_loss_amount=D(400))  # fmt: skip
    history = RiskHistory(realised_today=D(-100), realised_week=D(-500))
    state = with_history(make_state(), history, T0)
    assert (state.loss_today, state.loss_this_week) == (D(100), D(500))
    assert state.week_start_equity == state.equity + 500
    verdict = check_order(make_intent(), state, limits, T0)
    assert RefusalCode.WEEKLY_LOSS_LIMIT in {r.code for r in verdict.refusals}
    assert RefusalCode.DAILY_LOSS_LIMIT not in {r.code for r in verdict.refusals}
    quiet = with_history(make_state(), RiskHistory(realised_today=D(-100),
                                                   realised_week=D(-100)), T0)  # fmt: skip
    assert check_order(make_intent(), quiet, limits, T0).approved


def test_a_bad_record_is_refused_naming_the_field() -> None:
    with pytest.raises(DomainValueError, match="drawdown"):
        RiskHistory(drawdown=D("1.5"))
    with pytest.raises(DomainValueError, match="entries_today"):
        RiskHistory(entries_today=-1)


def _closed(seconds: int, pnl: Decimal, by_stop: bool) -> ClosedTrade:
    return ClosedTrade(symbol="X", closed_at=at(seconds), pnl=pnl, by_stop=by_stop)


_pnl = st.decimals(min_value=-80, max_value=60, places=2)
_trades = st.lists(
    st.builds(_closed, st.integers(min_value=-86400, max_value=3600), _pnl, st.booleans()),
    max_size=12,
)
_records = st.builds(
    RiskHistory, trades=_trades.map(tuple), realised_today=_pnl,
    entries_today=st.integers(min_value=0, max_value=4),
    last_entry_at=st.one_of(st.none(), st.integers(-3600, 0).map(at)),
    last_stop_loss_at=st.one_of(st.none(), st.integers(-3600, 0).map(at)),
)  # fmt: skip


@PROPERTY_SETTINGS
@given(_trades, st.randoms(use_true_random=False))
def test_the_trades_order_does_not_matter_and_the_future_does_not_count(
    trades: list[ClosedTrade], rng: random.Random
) -> None:
    state = make_state()
    base = with_history(state, RiskHistory(trades=tuple(trades)), T0)
    shuffled = [t for t in trades if t.closed_at <= T0]
    rng.shuffle(shuffled)
    again = with_history(state, RiskHistory(trades=tuple(shuffled)), T0)
    assert (again.consecutive_losses, again.last_loss_at, again.recent_trades) == (
        base.consecutive_losses, base.last_loss_at, base.recent_trades,
    )  # fmt: skip
    # The streak: the newest trades up to now that lost, in a row.
    newest_first = sorted(shuffled, key=lambda t: (t.closed_at, t.pnl), reverse=True)
    wins = [i for i, t in enumerate(newest_first) if t.pnl >= 0]
    assert base.consecutive_losses == (wins[0] if wins else len(newest_first))


@PROPERTY_SETTINGS
@given(_records, st.integers(min_value=0, max_value=3599), _pnl.filter(lambda p: p < 0))
def test_one_more_loss_today_never_approves_a_refused_entry(
    record: RiskHistory, ago: int, loss: Decimal
) -> None:
    state, intent = make_state(), make_intent()
    worse = RiskHistory(
        trades=(*record.trades, trade(-ago, loss)), realised_today=record.realised_today + loss,
        entries_today=record.entries_today, last_entry_at=record.last_entry_at,
        last_stop_loss_at=record.last_stop_loss_at,
    )  # fmt: skip
    before = check_order(intent, with_history(state, record, T0), LIMITS, T0)
    after = check_order(intent, with_history(state, worse, T0), LIMITS, T0)
    if not before.approved:
        assert not after.approved
    # Every refusal stays; the daily headroom may become the daily limit itself.
    refused = {r.code for r in after.refusals}
    for code in (r.code for r in before.refusals):
        limit = code is RefusalCode.DAILY_LOSS_HEADROOM and RefusalCode.DAILY_LOSS_LIMIT
        assert code in refused or limit in refused


@PROPERTY_SETTINGS
@given(
    st.decimals(min_value=0, max_value=D("0.99"), places=4),
    st.decimals(min_value=1, max_value=10**7, places=2),
)
def test_the_records_drawdown_fraction_holds_on_any_equity_scale(
    drawdown: Decimal, equity: Decimal
) -> None:
    state = make_state(equity=equity, starting_equity=equity, peak_equity=equity)
    filled = with_history(state, RiskHistory(drawdown=drawdown), T0)
    assert abs(filled.drawdown / filled.peak_equity - drawdown) < D("1e-20")
    limits = RiskLimits(name="dd", require_stop=False, max_drawdown_fraction=D("0.1"))
    verdict = check_order(make_intent(), filled, limits, T0)
    refused = RefusalCode.DRAWDOWN_LIMIT in {r.code for r in verdict.refusals}
    assert refused == (drawdown >= D("0.1"))
