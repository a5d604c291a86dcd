"""A close-out at market the venue does not fill -- a halted market, where every market order
expires in an empty book (2023-03-24, docs/execution.md "A halted market") -- and the exit
manager's retry policy (``ExitRetry``): the stop goes back and rests untouched; the next
attempts come after 1, 2, 4, 8, 16, 16 ... new bars, only on a bar that traded; each attempt is
a new order; a stop fill while waiting closes the position and ends the retry."""

from __future__ import annotations

import json
from datetime import datetime

from ai_engine.domain import OrderSide, PositionSide, Price, Quantity
from ai_engine.execution.exits import (
    CancelExit,
    Distance,
    ExitAction,
    ExitManager,
    ExitPlan,
    ExitReason,
    MarketExit,
    PlaceStop,
    TimeStop,
    state_from_primitive,
    state_to_primitive,
)
from ai_engine.execution.exits.state import violations

from .exit_factories import SPOT, T0, USDM, D, at

PRICE = Price(50000)


def plan(*, reduce_only: bool) -> ExitPlan:
    return ExitPlan(stop=Distance.percent("0.01"), time_stop=TimeStop(bars=2), flash_crash=None,
                    reduce_only_venue=reduce_only)  # fmt: skip


def halted(manager: ExitManager, actions: list[ExitAction]) -> list[ExitAction]:
    """Execute ``actions`` at a venue that trades nothing: every market exit expires."""
    done: list[ExitAction] = []
    queue = list(actions)
    while queue:
        action = queue.pop(0)
        done.append(action)
        if isinstance(action, MarketExit):
            queue += manager.on_exit_failed(tag=action.tag, detail="expired: empty book")
    return done


def bar(
    manager: ExitManager, ts: datetime, volume: D | None = None, low: int = 50000
) -> list[ExitAction]:
    return manager.on_bar(ts=ts, high=PRICE, low=Price(low), close=PRICE, volume=volume)


def test_a_halted_market_spaces_the_time_stops_retries_and_leaves_the_stop_alone() -> None:
    manager = ExitManager(plan(reduce_only=False), SPOT)  # spot: cancel first, then sell
    manager.on_entry_filled(side=PositionSide.LONG, price=PRICE, quantity=Quantity("0.1"),
                            fee=D(0), ts=T0, anchor=T0)  # fmt: skip
    by_minute: dict[int, list[ExitAction]] = {}
    for minute in range(1, 61):
        done = halted(manager, bar(manager, at(minute)))  # volume unknown: backoff alone
        if done:
            by_minute[minute] = done
        state = manager.state
        assert state is not None
        assert not violations(state)
        assert state.stop is not None
        assert state.stop.quantity == Quantity("0.1")
    # The time stop at bar 2, then waits of 1, 2, 4, 8, 16, 16 bars (it was every bar: 59).
    assert list(by_minute) == [2, 3, 5, 9, 17, 33, 49]
    for minute, done in by_minute.items():  # each attempt: cancel, market (expires), stop back
        assert [type(a) for a in done] == [CancelExit, MarketExit, PlaceStop], minute
        assert all(a.reason is ExitReason.TIME_STOP for a in done[:2])
    markets = [done[1] for done in by_minute.values()]
    assert len({m.tag for m in markets}) == len(markets)  # every attempt a new order
    assert "attempt 7" in markets[-1].detail
    assert manager.state is not None
    assert manager.state.retry is not None
    assert manager.state.retry.failures == 7


def test_a_due_retry_waits_for_a_bar_that_traded_and_a_repeated_bar_does_not_count() -> None:
    manager = ExitManager(plan(reduce_only=True), USDM)  # a short on USD-M: market first
    manager.on_entry_filled(side=PositionSide.SHORT, price=PRICE, quantity=Quantity("0.1"),
                            fee=D(0), ts=T0, anchor=T0)  # fmt: skip
    bar(manager, at(1), D(5))
    first = halted(manager, bar(manager, at(2), D(5)))
    assert [type(a) for a in first] == [MarketExit, CancelExit, PlaceStop]
    assert halted(manager, bar(manager, at(2), D(5))) == []  # the same bar again: no count
    for minute in range(3, 8):  # due from bar 3, but nothing trades
        assert halted(manager, bar(manager, at(minute), D(0))) == []
    # The first bar with volume: the next attempt, and this one fills.
    retry = bar(manager, at(8), D(3))
    assert [type(a) for a in retry] == [MarketExit, CancelExit]
    market = retry[0]
    assert isinstance(market, MarketExit)
    assert market.side is OrderSide.BUY
    assert market.reason is ExitReason.TIME_STOP
    assert "attempt 2" in market.detail
    manager.on_fill(tag=market.tag, quantity=market.quantity, price=PRICE, ts=at(8))
    state = manager.state
    assert state is not None
    assert state.closed
    assert state.retry is None
    assert state.close_reason is ExitReason.TIME_STOP


def test_a_stop_fill_while_waiting_closes_and_a_signal_waits_with_the_close_out() -> None:
    manager = ExitManager(plan(reduce_only=False), SPOT)
    manager.on_entry_filled(side=PositionSide.LONG, price=PRICE, quantity=Quantity("0.1"),
                            fee=D(0), ts=T0, anchor=T0)  # fmt: skip
    bar(manager, at(1))
    halted(manager, bar(manager, at(2)))  # time stop, expired: the stop is back
    assert manager.on_signal(side=OrderSide.SELL, score=None, ts=at(2)) == []
    state = manager.state
    assert state is not None
    assert state.retry is not None
    assert state.stop is not None
    # Saved and restored while it waits (and a record from before the retry existed loads).
    saved = json.loads(json.dumps(state_to_primitive(state)))
    assert state_from_primitive(saved) == state
    old = {k: v for k, v in saved.items() if k not in ("retry", "last_bar")}
    assert state_from_primitive(old).retry is None
    stop = state.stop
    actions = manager.on_fill(tag=stop.tag, quantity=stop.quantity, price=stop.stop_price,
                              ts=at(3))  # fmt: skip
    assert actions == []
    closed = manager.state
    assert closed is not None
    assert closed.closed
    assert closed.retry is None
    assert closed.close_reason is ExitReason.STOP_LOSS
