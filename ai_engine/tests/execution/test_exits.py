"""The exit manager, case by case: each rule with hand-worked prices and the action order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ai_engine.domain import DomainValueError, OrderSide, OrderType, PositionSide, Price, Quantity
from ai_engine.execution import parse_client_order_id
from ai_engine.execution.client_ids import Purpose
from ai_engine.execution.exits import (
    CancelExit,
    Distance,
    ExitPlan,
    ExitReason,
    ExitStateError,
    ExitTag,
    FlashCrash,
    MarketExit,
    MoveStop,
    PlaceStop,
    PlaceTakeProfit,
    TakeProfitLevel,
    TimeStop,
    violations,
)

from .exit_factories import SPOT, T0, D, at, bar, opened, seed004_plan


def test_first_action_is_the_protective_stop_then_resting_take_profits() -> None:
    manager, actions = opened(seed004_plan())
    stop = actions[0]
    assert isinstance(stop, PlaceStop)
    assert (stop.side, stop.quantity, stop.stop_price) == (
        OrderSide.SELL, Quantity("0.1"), Price("49500.0"),
    )  # fmt: skip
    assert stop.tag == ExitTag(Purpose.STOP_LOSS, 0)
    assert stop.reason is ExitReason.STOP_LOSS
    tps = actions[1:]
    assert [type(a) for a in tps] == [PlaceTakeProfit] * 3
    assert [(a.price, a.quantity) for a in tps if isinstance(a, PlaceTakeProfit)] == [
        (Price(50500), Quantity("0.025")),  # 1R: risk 500
        (Price(51000), Quantity("0.025")),
        (Price(51500), Quantity("0.025")),
    ]
    # maker 0.02 % < taker 0.04 %: limits (maker)
    assert all(a.order_type is OrderType.LIMIT for a in tps if isinstance(a, PlaceTakeProfit))
    assert manager.state is not None
    assert violations(manager.state) == []


def test_take_profit_is_a_taker_trigger_when_maker_is_not_cheaper() -> None:
    _, actions = opened(seed004_plan(maker_fee_rate=D("0.0004")))
    assert {a.order_type for a in actions if isinstance(a, PlaceTakeProfit)} == {
        OrderType.TAKE_PROFIT_MARKET
    }


def test_stop_rounds_towards_the_entry_and_must_be_on_the_losing_side() -> None:
    _, actions = opened(seed004_plan(), stop_price=Price("49123.45"))
    assert isinstance(actions[0], PlaceStop)
    assert actions[0].stop_price == Price("49123.5")
    _, short = opened(seed004_plan(), side=PositionSide.SHORT, stop_price=Price("50876.55"))
    assert isinstance(short[0], PlaceStop)
    assert short[0].stop_price == Price("50876.5")
    assert short[0].side is OrderSide.BUY
    with pytest.raises(DomainValueError, match="losing side"):
        opened(seed004_plan(), stop_price=Price(50100))


def test_atr_stop_needs_an_atr_and_a_plan_needs_a_stop() -> None:
    plan = seed004_plan(stop=Distance.atr(2))
    _, actions = opened(plan, atr=D(150))
    assert isinstance(actions[0], PlaceStop)
    assert actions[0].stop_price == Price(49700)
    with pytest.raises(DomainValueError, match="needs a positive ATR"):
        opened(plan)
    with pytest.raises(DomainValueError, match="no protective stop"):
        opened(seed004_plan(stop=None))
    with pytest.raises(DomainValueError, match="cannot be measured in R"):
        seed004_plan(stop=Distance.r(1))
    with pytest.raises(DomainValueError, match=r"sum to 1\.2"):
        ExitPlan(take_profits=(TakeProfitLevel(Distance.r(1), D("0.6")),) * 2)


def test_breakeven_includes_both_fees_and_take_profit_fill_shrinks_the_stop() -> None:
    manager, _ = opened(seed004_plan())
    actions = bar(manager, 1, high=50600, low=50000, close=50550)
    move = actions[0]
    assert isinstance(move, MoveStop)
    assert move.place_first
    # (50000 x 0.1 + 2 fee) / (0.1 x (1 - 0.0004)) = 50040.016..., rounded up to the tick
    assert move.place.stop_price == Price("50040.1")
    assert move.cancel == ExitTag(Purpose.STOP_LOSS, 0)
    assert move.place.tag == ExitTag(Purpose.STOP_LOSS, 1)
    first_tp = ExitTag(Purpose.TAKE_PROFIT, 0)
    actions = manager.on_fill(tag=first_tp, quantity=Quantity("0.01"), price=Price(50500), ts=at(1))
    assert isinstance(actions[0], MoveStop)
    assert actions[0].place.quantity == Quantity("0.09")  # partial TP fill: stop shrinks
    assert actions[0].place.stop_price == Price("50040.1")  # same level
    actions = manager.on_fill(
        tag=first_tp, quantity=Quantity("0.015"), price=Price(50500), ts=at(1)
    )
    assert isinstance(actions[0], MoveStop)
    assert actions[0].place.quantity == Quantity("0.075")


def test_trailing_stop_follows_the_best_price_and_never_loosens() -> None:
    manager, _ = opened(seed004_plan(breakeven=None))
    assert bar(manager, 1, high=50900, low=50000, close=50800) == []  # below 2R: not active
    actions = bar(manager, 2, high=51100, low=50800, close=51050)
    assert isinstance(actions[0], MoveStop)
    assert actions[0].place.stop_price == Price(50850)  # 51100 - 0.5 % of the entry (250)
    assert actions[0].reason is ExitReason.TRAILING_STOP
    assert actions[0].tag == ExitTag(Purpose.TRAILING_STOP, 0)
    assert bar(manager, 3, high=51000, low=50900, close=50950) == []  # lower high: no move
    actions = bar(manager, 4, high=51400, low=51000, close=51300)
    assert isinstance(actions[0], MoveStop)
    assert actions[0].place.stop_price == Price(51150)
    assert actions[0].cancel == ExitTag(Purpose.TRAILING_STOP, 0)


def test_trailing_exits_at_market_when_the_close_is_already_past_its_level() -> None:
    manager, _ = opened(seed004_plan(breakeven=None, take_profits=()))
    actions = bar(manager, 1, high=51200, low=50700, close=50800)  # 2R reached, fell back
    assert isinstance(actions[0], MarketExit)
    assert actions[0].reason is ExitReason.TRAILING_STOP
    assert actions[0].quantity == Quantity("0.1")
    assert isinstance(actions[1], CancelExit)  # market first on a reduce-only venue


def test_spot_watches_take_profits_and_frees_the_base_asset_first() -> None:
    plan = seed004_plan(reduce_only_venue=False, maker_fee_rate=D("0.001"),
                        taker_fee_rate=D("0.001"), breakeven=None)  # fmt: skip
    manager, actions = opened(plan, instrument=SPOT, quantity="0.1")
    assert [type(a) for a in actions] == [PlaceStop]  # nothing else may lock the BTC
    actions = bar(manager, 1, high=51000, low=50100, close=50900)  # 1R and 2R reached
    assert [type(a) for a in actions] == [MoveStop, MarketExit, MarketExit]
    move = actions[0]
    assert isinstance(move, MoveStop)
    assert not move.place_first
    assert move.place.quantity == Quantity("0.05")
    assert [a.quantity for a in actions[1:] if isinstance(a, MarketExit)] == [
        Quantity("0.025"), Quantity("0.025"),
    ]  # fmt: skip
    assert manager.state is not None
    assert manager.state.in_flight == Quantity("0.05")


def test_last_level_of_a_full_plan_takes_what_remains() -> None:
    plan = seed004_plan(
        take_profits=(TakeProfitLevel(Distance.r(1), D("0.3")),
                      TakeProfitLevel(Distance.r(2), D("0.7"))),
    )  # fmt: skip
    _, actions = opened(plan, quantity="0.011")
    tps = [a for a in actions if isinstance(a, PlaceTakeProfit)]
    assert [a.quantity for a in tps] == [Quantity("0.003"), Quantity("0.008")]


def test_levels_below_the_minimum_quantity_are_dropped() -> None:
    _, actions = opened(seed004_plan(), quantity="0.003")  # 25 % = 0.00075 < 0.001
    assert [type(a) for a in actions] == [PlaceStop]


def test_time_stop_by_bars_and_by_duration() -> None:
    manager, _ = opened(seed004_plan(time_stop=TimeStop(bars=2), take_profits=()))
    assert bar(manager, 1, 50100, 49900, 50000) == []
    actions = bar(manager, 2, 50100, 49900, 50000)
    assert isinstance(actions[0], MarketExit)
    assert actions[0].reason is ExitReason.TIME_STOP
    assert actions[0].tag.purpose is Purpose.EXIT
    manager, _ = opened(seed004_plan(time_stop=TimeStop(duration=timedelta(minutes=30))))
    assert bar(manager, 29, 50100, 49900, 50000) == []
    actions = bar(manager, 30, 50100, 49900, 50000)
    assert isinstance(actions[0], MarketExit)
    assert "time stop" in actions[0].detail


def test_signal_reversal_needs_the_closing_side_and_the_score() -> None:
    manager, _ = opened(seed004_plan(reversal_min_score=D(70)))
    assert manager.on_signal(side=OrderSide.BUY, score=D(99), ts=at(1)) == []
    assert manager.on_signal(side=OrderSide.SELL, score=D(69), ts=at(1)) == []
    assert manager.on_signal(side=OrderSide.SELL, score=None, ts=at(1)) == []
    actions = manager.on_signal(side=OrderSide.SELL, score=D(70), ts=at(1))
    assert isinstance(actions[0], MarketExit)
    assert actions[0].reason is ExitReason.SIGNAL
    assert [type(a) for a in actions[1:]] == [CancelExit] * 4  # the stop and three TPs
    assert manager.on_signal(side=OrderSide.SELL, score=D(90), ts=at(2)) == []  # in flight


def test_flash_crash_needs_more_than_five_percent_within_the_minute() -> None:
    manager, _ = opened(seed004_plan(take_profits=()))
    assert manager.on_tick(ts=at(0), price=Price(50000)) == []
    assert manager.on_tick(ts=at(0.5), price=Price(47500)) == []  # exactly 5 %: not more
    assert manager.on_tick(ts=at(2), price=Price(45000)) == []  # 5.26 % but over 90 s
    actions = manager.on_tick(ts=at(2.5), price=Price(47400))  # +5.33 % within a minute
    assert isinstance(actions[0], MarketExit)
    assert actions[0].reason is ExitReason.RISK
    assert actions[0].tag.purpose is Purpose.FLASH_EXIT


def test_flash_crash_rule_can_be_switched_off() -> None:
    manager, _ = opened(seed004_plan(flash_crash=None))
    manager.on_tick(ts=at(0), price=Price(50000))
    assert manager.on_tick(ts=at(0.1), price=Price(40000)) == []
    assert FlashCrash().move == D("0.05")


def test_refused_stop_becomes_a_market_exit_and_failed_exit_restores_the_stop() -> None:
    manager, _ = opened(seed004_plan(take_profits=()))
    actions = manager.on_exit_failed(tag=ExitTag(Purpose.STOP_LOSS, 0), detail="-2021")
    assert [type(a) for a in actions] == [MarketExit]
    assert actions[0].reason is ExitReason.STOP_LOSS
    assert "refused" in actions[0].detail
    exit_tag = actions[0].tag
    fill = manager.on_fill(tag=exit_tag, quantity=Quantity("0.04"), price=Price(49400), ts=at(1))
    assert fill == []  # in flight covers the rest
    actions = manager.on_exit_failed(tag=exit_tag, detail="expired")
    assert isinstance(actions[0], PlaceStop)
    assert actions[0].quantity == Quantity("0.06")
    assert manager.state is not None
    assert manager.state.stop is not None


def test_stop_fill_closes_the_position_and_cancels_the_take_profits() -> None:
    manager, _ = opened(seed004_plan())
    actions = manager.on_fill(
        tag=ExitTag(Purpose.STOP_LOSS, 0), quantity=Quantity("0.1"), price=Price(49500), ts=at(3)
    )
    assert [type(a) for a in actions] == [CancelExit] * 3
    assert manager.state is not None
    assert manager.state.closed
    assert manager.state.close_reason is ExitReason.STOP_LOSS
    assert bar(manager, 4, 51000, 49000, 50000) == []


def test_a_late_fill_of_a_replaced_stop_still_counts() -> None:
    manager, _ = opened(seed004_plan(take_profits=()))
    bar(manager, 1, high=50600, low=50000, close=50550)  # breakeven: stop #0 -> #1
    actions = manager.on_fill(
        tag=ExitTag(Purpose.STOP_LOSS, 0), quantity=Quantity("0.1"), price=Price(49500), ts=at(1)
    )
    assert [type(a) for a in actions] == [CancelExit]  # the new stop is not needed any more
    assert actions[0].tag == ExitTag(Purpose.STOP_LOSS, 1)
    assert manager.state is not None
    assert manager.state.closed


def test_fills_the_state_cannot_place_raise() -> None:
    manager, _ = opened(seed004_plan())
    with pytest.raises(ExitStateError, match="not an exit order"):
        manager.on_fill(tag=ExitTag(Purpose.EXIT, 7), quantity=Quantity("0.01"),
                        price=Price(50000), ts=at(1))  # fmt: skip
    with pytest.raises(ExitStateError, match="remains"):
        manager.on_fill(tag=ExitTag(Purpose.STOP_LOSS, 0), quantity=Quantity("0.2"),
                        price=Price(49500), ts=at(1))  # fmt: skip


def test_more_of_the_entry_filling_grows_the_stop() -> None:
    manager, _ = opened(seed004_plan(take_profits=()))
    actions = manager.on_entry_filled(
        side=PositionSide.LONG, price=Price(50100), quantity=Quantity("0.1"), fee=D(2),
        ts=at(0.1), anchor=T0,
    )  # fmt: skip
    assert isinstance(actions[0], MoveStop)
    assert actions[0].place.quantity == Quantity("0.2")
    assert actions[0].place.stop_price == Price("49500.0")
    assert manager.state is not None
    assert manager.state.entry_price == D(50050)


def test_tags_mint_distinct_client_ids_and_read_back() -> None:
    tags = [ExitTag(p, n) for p in (Purpose.STOP_LOSS, Purpose.TAKE_PROFIT) for n in (0, 1)]
    ids = {t.client_order_id(bot_id="bot-1", anchor=T0, symbol="BTCUSDT") for t in tags}
    assert len(ids) == 4
    for tag in tags:
        text = tag.client_order_id(bot_id="bot-1", anchor=T0, symbol="BTCUSDT")
        assert ExitTag.of_client_order_id(text) == tag
        parts = parse_client_order_id(text)
        assert parts is not None
        assert parts.bar_time == T0
    entry = "ffmo3rc20s9tuy0E00BTCUSDT"
    assert ExitTag.of_client_order_id(entry) is None
    with pytest.raises(DomainValueError):
        ExitTag(Purpose.ENTRY, 0)


def test_a_manager_restarts_from_its_saved_state() -> None:
    from ai_engine.execution.exits import ExitManager

    manager, _ = opened(seed004_plan())
    bar(manager, 1, high=50600, low=50000, close=50550)
    again = ExitManager(seed004_plan(), manager.instrument, manager.state)
    assert again.state == manager.state
    actions = bar(again, 2, high=50600, low=50200, close=50300)
    assert actions == []  # breakeven already done; the restarted manager knows it
