"""The exit manager's rules that decide new exits: take-profit levels (rested or watched),
the time stop, breakeven and trailing moves."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from ai_engine.domain import OrderType, Price, Quantity
from ai_engine.execution.client_ids import MAX_ATTEMPT, Purpose
from ai_engine.execution.exits import prices
from ai_engine.execution.exits.actions import ExitAction, ExitReason, MarketExit, PlaceTakeProfit
from ai_engine.execution.exits.orders import ExitOrders
from ai_engine.execution.exits.state import ExitState, PendingExit, TakeProfitSlot
from ai_engine.execution.exits.step import Step

_ONE = Decimal(1)


class ExitRules(ExitOrders):
    """Decides: where the take profits go, when time is up, where the stop may move."""

    def _plan_take_profits(self, step: Step) -> None:
        s = step.state
        slots = []
        for index, level in enumerate(self.plan.take_profits):
            distance = level.distance.resolve(entry=s.entry_price, atr=s.atr, risk=s.initial_risk)
            raw = s.entry_price + prices.sign(s.is_long) * distance
            level_price = prices.take_profit_price(self.instrument, s.is_long, raw)
            slots.append(TakeProfitSlot(index, level_price, Quantity(0)))
        step.state = replace(s, take_profits=tuple(slots))
        if self.plan.reduce_only_venue:
            for index in range(len(slots)):
                self._rest_take_profit(step, index)

    def _level_quantity(self, s: ExitState, index: int) -> Quantity | None:
        """How much level ``index`` takes now, or None when it is too small to send."""
        levels = self.plan.take_profits
        available = s.remaining - s.in_flight - s.resting_take_profit
        through = sum((level.fraction for level in levels[: index + 1]), Decimal(0))
        if index == len(levels) - 1 and through == _ONE:
            quantity = available
        else:
            wanted = self.instrument.round_quantity(s.entry_quantity.value * levels[index].fraction)
            quantity = min(wanted, available)
        price = s.take_profits[index].price
        too_small = quantity.is_zero() or quantity.value < self.instrument.min_quantity
        if not self.plan.reduce_only_venue:  # spot: a market exit must meet min notional
            too_small = too_small or self.instrument.notional(price, quantity) < (
                self.instrument.min_notional
            )
        return None if too_small else quantity

    def _rest_take_profit(self, step: Step, index: int) -> None:
        s = step.state
        slot = s.take_profits[index]
        quantity = self._level_quantity(s, index)
        if quantity is None:
            self._replace_slot(step, replace(slot, done=True))
            return
        tag = step.tag(Purpose.TAKE_PROFIT)
        maker = self.plan.take_profit_is_maker
        kind = OrderType.LIMIT if maker else OrderType.TAKE_PROFIT_MARKET
        step.actions.append(
            PlaceTakeProfit(
                tag=tag, side=prices.closing_side(s.is_long), quantity=quantity,
                price=slot.price, order_type=kind, level=index, reason=ExitReason.TAKE_PROFIT,
                detail=f"take profit {index + 1} at {slot.price} "
                f"({'maker limit' if maker else 'taker trigger'})",
            )
        )  # fmt: skip
        self._replace_slot(step, replace(slot, tag=tag, quantity=quantity))

    # -- bar rules -------------------------------------------------------------------------

    def _timed_out(self, s: ExitState, ts: datetime) -> str | None:
        rule = self.plan.time_stop
        if rule is None:
            return None
        if rule.bars is not None and s.bars_held >= rule.bars:
            return f"time stop: held {s.bars_held} bars (limit {rule.bars})"
        if rule.duration is not None and ts - s.opened_at >= rule.duration:
            return f"time stop: held {ts - s.opened_at} (limit {rule.duration})"
        return None

    def _watched_take_profits(self, step: Step, extreme: Decimal) -> list[ExitAction]:
        """Spot: every level the bar reached becomes a market exit, to be sent after the stop
        has been shrunk (the stop locks the base asset those exits sell)."""
        exits: list[ExitAction] = []
        for slot in step.state.take_profits:
            if slot.done or not prices.beyond(step.state.is_long, extreme, slot.price.value):
                continue
            quantity = self._level_quantity(step.state, slot.level)
            if quantity is None:
                self._replace_slot(step, replace(slot, done=True))
                continue
            tag = step.tag(Purpose.TAKE_PROFIT)
            exits.append(
                MarketExit(
                    tag=tag, side=prices.closing_side(step.state.is_long), quantity=quantity,
                    reason=ExitReason.TAKE_PROFIT,
                    detail=f"take profit {slot.level + 1}: price reached {slot.price}",
                )
            )  # fmt: skip
            self._replace_slot(step, replace(slot, quantity=quantity, done=True))
            pending = PendingExit(tag, quantity, ExitReason.TAKE_PROFIT)
            step.state = replace(step.state, pending=(*step.state.pending, pending))
        return exits

    def _stop_move(
        self, step: Step, close: Decimal, atr: Decimal | None
    ) -> tuple[Price, Purpose, str] | None:
        """Breakeven and trailing: the most protective level the rules allow, if it tightens
        the stop by at least a tick and stays short of the close (the venue would trigger it
        at once). A close already past the trailing level exits at market instead."""
        s, plan = step.state, self.plan
        if s.stop is None:
            return None
        is_long = s.is_long
        gained = prices.sign(is_long) * (s.best_price - s.entry_price)
        candidates: list[tuple[Price, Purpose, str]] = []
        if plan.breakeven is not None and not s.breakeven_done:
            trigger = plan.breakeven.trigger.resolve(
                entry=s.entry_price, atr=s.atr, risk=s.initial_risk
            )
            if gained >= trigger:
                level = prices.breakeven_price(
                    self.instrument, is_long=is_long, entry=s.entry_price,
                    quantity=s.entry_quantity.value, entry_fee=s.entry_fee,
                    exit_fee_rate=plan.taker_fee_rate,
                )  # fmt: skip
                if not prices.tighter(is_long, level.value, s.stop_price.value):
                    step.state = replace(step.state, breakeven_done=True)
                else:
                    candidates.append((level, Purpose.STOP_LOSS, f"breakeven at {level}"))
        if plan.trailing is not None:
            activation = plan.trailing.activation.resolve(
                entry=s.entry_price, atr=s.atr, risk=s.initial_risk
            )
            if s.trailing_active or gained >= activation:
                step.state = replace(step.state, trailing_active=True)
                distance = plan.trailing.distance.resolve(
                    entry=s.entry_price, atr=atr if atr is not None else s.atr,
                    risk=s.initial_risk,
                )  # fmt: skip
                raw = s.best_price - prices.sign(is_long) * distance
                if raw > 0:
                    level = prices.stop_price(self.instrument, is_long, raw)
                    if not prices.tighter(is_long, close, level.value):
                        why = f"trailing stop: close {close} is past the trailing level {level}"
                        self._exit_all(step, ExitReason.TRAILING_STOP, Purpose.TRAILING_STOP, why)
                        return None
                    candidates.append(
                        (level, Purpose.TRAILING_STOP, f"trailing {plan.trailing.distance} "
                         f"behind {s.best_price}: {level}")
                    )  # fmt: skip
        if not candidates:
            return None
        pick = max if is_long else min
        level, purpose, detail = pick(candidates, key=lambda c: c[0].value)
        if not prices.tighter(is_long, level.value, s.stop_price.value):
            return None
        if not prices.tighter(is_long, close, level.value):
            return None  # the venue would trigger it at once; try again on the next bar
        if dict(step.state.attempts).get(purpose, 0) > MAX_ATTEMPT:  # ids used up: keep it
            return None
        if any(c[1] is Purpose.STOP_LOSS for c in candidates):  # breakeven reached or passed
            step.state = replace(step.state, breakeven_done=True)
        return level, purpose, detail

    # -- shared ----------------------------------------------------------------------------
