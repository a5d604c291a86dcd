"""``ExitManager``: the exit rules of one position, event by event (see the package docstring).

Each handler builds a ``Step`` (``step``: the next state and the actions so far), and
``_finish`` checks the invariants before the state is replaced. The rules that decide new
exits are in ``rules`` (``ExitRules``); the order bookkeeping every fill, failure or quantity
change ends with is in ``orders`` (``ExitOrders._settle``: a closed position cancels what
rests; an open one gets its stop re-sized to ``remaining - in flight``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from ai_engine.domain import (
    DomainValueError,
    Instrument,
    OrderSide,
    PositionSide,
    Price,
    Quantity,
)
from ai_engine.domain.decimals import is_on_step, wide_divide
from ai_engine.execution.client_ids import Purpose
from ai_engine.execution.exits import prices
from ai_engine.execution.exits.actions import (
    CancelExit,
    ExitAction,
    ExitReason,
    ExitTag,
)
from ai_engine.execution.exits.flash import flash_move, track_window
from ai_engine.execution.exits.plan import ExitPlan
from ai_engine.execution.exits.rules import ExitRules
from ai_engine.execution.exits.state import (
    ExitRetry,
    ExitState,
    ExitStateError,
    LiveStop,
    PendingExit,
    check,
    retry_wait,
)
from ai_engine.execution.exits.step import Step, stop_reason


class ExitManager(ExitRules):
    """The exits of one position at a time. ``state`` is None before the first entry fill;
    after the position closed it stays (``state.closed``) until the next entry."""

    def __init__(
        self, plan: ExitPlan, instrument: Instrument, state: ExitState | None = None
    ) -> None:
        self.plan, self.instrument = plan, instrument
        self._state = None if state is None else check(state)

    @property
    def state(self) -> ExitState | None:
        return self._state

    # -- events ----------------------------------------------------------------------------

    def on_entry_filled(
        self,
        *,
        side: PositionSide,
        price: Price,
        quantity: Quantity,
        fee: Decimal,
        ts: datetime,
        anchor: datetime,
        atr: Decimal | None = None,
        stop_price: Price | None = None,
    ) -> list[ExitAction]:
        """An entry filled (``quantity`` at average ``price``, ``fee`` in the settlement asset):
        place the protective stop first, then the resting take profits. Called again while the
        position is open (more of the entry filled), it grows the position and the stop."""
        if side is PositionSide.FLAT:
            raise DomainValueError("an entry fill opens a long or a short, not flat")
        if quantity.is_zero() or not is_on_step(quantity.value, self.instrument.lot_step):
            raise DomainValueError(
                f"{self.instrument.symbol}: entry quantity {quantity} must be a positive "
                f"multiple of the lot step {self.instrument.lot_step}"
            )
        current = self._state
        if current is not None and current.is_open:
            if current.side is not side:
                raise ExitStateError(f"{current.symbol}: a {side} fill on an open {current.side}")
            return self._grow(current, price, quantity, fee)
        is_long = side is PositionSide.LONG
        entry = price.value
        if stop_price is not None:
            level, how = stop_price.value, "the entry's stop"
        elif self.plan.stop is not None:
            distance = self.plan.stop.resolve(entry=entry, atr=atr, risk=None)
            level, how = entry - prices.sign(is_long) * distance, f"{self.plan.stop} from entry"
        else:
            raise DomainValueError("no protective stop: the plan has no stop and none was given")
        stop = prices.stop_price(self.instrument, is_long, level)
        if not prices.tighter(is_long, entry, stop.value):
            raise DomainValueError(
                f"{self.instrument.symbol}: stop {stop} is not on the losing side of the "
                f"{side} entry at {price}"
            )
        state = ExitState(
            symbol=self.instrument.symbol, side=side, anchor=anchor, opened_at=ts,
            entry_price=entry, entry_quantity=quantity, entry_fee=fee, remaining=quantity,
            initial_risk=abs(entry - stop.value), atr=atr, best_price=entry, stop_price=stop,
        )  # fmt: skip
        step = Step(state)
        tag = step.tag(Purpose.STOP_LOSS)
        step.actions.append(
            self._stop_order(tag, is_long, quantity, stop, ExitReason.STOP_LOSS,
                             f"protective stop at {stop} ({how})")
        )  # fmt: skip
        step.state = replace(step.state, stop=LiveStop(tag, quantity, stop))
        self._plan_take_profits(step)
        return self._finish(step)

    def on_bar(
        self,
        *,
        ts: datetime,
        high: Price,
        low: Price,
        close: Price,
        atr: Decimal | None = None,
        volume: Decimal | None = None,
    ) -> list[ExitAction]:
        """A bar closed at ``ts``: time stop, watched take profits (spot), breakeven and
        trailing moves -- or, while a failed close-out waits (``state.retry``), its countdown
        and retry (``volume`` 0: the bar did not trade, a due retry waits for one that did;
        None: unknown)."""
        s = self._state
        if s is None or s.closed:
            return []
        extreme = high.value if s.is_long else low.value
        best = max(s.best_price, extreme) if s.is_long else min(s.best_price, extreme)
        step = Step(replace(s, bars_held=s.bars_held + 1, best_price=best, last_bar=ts))
        if s.retry is not None:
            return self._retry_close_out(step, s.retry, ts, volume)
        timed_out = self._timed_out(step.state, ts)
        if timed_out is not None:
            self._exit_all(step, ExitReason.TIME_STOP, Purpose.EXIT, timed_out)
            return self._finish(step)
        exits = [] if self.plan.reduce_only_venue else self._watched_take_profits(step, extreme)
        move = self._stop_move(step, close.value, atr)
        stop = step.state.stop
        if stop is not None:  # not closed at market by the trailing rule
            required = step.state.remaining - step.state.in_flight
            if required.is_zero():
                step.actions.append(
                    CancelExit(tag=stop.tag, reason=ExitReason.TAKE_PROFIT, detail="all taken")
                )
                step.retire(stop.tag, stop_reason(stop.tag.purpose))
                step.state = replace(step.state, stop=None)
            elif move is not None or stop.quantity != required:
                level, purpose, detail = move or (
                    stop.stop_price,
                    stop.tag.purpose,
                    f"stop re-sized to {required}",
                )
                reason = stop_reason(purpose)
                self._replace_stop(step, level, required, purpose, reason, detail)
        step.actions.extend(exits)  # after the stop freed what they sell (spot)
        return self._finish(step)

    def on_tick(self, *, ts: datetime, price: Price) -> list[ExitAction]:
        """A trade price: the flash-crash rule (more than ``move`` within ``window``)."""
        s, rule = self._state, self.plan.flash_crash
        if s is None or s.closed or rule is None:
            return []
        lows, highs = track_window(s.lows, s.highs, ts, price.value, rule.window)
        step = Step(replace(s, lows=lows, highs=highs))
        move = flash_move(lows, highs, price.value)
        if move is not None and abs(move) > rule.move:
            detail = (
                f"flash crash: price {price} moved {move * 100:.2f}% within "
                f"{rule.window.total_seconds():g}s (limit {rule.move * 100:g}%)"
            )
            self._exit_all(step, ExitReason.RISK, Purpose.FLASH_EXIT, detail)
        return self._finish(step)

    def on_signal(
        self, *, side: OrderSide, score: Decimal | None, ts: datetime
    ) -> list[ExitAction]:
        """A strategy signal: one on the closing side (a reversal) closes the position when
        the plan says so and its score reaches ``reversal_min_score``."""
        s, plan = self._state, self.plan
        if s is None or s.closed or not plan.exit_on_reversal or s.retry is not None:
            return []  # (a close-out already decided waits for its retry)
        if side is not prices.closing_side(s.is_long):
            return []
        if plan.reversal_min_score is not None and (
            score is None or score < plan.reversal_min_score
        ):
            return []
        step = Step(s)
        shown = "" if score is None else f" (score {score})"
        detail = f"signal reversal: {side.value} signal{shown} at {ts.isoformat()}"
        self._exit_all(step, ExitReason.SIGNAL, Purpose.EXIT, detail)
        return self._finish(step)

    def on_fill(
        self, *, tag: ExitTag, quantity: Quantity, price: Price, ts: datetime
    ) -> list[ExitAction]:
        """A fill of one of this position's exit orders (stop, take profit, market exit), a
        retired one included (a cancel that lost the race). Shrinks the stop or closes."""
        s = self._state
        if s is None or s.closed:
            raise ExitStateError(f"fill of {tag} ({quantity}) but no open position")
        if quantity.is_zero() or quantity > s.remaining:
            raise ExitStateError(
                f"{s.symbol}: fill of {tag} for {quantity} but {s.remaining} remains"
            )
        step = Step(s)
        reason = self._book_fill(step, tag, quantity)
        step.state = replace(step.state, remaining=s.remaining - quantity)
        self._settle(step, reason, f"{tag} filled {quantity} at {price}")
        return self._finish(step)

    def on_exit_failed(self, *, tag: ExitTag, detail: str) -> list[ExitAction]:
        """The venue refused, expired or canceled (not at our request) an exit order's
        unfilled part: a market exit's quantity goes back to the stop; a refused stop becomes
        a market exit; a take profit is dropped (the stop still covers it)."""
        s = self._state
        if s is None or s.closed:
            return []
        step = Step(s)
        if s.stop is not None and s.stop.tag == tag:
            step.retire(tag, stop_reason(tag.purpose))
            step.state = replace(step.state, stop=None)
            why = f"protective stop {tag} refused ({detail}): closing at market"
            self._exit_all(step, ExitReason.STOP_LOSS, Purpose.EXIT, why)
        elif any(p.tag == tag for p in s.pending):
            failed = next(p for p in s.pending if p.tag == tag)
            step.retire(tag, failed.reason)
            left = tuple(p for p in s.pending if p.tag != tag)
            step.state = replace(step.state, pending=left)
            self._settle(step, failed.reason, f"{tag} failed ({detail})")
            if failed.reason is not ExitReason.TAKE_PROFIT and step.state.is_open:
                self._schedule_retry(step, failed, detail)
        elif any(slot.tag == tag and slot.resting for slot in s.take_profits):
            slots = tuple(
                replace(slot, done=True) if slot.tag == tag else slot for slot in s.take_profits
            )
            step.state = replace(step.state, take_profits=slots)
        elif all(old != tag for old, _ in s.retired) and not any(
            slot.tag == tag for slot in s.take_profits
        ):
            raise ExitStateError(f"{s.symbol}: {tag} is not an exit order of this position")
        return self._finish(step)

    # -- entry -----------------------------------------------------------------------------

    def _grow(
        self, s: ExitState, price: Price, quantity: Quantity, fee: Decimal
    ) -> list[ExitAction]:
        total = s.entry_quantity + quantity
        entry = wide_divide(
            s.entry_price * s.entry_quantity.value + price.value * quantity.value, total.value
        )
        step = Step(
            replace(
                s, entry_price=entry, entry_quantity=total, entry_fee=s.entry_fee + fee,
                remaining=s.remaining + quantity,
            )
        )  # fmt: skip
        self._settle(step, ExitReason.STOP_LOSS, f"entry grew by {quantity} at {price}")
        return self._finish(step)

    # -- a close-out the venue did not fill ---------------------------------------------------

    def _schedule_retry(self, step: Step, failed: PendingExit, detail: str) -> None:
        """A close-out's market exit failed (the stop is back, ``_settle``): the next attempt
        waits ``retry_wait(failures)`` new bars. Spot take profits are not retried (the level
        is dropped; the stop covers it)."""
        prior = step.state.retry
        failures = 1 if prior is None else prior.failures + 1
        why = prior.detail if prior is not None else f"{failed.reason} close-out"
        retry = ExitRetry(
            reason=failed.reason, purpose=failed.tag.purpose, detail=why, failures=failures,
            wait=retry_wait(failures), seen=step.state.last_bar,
        )  # fmt: skip
        step.state = replace(step.state, retry=retry)

    def _retry_close_out(
        self, step: Step, retry: ExitRetry, ts: datetime, volume: Decimal | None
    ) -> list[ExitAction]:
        """A failed close-out waits: each new bar (later than the last counted) counts down;
        when due, on a bar that traded, the remainder goes out at market again (cancels first
        on spot). Until then the bar rules are off -- the close-out is decided -- and the stop
        rests untouched: no cancel and re-place each bar."""
        if retry.seen is None or ts > retry.seen:
            retry = replace(retry, wait=max(retry.wait - 1, 0), seen=ts)
        step.state = replace(step.state, retry=retry)
        if retry.wait == 0 and (volume is None or volume > 0):
            detail = f"{retry.detail}: attempt {retry.failures + 1} at market"
            self._exit_all(step, retry.reason, retry.purpose, detail)
        return self._finish(step)

    def _finish(self, step: Step) -> list[ExitAction]:
        self._state = check(step.state)
        return step.actions
