"""Seed 002's testnet -> mainnet gate: 20 trades, win rate > 50 %, profit factor > 1.3, <= $100."""

from __future__ import annotations

import pytest

from ai_engine.risk import ClosedTrade, GoLiveRules, check_go_live, profit_factor
from ai_engine.risk.verdict import RefusalCode

from .factories import D, at


def trades(*pnls: str) -> list[ClosedTrade]:
    return [ClosedTrade(symbol="BTCUSDT", closed_at=at(i), pnl=D(p)) for i, p in enumerate(pnls)]


def test_a_good_testnet_record_passes() -> None:
    record = trades(*(["2"] * 12 + ["-1"] * 8))  # 60 % wins, factor 24 / 8 = 3
    assert profit_factor(record) == D(3)
    assert check_go_live(record, D(100)).approved


def test_at_the_limits_does_not_pass() -> None:
    # 10 wins of 20 = 50 % (not above); 13 / 10 = 1.3 (not above)
    record = trades(*(["1.3"] * 10 + ["-1"] * 10))
    v = check_go_live(record, D(50))
    assert v.codes == (RefusalCode.GO_LIVE_WIN_RATE, RefusalCode.GO_LIVE_PROFIT_FACTOR)
    assert [r.reason for r in v.refusals] == [
        "go-live: win rate 50% (10 of 20), must be above 50%",
        "go-live: profit factor 1.3, must be above 1.3",
    ]


def test_too_few_trades_and_too_much_capital() -> None:
    v = check_go_live(trades(*(["1"] * 19)), D("100.01"))
    assert v.codes == (RefusalCode.GO_LIVE_TRADES, RefusalCode.GO_LIVE_CAPITAL)
    assert v.refusals[0].reason == "go-live: 19 closed testnet trades, at least 20 needed"
    assert v.refusals[1].reason == (
        "go-live: starting capital 100.01, at most 100.00 on mainnet at first"
    )


def test_no_losses_is_an_infinite_profit_factor_but_no_trades_is_nothing() -> None:
    assert profit_factor(trades("1", "2")) is None
    assert check_go_live(trades(*(["1"] * 20)), D(100)).approved
    v = check_go_live([], D(100))
    assert set(v.codes) == {
        RefusalCode.GO_LIVE_TRADES,
        RefusalCode.GO_LIVE_WIN_RATE,
        RefusalCode.GO_LIVE_PROFIT_FACTOR,
    }


@pytest.mark.parametrize(("wins", "approved"), [(7, True), (6, False)])
def test_rules_can_be_changed(wins: int, approved: bool) -> None:
    rules = GoLiveRules(min_trades=10, min_win_rate=D("0.6"), min_profit_factor=D(1))
    record = trades(*(["1"] * wins + ["-1"] * (10 - wins)))
    assert check_go_live(record, D(10), rules).approved is approved
