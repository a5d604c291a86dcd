"""Property tests of the exit manager against a small venue that executes its actions.

Hypothesis draws a plan (stop, take-profit levels, trailing, breakeven, time stop, reversal,
flash crash; spot or reduce-only), an entry (side, price, size) and a path of bars, ticks and
signals. The venue rests stops and take profits, fills them when a bar crosses them, refuses
a stop that would trigger at once, and fills market exits in full, in part (the rest
expires) or not at all (rejected), reporting each back to the manager. After every event:

- an open position has exactly one live stop at the venue, for exactly the remaining quantity;
  a closed one has nothing resting;
- the stop never moves against the position (a long's stop never goes down);
- no exit order is for more than the venue's position, and the venue's position never goes
  below zero (or flips) on exits;
- the manager's remaining quantity equals the venue's position;
- every action carries a reason and a detail, and no tag (client id) is used twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ai_engine.domain import OrderSide, OrderType, PositionSide, Price, Quantity
from ai_engine.execution.exits import (
    Breakeven,
    CancelExit,
    Distance,
    ExitAction,
    ExitManager,
    ExitPlan,
    ExitReason,
    ExitTag,
    FlashCrash,
    MarketExit,
    MoveStop,
    PlaceStop,
    PlaceTakeProfit,
    TakeProfitLevel,
    TimeStop,
    TrailingStop,
)

from .exit_factories import SPOT, T0, USDM, D, at


@dataclass
class Resting:
    kind: str  # "stop" | "tp"
    quantity: Decimal
    price: Decimal


@dataclass
class Venue:
    manager: ExitManager
    is_long: bool
    position: Decimal
    price: Decimal
    outcomes: st.DataObject
    resting: dict[ExitTag, Resting] = field(default_factory=dict)
    used: set[ExitTag] = field(default_factory=set)
    stop_prices: list[Decimal] = field(default_factory=list)
    minute: float = 0

    def run(self, actions: list[ExitAction]) -> None:
        queue = list(actions)
        while queue:
            action = queue.pop(0)
            queue.extend(self.execute(action))
        self.check()

    def execute(self, action: ExitAction) -> list[ExitAction]:
        assert isinstance(action.reason, ExitReason)
        assert action.detail
        event(f"{type(action).__name__} {action.reason}")  # --hypothesis-show-statistics
        if isinstance(action, MoveStop):
            self.resting.pop(action.cancel, None)
            return self.execute(action.place)
        if isinstance(action, CancelExit):
            assert action.tag in self.used, f"cancel of {action.tag}, never placed"
            self.resting.pop(action.tag, None)
            return []
        assert action.tag not in self.used, f"tag {action.tag} used twice"
        self.used.add(action.tag)
        closing = OrderSide.SELL if self.is_long else OrderSide.BUY
        assert action.side is closing
        assert action.quantity.value <= self.position, "an exit larger than the position"
        if isinstance(action, PlaceStop):
            level = action.stop_price.value
            if self.stop_prices:
                last = self.stop_prices[-1]
                assert level >= last if self.is_long else level <= last, "stop loosened"
            self.stop_prices.append(level)
            triggers_now = level >= self.price if self.is_long else level <= self.price
            if triggers_now:
                return self.manager.on_exit_failed(tag=action.tag, detail="would trigger")
            self.resting[action.tag] = Resting("stop", action.quantity.value, level)
            return []
        if isinstance(action, PlaceTakeProfit):
            assert action.order_type in (OrderType.LIMIT, OrderType.TAKE_PROFIT_MARKET)
            self.resting[action.tag] = Resting("tp", action.quantity.value, action.price.value)
            return []
        assert isinstance(action, MarketExit)
        outcome = self.outcomes.draw(st.sampled_from(["fill", "fill", "part", "reject"]))
        quantity = action.quantity.value
        if outcome == "part":
            quantity = (quantity / 2).quantize(USDM.lot_step)
        out: list[ExitAction] = []
        if outcome != "reject" and quantity > 0:
            out += self.fill(action.tag, quantity, self.price)
        if outcome != "fill" and self.manager.state is not None and not self.manager.state.closed:
            out += self.manager.on_exit_failed(tag=action.tag, detail=outcome)
        return out

    def fill(self, tag: ExitTag, quantity: Decimal, price: Decimal) -> list[ExitAction]:
        assert quantity <= self.position, "filled more than the position"
        self.position -= quantity
        return self.manager.on_fill(tag=tag, quantity=Quantity(quantity), price=Price(price),
                                    ts=at(self.minute))  # fmt: skip

    def bar(self, high: Decimal, low: Decimal, close: Decimal) -> None:
        self.minute += 1
        while self.position > 0:  # each hit is reported, and answered, before the next
            hit = next((tag for tag, order in sorted(self.resting.items())
                        if self.crossed(order, high, low)), None)  # fmt: skip
            if hit is None:
                break
            order = self.resting.pop(hit)
            quantity = min(order.quantity, self.position)  # reduce-only / what is held
            self.run(self.fill(hit, quantity, order.price))
        self.price = close
        state = self.manager.state
        if state is not None and not state.closed:
            self.run(self.manager.on_bar(ts=at(self.minute), high=Price(high), low=Price(low),
                                         close=Price(close), atr=D(200)))  # fmt: skip

    def crossed(self, order: Resting, high: Decimal, low: Decimal) -> bool:
        if order.kind == "stop":
            return low <= order.price if self.is_long else high >= order.price
        return high >= order.price if self.is_long else low <= order.price

    def check(self) -> None:
        state = self.manager.state
        assert state is not None
        assert state.remaining.value == self.position
        stops = [o for o in self.resting.values() if o.kind == "stop"]
        if state.closed:
            assert self.position == 0
            assert self.resting == {}
            return
        assert state.in_flight.is_zero()  # this venue answers market exits at once
        assert len(stops) == 1, f"{len(stops)} live stops"
        assert stops[0].quantity == self.position
        resting_tp = sum((o.quantity for o in self.resting.values() if o.kind == "tp"), D(0))
        assert resting_tp <= self.position


def distances(*units: str) -> st.SearchStrategy[Distance]:
    makers = {"percent": Distance.percent, "atr": Distance.atr, "r": Distance.r}
    values = {
        "percent": ("0.002", "0.01", "0.03"),
        "atr": ("0.5", "1", "3"),
        "r": ("0.5", "1", "2", "3"),
    }
    return st.one_of(*(st.sampled_from([makers[u](v) for v in values[u]]) for u in units))


@st.composite
def plans(draw: st.DrawFn) -> ExitPlan:
    count = draw(st.integers(0, 3))
    fractions = draw(st.sampled_from([("0.25",) * 3, ("0.5", "0.5", "0"), ("0.3", "0.3", "0.4")]))
    levels = tuple(
        TakeProfitLevel(draw(distances("percent", "atr", "r")), D(f))
        for f in fractions[:count] if D(f) > 0
    )  # fmt: skip
    return ExitPlan(
        stop=draw(distances("percent", "atr")),
        take_profits=levels,
        trailing=draw(
            st.none()
            | st.builds(TrailingStop, distances("percent", "r"), distances("percent", "atr"))
        ),
        breakeven=draw(st.none() | st.builds(Breakeven, distances("percent", "r"))),
        time_stop=draw(st.none() | st.builds(TimeStop, st.integers(1, 40))),
        reversal_min_score=draw(st.none() | st.sampled_from([D(50), D(80)])),
        flash_crash=draw(st.none() | st.just(FlashCrash())),
        maker_fee_rate=draw(st.sampled_from([D("0.0002"), D("0.001")])),
        taker_fee_rate=D("0.001"),
        reduce_only_venue=draw(st.booleans()),
    )


BAR = st.tuples(st.just("bar"), st.integers(-300, 300), st.integers(0, 400), st.integers(0, 400))
EVENT = st.one_of(  # bars three times as often as ticks or signals
    BAR,
    BAR,
    BAR,
    st.tuples(st.just("tick"), st.integers(-3000, 3000), st.just(0), st.just(0)),
    st.tuples(st.just("signal"), st.integers(0, 100), st.booleans(), st.just(0)),
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    plan=plans(),
    long=st.booleans(),
    lots=st.integers(1, 400),
    events=st.lists(EVENT, max_size=40),
    data=st.data(),
)
def test_exit_invariants_hold_on_any_path(
    plan: ExitPlan, long: bool, lots: int, events: list[tuple[str, int, int, int]],
    data: st.DataObject,
) -> None:  # fmt: skip
    instrument = USDM if plan.reduce_only_venue else SPOT
    quantity = instrument.lot_step * lots * (100 if instrument is SPOT else 1)
    entry = D(50000)
    manager = ExitManager(plan, instrument)
    venue = Venue(manager, long, quantity, entry, data)
    side = PositionSide.LONG if long else PositionSide.SHORT
    venue.run(manager.on_entry_filled(side=side, price=Price(entry), quantity=Quantity(quantity),
                                      fee=D("0.5"), ts=T0, anchor=T0, atr=D(200)))  # fmt: skip
    price = entry
    for kind, a, b, c in events:
        state = manager.state
        assert state is not None
        if state.closed:
            break
        if kind == "bar":
            close = max(price + a, D(1000))
            high, low = max(price, close) + b, max(min(price, close) - c, D(500))
            venue.bar(high, low, close)
            price = close
        elif kind == "tick":
            venue.minute += 0.1
            tick = max(price + a, D(1000))
            venue.run(manager.on_tick(ts=at(venue.minute), price=Price(tick)))
        else:
            side_now = OrderSide.SELL if b else OrderSide.BUY
            venue.run(manager.on_signal(side=side_now, score=D(a), ts=at(venue.minute)))
    venue.check()


def test_time_stop_always_ends_a_position_on_a_quiet_market() -> None:
    plan = ExitPlan(stop=Distance.percent("0.01"), time_stop=TimeStop(bars=5),
                    flash_crash=None, reduce_only_venue=True)  # fmt: skip
    manager = ExitManager(plan, USDM)
    manager.on_entry_filled(side=PositionSide.SHORT, price=Price(50000), quantity=Quantity(1),
                            fee=D(0), ts=T0, anchor=T0)  # fmt: skip
    reasons = []
    for minute in range(1, 6):
        for action in manager.on_bar(ts=T0 + timedelta(minutes=minute), high=Price(50010),
                                     low=Price(49990), close=Price(50000)):  # fmt: skip
            reasons.append(action.reason)
    assert reasons == [ExitReason.TIME_STOP, ExitReason.TIME_STOP]  # market exit + stop cancel
