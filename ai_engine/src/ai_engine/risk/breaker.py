"""The circuit breaker: a pure state machine that halts new entries and says when they resume.

``next_state(state, event, now) -> Transition``: no clock, no I/O; every transition carries its
reason in plain words. While any halt is active, ``check_order`` refuses entries (exits and
reductions always go through). Several halts can be active at once; each clears by its own rule:

| cause | raised by | clears |
|---|---|---|
| daily_loss | ``LimitBreached`` | next UTC day (``DayStarted``) |
| weekly_loss | ``LimitBreached`` | next week (``DayStarted(new_week=True)``) |
| drawdown | ``LimitBreached`` | operator only (``OperatorResume``) |
| loss_streak | ``LimitBreached`` | ``loss_streak_cooldown`` after the last loss, or operator |
| stale_data | ``DataAge`` above ``stale_data_after`` | fresh data (``DataAge`` within it) |
| venue_errors | > ``venue_error_burst`` ``VenueError`` per window | cool-down, or operator |
| reconciliation | ``ReconciliationMismatch`` | ``Reconciled`` |
| flash_crash | ``PriceMove`` >= ``flash_crash_move`` in its window | cool-down, or operator |
| operator | ``OperatorHalt`` (emergency stop) | operator only |

An operator cannot wave away a fact: stale data, an unresolved mismatch and the day's loss limit
stay until the condition itself clears. Cool-downs end by themselves at ``until`` (on the next
event, or ``Tick``); ``active_halts(now)`` already ignores an expired one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from ai_engine.domain import DomainValueError, require_utc
from ai_engine.risk.limits import BreakerRules
from ai_engine.risk.wording import pct, span


class HaltCause(StrEnum):
    DAILY_LOSS = "daily_loss"
    WEEKLY_LOSS = "weekly_loss"
    DRAWDOWN = "drawdown"
    LOSS_STREAK = "loss_streak"
    STALE_DATA = "stale_data"
    VENUE_ERRORS = "venue_errors"
    RECONCILIATION = "reconciliation"
    FLASH_CRASH = "flash_crash"
    OPERATOR = "operator"


class ResumeRule(StrEnum):
    NEXT_DAY = "next_day"
    NEXT_WEEK = "next_week"
    COOL_DOWN = "cool_down"  # ends by itself; an operator may end it early
    DATA_FRESH = "data_fresh"
    RECONCILED = "reconciled"
    OPERATOR = "operator"


RESUME_RULES: dict[HaltCause, ResumeRule] = {
    HaltCause.DAILY_LOSS: ResumeRule.NEXT_DAY,
    HaltCause.WEEKLY_LOSS: ResumeRule.NEXT_WEEK,
    HaltCause.DRAWDOWN: ResumeRule.OPERATOR,
    HaltCause.LOSS_STREAK: ResumeRule.COOL_DOWN,
    HaltCause.STALE_DATA: ResumeRule.DATA_FRESH,
    HaltCause.VENUE_ERRORS: ResumeRule.COOL_DOWN,
    HaltCause.RECONCILIATION: ResumeRule.RECONCILED,
    HaltCause.FLASH_CRASH: ResumeRule.COOL_DOWN,
    HaltCause.OPERATOR: ResumeRule.OPERATOR,
}
_OPERATOR_CLEARS = frozenset({ResumeRule.COOL_DOWN, ResumeRule.OPERATOR})
_LIMIT_CAUSES = frozenset(
    {HaltCause.DAILY_LOSS, HaltCause.WEEKLY_LOSS, HaltCause.DRAWDOWN, HaltCause.LOSS_STREAK}
)


@dataclass(frozen=True, slots=True)
class Halt:
    cause: HaltCause
    since: datetime
    reason: str
    until: datetime | None = None  # end of a cool-down; None: until its resume rule fires

    @property
    def resume_rule(self) -> ResumeRule:
        return RESUME_RULES[self.cause]

    def active(self, now: datetime) -> bool:
        return self.until is None or now < self.until

    def __str__(self) -> str:
        end = f" until {self.until.isoformat()}" if self.until else f" ({self.resume_rule})"
        return f"{self.cause}: {self.reason}{end}"


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerState:
    rules: BreakerRules
    halts: tuple[Halt, ...] = ()
    venue_errors: tuple[datetime, ...] = ()  # recent venue errors, within the window
    reason: str = "started: entries allowed"  # why the last transition happened
    changed_at: datetime | None = None

    def active_halts(self, now: datetime) -> tuple[Halt, ...]:
        return tuple(h for h in self.halts if h.active(now))

    def allows_entries(self, now: datetime) -> bool:
        return not self.active_halts(now)

    def needs_operator(self, now: datetime) -> bool:
        return any(h.resume_rule is ResumeRule.OPERATOR for h in self.active_halts(now))

    def halt_for(self, cause: HaltCause) -> Halt | None:
        return next((h for h in self.halts if h.cause is cause), None)


# -- events ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LimitBreached:
    """An account limit was hit (see ``breaches.account_breaches``)."""

    cause: HaltCause  # daily_loss, weekly_loss, drawdown or loss_streak
    detail: str
    at: datetime | None = None  # when it happened (the last loss, for a streak); None: now


@dataclass(frozen=True, slots=True)
class DataAge:
    """How old the newest market data is (the trader measures it on its clock)."""

    age: timedelta
    source: str = "market data"


@dataclass(frozen=True, slots=True)
class VenueError:
    detail: str


@dataclass(frozen=True, slots=True)
class ReconciliationMismatch:
    detail: str


@dataclass(frozen=True, slots=True)
class Reconciled:
    detail: str = "venue and records agree"


@dataclass(frozen=True, slots=True)
class PriceMove:
    """A price moved by ``move`` (signed fraction) within ``window``."""

    symbol: str
    move: Decimal
    window: timedelta


@dataclass(frozen=True, slots=True)
class DayStarted:
    new_week: bool = False


@dataclass(frozen=True, slots=True)
class OperatorHalt:
    operator: str
    reason: str = "emergency stop"


@dataclass(frozen=True, slots=True)
class OperatorResume:
    operator: str


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed: lets ended cool-downs leave with a recorded transition."""


