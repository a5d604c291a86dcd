"""Property: entries sized and approved under each named profile, then managed by the exit
manager through any price path, never produce an order that breaks a configured limit.

For ``conservative_spot`` (spot), ``futures_challenge``, ``ultra_short`` and ``trinity``
(USD-M), hypothesis draws the account's equity, the entry price, the stop distance, the side
and a path of bars. The entry is sized by risk (``size_by_risk`` at the per-trade fraction in
force, capped by the position-size cap at the leverage in force) and must pass
``check_order``; when it does:

- the protective stop the exit manager actually places (rounded to the tick) loses no more
  than the per-trade cap at the stop, fees included -- the number ``check_order`` approved;
- as the path unfolds, every stop it moves to loses no more than that (stops only tighten);
- every order it asks for (stop, take profit, market exit) is an exit that ``check_order``
  approves even in an account with every entry limit broken and an operator halt, and is
  never larger than the position.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from ai_engine.domain import OrderSide, PositionSide, Price, Quantity
from ai_engine.domain.instrument_examples import binance_spot_btcusdt, binance_usdm_btcusdt
from ai_engine.execution.exits import (
    Breakeven,
    Distance,
    ExitAction,
    ExitManager,
    ExitPlan,
    MarketExit,
    MoveStop,
    PlaceStop,
    PlaceTakeProfit,
    TakeProfitLevel,
    TrailingStop,
)
from ai_engine.risk import (
    OperatorHalt,
    OrderIntent,
    check_order,
    limits_in_force,
    load_profile,
    next_state,
    size_by_risk,
)
from ai_engine.risk.breaker import start

from .factories import PROPERTY_SETTINGS, T0, D, at, make_position, make_state

SPOT, USDM = binance_spot_btcusdt(), binance_usdm_btcusdt()
PROFILES = ["conservative_spot", "futures_challenge", "ultra_short", "trinity"]


def loss_at(long: bool, entry: Decimal, stop: Decimal, quantity: Decimal, fee: Decimal) -> Decimal:
    """What the position loses if its stop fills at ``stop``, both fees included (negative:
    a stop in profit)."""
    adverse = entry - stop if long else stop - entry
    return quantity * adverse + quantity * entry * fee + quantity * stop * fee


def exit_intent(action: ExitAction, price: Decimal, fee: Decimal, spot: bool) -> OrderIntent:
    place = action.place if isinstance(action, MoveStop) else action
    assert isinstance(place, PlaceStop | PlaceTakeProfit | MarketExit)
    return OrderIntent(
        symbol="BTCUSDT", side=place.side, quantity=place.quantity, price=Price(price),
        entry_fee_rate=fee, exit_fee_rate=fee, reduce_only=not spot,
    )  # fmt: skip


@pytest.mark.parametrize("profile", PROFILES)
@PROPERTY_SETTINGS
@given(
    equity=st.integers(200, 200_000),
    price=st.integers(5_000, 100_000),
    stop_bps=st.integers(10, 400),
    long=st.booleans(),
    moves=st.lists(st.tuples(st.integers(-150, 150), st.integers(0, 120), st.integers(0, 120)),
                   max_size=25),
)  # fmt: skip
def test_managed_positions_never_break_a_limit(
    profile: str, equity: int, price: int, stop_bps: int, long: bool,
    moves: list[tuple[int, int, int]],
) -> None:  # fmt: skip
    limits = load_profile(profile)
    spot = profile == "conservative_spot"
    instrument, fee = (SPOT, D("0.001")) if spot else (USDM, D("0.0004"))
    long = long or spot  # spot cannot short
    state = make_state(equity=D(equity), starting_equity=D(equity), peak_equity=D(equity),
                       day_start_equity=D(equity), week_start_equity=D(equity))  # fmt: skip
    in_force = limits_in_force(limits, state)
    cap = min(
        c for c in (
            None if in_force.trade_loss_fraction is None else in_force.trade_loss_fraction * equity,
            limits.trade_loss_amount,
        ) if c is not None
    )  # fmt: skip
    entry = Price(price)
    sign = 1 if long else -1
    stop = Price(D(price) * (1 - sign * D(stop_bps) / 10_000))  # off the tick: the manager rounds
    sized = size_by_risk(equity=D(equity), risk_fraction=cap / equity, price=entry, stop=stop,
                         instrument=instrument, entry_fee_rate=fee, exit_fee_rate=fee)  # fmt: skip
    if not sized.ok:
        event("too small to size")
        return
    leverage = in_force.max_leverage
    quantity = sized.quantity.value
    if in_force.position_fraction is not None:  # margin cap at the leverage in force
        top = instrument.round_quantity(in_force.position_fraction * equity * leverage / price)
        quantity = min(quantity, top.value)
    if quantity < instrument.min_quantity or quantity * price < instrument.min_notional:
        event("capped below the minimum")
        return
    target = Price(D(price) + sign * 4 * abs(D(price) - stop.value))
    intent = OrderIntent(
        symbol="BTCUSDT", side=OrderSide.BUY if long else OrderSide.SELL,
        quantity=Quantity(quantity), price=entry, stop_price=stop, target_price=target,
        entry_fee_rate=fee, exit_fee_rate=fee, leverage=leverage, signal_score=D(90),
    )  # fmt: skip
    verdict = check_order(intent, state, limits, T0)
    if not verdict.approved:
        event(f"refused: {sorted(str(c) for c in verdict.codes)}")
        return
    event("approved")
    assert intent.loss_at_stop <= cap

    plan = ExitPlan(
        take_profits=(TakeProfitLevel(Distance.r(1), D("0.5")),),
        trailing=TrailingStop(activation=Distance.r(2), distance=Distance.r(1)),
        breakeven=Breakeven(Distance.r(1)), maker_fee_rate=fee, taker_fee_rate=fee,
        reduce_only_venue=not spot,
    )  # fmt: skip
    manager = ExitManager(plan, instrument)
    side = PositionSide.LONG if long else PositionSide.SHORT
    actions = manager.on_entry_filled(side=side, price=entry, quantity=Quantity(quantity),
                                      fee=quantity * price * fee, ts=T0, anchor=T0,
                                      stop_price=stop)  # fmt: skip
    first = actions[0]
    assert isinstance(first, PlaceStop)
    approved_loss = loss_at(long, D(price), first.stop_price.value, quantity, fee)
    assert approved_loss <= intent.loss_at_stop <= cap

    halted = next_state(start(limits.breaker), OperatorHalt("ops", "drill"), T0).after
    position = make_position(symbol="BTCUSDT", side=side, quantity=Quantity(quantity),
                             entry_price=entry, mark_price=entry, stop_price=stop)  # fmt: skip
    hostile = make_state(
        equity=D(equity), peak_equity=D(equity) * 3, day_start_equity=D(equity) * 2,
        realised_pnl_today=-D(equity), positions=(position,), trades_today=10_000,
        breaker=halted,
    )  # fmt: skip
    close = D(price)
    for minute, (move, up, down) in enumerate(moves, 1):
        for action in actions:
            assert action.detail
            if isinstance(action, PlaceStop | MoveStop):
                placed = action.place if isinstance(action, MoveStop) else action
                assert (
                    loss_at(long, D(price), placed.stop_price.value, quantity, fee) <= approved_loss
                )
            if isinstance(action, PlaceStop | MoveStop | PlaceTakeProfit | MarketExit):
                exit_order = exit_intent(action, close, fee, spot)
                assert exit_order.quantity.value <= quantity
                assert check_order(exit_order, hostile, limits, at(minute * 60)).is_exit
        state_now = manager.state
        assert state_now is not None
        if state_now.closed:
            break
        close = max(close + move * D(price) / 10_000, D(1000))
        high, low = close + up * D(price) / 10_000, max(close - down * D(price) / 10_000, D(500))
        actions = manager.on_bar(ts=at(minute * 60), high=Price(high), low=Price(low),
                                 close=Price(close))  # fmt: skip
