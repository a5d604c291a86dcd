"""The exit manager's order bookkeeping: replacing and canceling the stop and the resting
take profits, closing at market, booking fills, and squaring the orders with what remains
(``settle``). ``ExitRules`` and ``ExitManager`` build on it."""

from __future__ import annotations

from dataclasses import replace

from ai_engine.domain import Instrument, Price, Quantity
from ai_engine.execution.client_ids import Purpose
from ai_engine.execution.exits import prices
from ai_engine.execution.exits.actions import (
    CancelExit,
    ExitAction,
    ExitReason,
    ExitTag,
    MarketExit,
    MoveStop,
    PlaceStop,
)
from ai_engine.execution.exits.plan import ExitPlan
from ai_engine.execution.exits.state import ExitStateError, LiveStop, PendingExit, TakeProfitSlot
from ai_engine.execution.exits.step import Step, stop_reason


class ExitOrders:
    """Keeps the orders square with the position (``plan`` and ``instrument`` are set by
    ``ExitManager``)."""

    plan: ExitPlan
    instrument: Instrument

    def _replace_stop(
        self,
        step: Step,
        level: Price,
        quantity: Quantity,
        purpose: Purpose,
        reason: ExitReason,
        detail: str,
    ) -> None:
        old = step.state.stop
        tag = step.tag(purpose)
        place = self._stop_order(tag, step.state.is_long, quantity, level, reason, detail)
        if old is None:
            step.actions.append(place)
        else:
            step.retire(old.tag, stop_reason(old.tag.purpose))
            step.actions.append(
                MoveStop(cancel=old.tag, place=place, place_first=self.plan.reduce_only_venue)
            )
        step.state = replace(step.state, stop=LiveStop(tag, quantity, level), stop_price=level)

    def _cancel_resting(self, step: Step, reason: ExitReason, detail: str) -> list[ExitAction]:
        """Cancel the live stop and every resting take profit; watched levels are dropped."""
        cancels: list[ExitAction] = []
        s = step.state
        if s.stop is not None:
            cancels.append(CancelExit(tag=s.stop.tag, reason=reason, detail=detail))
            step.retire(s.stop.tag, stop_reason(s.stop.tag.purpose))
        slots = []
        for slot in s.take_profits:
            if slot.resting and slot.tag is not None:
                cancels.append(CancelExit(tag=slot.tag, reason=reason, detail=detail))
            slots.append(slot if slot.done else replace(slot, done=True))
        step.state = replace(step.state, stop=None, take_profits=tuple(slots))
        return cancels

    def _exit_all(self, step: Step, reason: ExitReason, purpose: Purpose, detail: str) -> None:
        """Close what remains (less what is already on its way out) at market, and cancel the
        resting exits: market first on a reduce-only venue, cancels first on spot."""
        s = step.state
        quantity = s.remaining - s.in_flight
        if quantity.is_zero():
            return
        tag = step.tag(purpose)
        cancels = self._cancel_resting(step, reason, f"closing: {detail}")
        market = MarketExit(
            tag=tag, side=prices.closing_side(s.is_long), quantity=quantity, reason=reason,
            detail=detail,
        )  # fmt: skip
        pending = PendingExit(tag, quantity, reason)
        step.state = replace(step.state, pending=(*step.state.pending, pending))
        ordered = [market, *cancels] if self.plan.reduce_only_venue else [*cancels, market]
        step.actions.extend(ordered)

    def _book_fill(self, step: Step, tag: ExitTag, quantity: Quantity) -> ExitReason:
        s = step.state
        if s.stop is not None and s.stop.tag == tag:
            if quantity > s.stop.quantity:
                raise ExitStateError(f"{s.symbol}: stop {tag} filled past its {s.stop.quantity}")
            left = s.stop.quantity - quantity
            stop = None if left.is_zero() else replace(s.stop, quantity=left)
            step.state = replace(s, stop=stop)
            return stop_reason(tag.purpose)
        for slot in s.take_profits:
            if slot.tag == tag:
                filled = slot.filled + quantity
                if filled > slot.quantity:
                    raise ExitStateError(f"{s.symbol}: {tag} filled past its {slot.quantity}")
                done = slot.done or filled == slot.quantity
                self._replace_slot(step, replace(slot, filled=filled, done=done))
                return ExitReason.TAKE_PROFIT
        for pending in s.pending:
            if pending.tag == tag:
                if quantity > pending.quantity:
                    raise ExitStateError(f"{s.symbol}: {tag} filled past its {pending.quantity}")
                left = pending.quantity - quantity
                rest = tuple(
                    p if p.tag != tag else replace(p, quantity=left)
                    for p in s.pending
                    if p.tag != tag or not left.is_zero()
                )
                step.state = replace(s, pending=rest)
                return pending.reason
        for old, reason in s.retired:
            if old == tag:
                return reason
        raise ExitStateError(f"{s.symbol}: fill of {tag}, not an exit order of this position")

    def _settle(self, step: Step, reason: ExitReason, detail: str) -> None:
        """Square the orders with the remaining quantity: close out when nothing remains,
        else trim what is in flight and the resting take profits, and re-size the stop to
        ``remaining - in flight``."""
        s = step.state
        if s.remaining.is_zero():
            cancels = self._cancel_resting(step, reason, f"position closed: {detail}")
            step.actions.extend(cancels)
            step.state = replace(
                step.state, pending=(), closed=True, close_reason=reason, retry=None
            )
            return
        if s.in_flight > s.remaining:
            kept = _trim(s.pending, s.remaining)
            step.state = replace(s, pending=kept)
            for dropped in s.pending:
                if all(p.tag != dropped.tag for p in kept):
                    step.retire(dropped.tag, dropped.reason)
        self._trim_take_profits(step, reason, detail)
        s = step.state
        required = s.remaining - s.in_flight
        if required.is_zero():
            if s.stop is not None:
                step.actions.append(CancelExit(tag=s.stop.tag, reason=reason, detail=detail))
                step.retire(s.stop.tag, stop_reason(s.stop.tag.purpose))
                step.state = replace(step.state, stop=None)
            return
        if s.stop is not None and s.stop.quantity == required:
            return
        purpose = Purpose.STOP_LOSS if s.stop is None else s.stop.tag.purpose
        why = f"stop re-sized to {required}: {detail}"
        self._replace_stop(step, s.stop_price, required, purpose, stop_reason(purpose), why)

    def _trim_take_profits(self, step: Step, reason: ExitReason, detail: str) -> None:
        """Cancel resting take profits, farthest first, until they fit in the remainder."""
        for slot in reversed(step.state.take_profits):
            s = step.state
            if s.resting_take_profit <= s.remaining:
                return
            if slot.resting and slot.tag is not None:
                step.actions.append(
                    CancelExit(tag=slot.tag, reason=reason, detail=f"more than remains: {detail}")
                )
                step.retire(slot.tag, ExitReason.TAKE_PROFIT)
                self._replace_slot(step, replace(slot, done=True))

    def _stop_order(
        self, tag: ExitTag, is_long: bool, quantity: Quantity, level: Price,
        reason: ExitReason, detail: str,
    ) -> PlaceStop:  # fmt: skip
        offset = self.plan.stop_limit_offset
        limit = None
        if offset is not None:  # beyond the trigger, rounded further away (it must fill)
            raw = level.value * (1 - offset) if is_long else level.value * (1 + offset)
            limit = prices.stop_limit_price(self.instrument, is_long, raw)
        return PlaceStop(
            tag=tag, side=prices.closing_side(is_long), quantity=quantity, stop_price=level,
            reason=reason, detail=detail, limit_price=limit,
        )  # fmt: skip

    @staticmethod
    def _replace_slot(step: Step, slot: TakeProfitSlot) -> None:
        slots = tuple(slot if old.level == slot.level else old for old in step.state.take_profits)
        step.state = replace(step.state, take_profits=slots)


def _trim(pending: tuple[PendingExit, ...], limit: Quantity) -> tuple[PendingExit, ...]:
    """The market exits in flight cut (newest first) to ``limit`` in all."""
    kept: list[PendingExit] = []
    room = limit
    for exit_ in pending:
        take = min(exit_.quantity, room)
        if not take.is_zero():
            kept.append(replace(exit_, quantity=take))
            room = room - take
    return tuple(kept)