BreakerEvent = (
    LimitBreached
    | DataAge
    | VenueError
    | ReconciliationMismatch
    | Reconciled
    | PriceMove
    | DayStarted
    | OperatorHalt
    | OperatorResume
    | Tick
)


@dataclass(frozen=True, slots=True)
class Transition:
    before: BreakerState
    after: BreakerState
    event: BreakerEvent
    reason: str

    @property
    def changed(self) -> bool:
        """Whether the set of halts changed (a halt raised, lifted or its cool-down moved)."""
        return self.before.halts != self.after.halts


def start(rules: BreakerRules) -> BreakerState:
    return BreakerState(rules=rules)


def next_state(state: BreakerState, event: BreakerEvent, now: datetime) -> Transition:
    """The breaker after ``event`` at ``now``, and why."""
    now = require_utc(now, what="now")
    ended = [h for h in state.halts if not h.active(now)]
    current = replace(state, halts=tuple(h for h in state.halts if h.active(now)))
    halts, errors, reason = _apply(current, event, now)
    prefix = "".join(f"{h.cause} cool-down ended; " for h in ended)
    reason = prefix + reason
    after = replace(current, halts=halts, venue_errors=errors)
    if after.halts != state.halts:
        after = replace(after, reason=reason, changed_at=now)
    return Transition(before=state, after=after, event=event, reason=reason)


# -- rules ----------------------------------------------------------------------------------

_Result = tuple[tuple[Halt, ...], tuple[datetime, ...], str]


def _without(halts: tuple[Halt, ...], cause: HaltCause) -> tuple[Halt, ...]:
    return tuple(h for h in halts if h.cause is not cause)


def _raise(state: BreakerState, halt: Halt, *, restart: bool) -> _Result:
    """Add ``halt``; an active halt of the same cause is kept unless ``restart``."""
    existing = state.halt_for(halt.cause)
    if existing is not None and not restart:
        return state.halts, state.venue_errors, f"already halted ({existing}); {halt.reason}"
    halts = (*_without(state.halts, halt.cause), halt)
    return halts, state.venue_errors, f"halt {halt}"


def _lift(state: BreakerState, cause: HaltCause, why: str) -> _Result:
    if state.halt_for(cause) is None:
        return state.halts, state.venue_errors, f"no change: {why}"
    return _without(state.halts, cause), state.venue_errors, f"resume {cause}: {why}"


