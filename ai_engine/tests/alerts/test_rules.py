"""Each alert rule, driven by the events that should (and should not) fire it."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

import pytest

from ai_engine.alerts import rules
from ai_engine.alerts.engine import AlertEngine
from ai_engine.alerts.roundtrips import round_trips
from ai_engine.alerts.rules import Thresholds

from .factories import T0, equity, ev, fill, round_trip

T = Thresholds()


def test_large_fill_fires_at_the_notional_threshold_and_not_below() -> None:
    small = fill("BUY", "50000", "0.0199", at=T0)  # 995
    big = fill("BUY", "50000", "0.02", at=T0)  # 1000
    alerts = rules.large_fill([small, big], T0, T)
    assert [a.key for a in alerts] == [f"fill:{big[0]}"]
    assert "notional 1,000.00" in alerts[0].text


def test_round_trips_net_of_fees_and_flips() -> None:
    entries = [
        fill("BUY", "100", "2", at=T0, fee="0.2"),
        fill(
            "SELL", "110", "3", at=T0 + timedelta(minutes=1), fee="0.33"
        ),  # closes 2, opens 1 short
        fill("BUY", "105", "1", at=T0 + timedelta(minutes=2), fee="0.105"),
    ]
    first, second = round_trips(entries)
    assert (first.side, first.pnl) == ("long", Decimal(20) - Decimal("0.2") - Decimal("0.22"))
    assert (second.side, second.pnl) == ("short", Decimal(5) - Decimal("0.11") - Decimal("0.105"))


def test_trade_pnl_reports_big_wins_and_big_losses_only() -> None:
    entries = [
        *round_trip("100", "160", "2", at=T0),  # +120
        *round_trip("100", "95", "2", at=T0 + timedelta(hours=1)),  # -10
        *round_trip("100", "40", "2", at=T0 + timedelta(hours=2)),  # -120
    ]
    texts = [a.text for a in rules.trade_pnl(entries, T0, T)]
    assert len(texts) == 2
    assert "profit of 120.00" in texts[0]
    assert "loss of -120.00" in texts[1]


def test_daily_loss_from_equity_since_the_day_started() -> None:
    now = T0
    entries = [
        equity("10000", at=now - timedelta(hours=13)),  # yesterday: the day's opening level
        equity("9900", at=now - timedelta(hours=2)),
        equity("9801", at=now),
    ]
    assert rules.daily_loss(entries, now, T) == []  # 199: below the limit
    entries.append(equity("9799", at=now))
    (alert,) = rules.daily_loss(entries, now, T)
    assert alert.key == f"daily_loss:bot-a:{now.date()}"
    assert "daily loss 201.00" in alert.text


def test_daily_loss_from_closed_trades_without_equity_events() -> None:
    entries = round_trip("1000", "895", "2", at=T0)  # -210
    (alert,) = rules.daily_loss(entries, T0 + timedelta(minutes=5), T)
    assert "210.00" in alert.text


def test_breaker_and_kill_switch() -> None:
    refused = ev("risk", {"approved": False, "check": "exposure", "reasons": ["too big"]}, at=T0)
    tripped = ev(
        "risk", {"approved": False, "check": "daily_loss", "reasons": ["loss 201 > 200"]}, at=T0
    )
    halted = ev("bot", {"state": "halted", "mode": "paper", "reason": "stale data"}, at=T0)
    killed = ev("bot", {"state": "stopped", "mode": "paper", "reason": "emergency stop"}, at=T0)
    stopped = ev("bot", {"state": "stopped", "mode": "paper", "reason": "operator"}, at=T0)
    again = ev("bot", {"state": "halted", "mode": "paper", "reason": "stale data"}, at=T0)
    alerts = rules.breaker([refused, tripped, halted, again, killed, stopped], T0, T)
    assert [a.key for a in alerts] == [f"breaker:{e[0]}" for e in (tripped, halted, killed)]
    assert "loss 201 > 200" in alerts[0].text


def test_venue_errors_more_than_five_within_a_minute() -> None:
    def errors(n: int, spacing: timedelta) -> list:
        return [
            ev(
                "venue_error",
                {"code": "-1003", "message": "too many", "endpoint": "/api/v3/order"},
                at=T0 + i * spacing,
            )
            for i in range(n)
        ]

    assert rules.venue_errors(errors(5, timedelta(seconds=1)), T0, T) == []
    assert rules.venue_errors(errors(6, timedelta(seconds=15)), T0, T) == []  # spread over 75 s
    (alert,) = rules.venue_errors(errors(6, timedelta(seconds=10)), T0, T)
    assert "6 venue errors within a minute" in alert.text
    assert "-1003" in alert.text
    storm = errors(60, timedelta(seconds=1))  # one burst, even if it goes on for a minute
    assert len(rules.venue_errors(storm, T0, T)) == 1
    two = [*storm, *errors(6, timedelta(seconds=1))]  # same times: still within repeat_after
    assert len(rules.venue_errors(two, T0, T)) == 1


def test_win_rate_below_40_percent_over_the_last_20_trades() -> None:
    def trades(wins: int, losses: int) -> list:
        out = []
        for i in range(wins + losses):
            exit_ = "110" if i < wins else "90"
            out += round_trip("100", exit_, "1", at=T0 + timedelta(hours=i))
        return out

    assert rules.win_rate(trades(7, 12), T0, T) == []  # 19 trades: too few to judge
    assert rules.win_rate(trades(8, 12), T0, T) == []  # 40 %: not below
    (alert,) = rules.win_rate(trades(7, 13), T0, T)
    assert "win rate 35%" in alert.text


def test_idle_while_running_for_ten_minutes() -> None:
    running = ev("bot", {"state": "running", "mode": "paper", "reason": ""}, at=T0)
    traded = fill("BUY", "100", "1", at=T0 + timedelta(minutes=5))
    entries = [running, traded]
    assert rules.idle(entries, T0 + timedelta(minutes=14), T) == []
    (alert,) = rules.idle(entries, T0 + timedelta(minutes=15), T)
    assert "no trades for 10 minutes" in alert.text
    paused = ev(
        "bot", {"state": "paused", "mode": "paper", "reason": ""}, at=T0 + timedelta(minutes=6)
    )
    assert rules.idle([*entries, paused], T0 + timedelta(hours=1), T) == []


def test_stale_data_from_health_events_and_recovery() -> None:
    stale = ev(
        "health",
        {"component": "market_data", "status": "degraded", "detail": "no bar", "stale_s": 95},
        at=T0,
    )
    ok = ev(
        "health",
        {"component": "market_data", "status": "ok", "detail": "", "stale_s": 1},
        at=T0 + timedelta(minutes=1),
    )
    (alert,) = rules.stale_data([stale], T0, T)
    assert "market_data degraded, data 95 s old: no bar" in alert.text
    assert rules.stale_data([stale, ok], T0, T) == []
    old_but_ok = ev(
        "health", {"component": "ws", "status": "ok", "detail": "", "stale_s": 61}, at=T0
    )
    assert len(rules.stale_data([old_but_ok], T0, T)) == 1


def test_reconciliation_mismatch_until_it_matches_again() -> None:
    bad = ev("reconciliation", {"ok": False, "mismatches": ["BTC: venue 0.5, book 0.4"]}, at=T0)
    good = ev("reconciliation", {"ok": True, "mismatches": []}, at=T0 + timedelta(minutes=1))
    (alert,) = rules.reconciliation([bad], T0, T)
    assert "BTC: venue 0.5, book 0.4" in alert.text
    assert rules.reconciliation([bad, good], T0, T) == []


def test_daily_summary_after_the_configured_time_for_yesterday() -> None:
    yesterday = T0 - timedelta(days=1)
    entries = [
        *round_trip("100", "130", "5", at=yesterday),
        *round_trip("100", "90", "1", at=yesterday),
    ]
    morning = T0.replace(hour=0, minute=4)
    assert rules.daily_summary(entries, morning, T) == []
    (alert,) = rules.daily_summary(entries, morning.replace(minute=5), T)
    assert alert.key == f"daily_summary:{yesterday.date()}"
    assert "bot-a: 2 trades (1 won, win rate 50%), 4 fills, net P&L 140.00" in alert.text
    later = Thresholds(daily_summary_at=time(8))
    assert rules.daily_summary(entries, morning.replace(minute=5), later) == []


def test_engine_sends_once_repeats_lasting_conditions_and_primes() -> None:
    engine = AlertEngine(Thresholds(repeat_after=timedelta(minutes=30)))
    engine.observe([fill("BUY", "50000", "1", at=T0)])
    engine.observe([ev("reconciliation", {"ok": False, "mismatches": ["x"]}, at=T0)])
    assert sorted(a.rule for a in engine.due(T0)) == ["large_fill", "reconciliation"]
    assert engine.due(T0 + timedelta(minutes=29)) == []
    assert [a.rule for a in engine.due(T0 + timedelta(minutes=30))] == ["reconciliation"]
    fresh = AlertEngine(T)
    fresh.observe(engine.entries)
    assert fresh.prime(T0) == 2
    assert fresh.due(T0 + timedelta(minutes=1)) == []


def test_engine_drops_events_older_than_its_window() -> None:
    engine = AlertEngine(T, window=timedelta(hours=1))
    engine.observe([ev("reconciliation", {"ok": False, "mismatches": ["x"]}, at=T0)])
    engine.observe([ev("bar", {"close": "1"}, at=T0)])  # not a watched type
    assert len(engine.entries) == 1
    assert engine.due(T0 + timedelta(hours=2)) == []


@pytest.mark.parametrize("rule", rules.RULES)
def test_every_rule_is_quiet_on_no_events(rule: rules.Rule) -> None:
    assert rule([], T0, T) == []