def _apply(state: BreakerState, event: BreakerEvent, now: datetime) -> _Result:
    rules = state.rules
    if isinstance(event, LimitBreached):
        if event.cause not in _LIMIT_CAUSES:
            raise DomainValueError(f"LimitBreached cannot carry cause {event.cause}")
        if event.cause is not HaltCause.LOSS_STREAK:
            return _raise(state, Halt(event.cause, now, event.detail), restart=False)
        # The cool-down runs from the last loss, so hearing of the same streak again (after
        # every mark update) does not push the end back; a new loss does.
        since = require_utc(event.at, what="at") if event.at is not None else now
        until = since + rules.loss_streak_cooldown
        existing = state.halt_for(HaltCause.LOSS_STREAK)
        if until <= now or (existing is not None and existing.until == until):
            return state.halts, state.venue_errors, f"no change: loss streak ({event.detail})"
        return _raise(state, Halt(event.cause, since, event.detail, until), restart=True)
    if isinstance(event, DataAge):
        limit = rules.stale_data_after
        if event.age > limit:
            why = f"{event.source} is {span(event.age)} old, limit {span(limit)}"
            return _raise(state, Halt(HaltCause.STALE_DATA, now, why), restart=False)
        return _lift(state, HaltCause.STALE_DATA, f"{event.source} fresh ({span(event.age)} old)")
    if isinstance(event, VenueError):
        return _venue_error(state, event, now)
    if isinstance(event, ReconciliationMismatch):
        halt = Halt(HaltCause.RECONCILIATION, now, f"mismatch: {event.detail}")
        return _raise(state, halt, restart=True)
    if isinstance(event, Reconciled):
        return _lift(state, HaltCause.RECONCILIATION, event.detail)
    if isinstance(event, PriceMove):
        return _price_move(state, event, now)
    if isinstance(event, DayStarted):
        return _new_day(state, event)
    if isinstance(event, OperatorHalt):
        halt = Halt(HaltCause.OPERATOR, now, f"{event.reason} by {event.operator}")
        return _raise(state, halt, restart=True)
    if isinstance(event, OperatorResume):
        return _operator_resume(state, event)
    return state.halts, state.venue_errors, "tick"


def _venue_error(state: BreakerState, event: VenueError, now: datetime) -> _Result:
    rules = state.rules
    recent = (*(t for t in state.venue_errors if t > now - rules.venue_error_window), now)
    count = len(recent)
    if count <= rules.venue_error_burst:
        allowed = f"{rules.venue_error_burst} allowed per {span(rules.venue_error_window)}"
        return state.halts, recent, f"venue error {count} of {allowed}: {event.detail}"
    why = (
        f"{count} venue errors within {span(rules.venue_error_window)}, more than "
        f"{rules.venue_error_burst}; last: {event.detail}"
    )
    halt = Halt(HaltCause.VENUE_ERRORS, now, why, now + rules.venue_error_cooldown)
    halts, _, reason = _raise(state, halt, restart=True)
    return halts, recent, reason


def _price_move(state: BreakerState, event: PriceMove, now: datetime) -> _Result:
    rules = state.rules
    size = abs(event.move)
    if (
        rules.flash_crash_move is None
        or event.window > rules.flash_crash_window
        or size < rules.flash_crash_move
    ):
        return (
            state.halts,
            state.venue_errors,
            (f"no change: {event.symbol} moved {pct(event.move)} in {span(event.window)}"),
        )
    why = (
        f"{event.symbol} moved {pct(event.move)} in {span(event.window)}, limit "
        f"{pct(rules.flash_crash_move)} in {span(rules.flash_crash_window)}"
    )
    halt = Halt(HaltCause.FLASH_CRASH, now, why, now + rules.flash_crash_cooldown)
    return _raise(state, halt, restart=True)


def _new_day(state: BreakerState, event: DayStarted) -> _Result:
    cleared = {HaltCause.DAILY_LOSS} | ({HaltCause.WEEKLY_LOSS} if event.new_week else set())
    halts = tuple(h for h in state.halts if h.cause not in cleared)
    lifted = sorted(str(h.cause) for h in state.halts if h.cause in cleared)
    what = "new week" if event.new_week else "new day"
    reason = f"{what}: resume " + ", ".join(lifted) if lifted else f"{what}: no change"
    return halts, state.venue_errors, reason


def _operator_resume(state: BreakerState, event: OperatorResume) -> _Result:
    cleared = [h for h in state.halts if h.resume_rule in _OPERATOR_CLEARS]
    kept = tuple(h for h in state.halts if h.resume_rule not in _OPERATOR_CLEARS)
    parts = [f"operator {event.operator}"]
    if cleared:
        parts.append("resumed " + ", ".join(str(h.cause) for h in cleared))
    if kept:
        parts.append(
            "still halted: " + "; ".join(f"{h.cause} (waits for {h.resume_rule})" for h in kept)
        )
    if not cleared and not kept:
        parts.append("nothing to resume")
    return kept, state.venue_errors, ", ".join(parts)
