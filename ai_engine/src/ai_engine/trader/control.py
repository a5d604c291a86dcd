"""What a bot does on a control command, and its state: a pure state machine (no I/O).

States (``bot`` events, the ``bots`` row, the Redis status hash): ``running``, ``paused``,
``stopped``, ``halted``. ``apply_command(status, command, ...)`` answers the next status and the
actions the trader must carry out; ``effective_state`` folds the circuit breaker in.

| command | from | to | actions |
|---|---|---|---|
| ``pause`` | running | paused | none: no new entries; exits and stops are still managed |
| ``resume`` | paused | running | none (from halted: refused, an explicit ``start`` is needed) |
| ``start`` | paused, halted | running | the breaker's operator halt is lifted |
| ``stop`` | not stopped | stopped | no new entries; flatten if the config says; the loop ends |
| ``emergency_stop`` | any | halted | cancel all open orders, flatten, halt until ``start`` |

Automatic halts come from the circuit breaker (``risk.breaker``: loss limits, stale data, venue
error bursts, an unresolved reconciliation mismatch, flash crash): while any is active the
bot's effective state is ``halted`` with the breaker's reason, and entries are refused; exits
(stops, take profits, flattening) are never blocked. A halt whose condition clears by itself
(fresh data, a cool-down) returns the bot to its own state; an operator halt needs ``start``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class BotState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    HALTED = "halted"


COMMANDS = ("start", "stop", "pause", "resume", "emergency_stop")


@dataclass(frozen=True, slots=True)
class BotStatus:
    state: BotState = BotState.RUNNING
    reason: str = "started"
    changed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Actions:
    cancel_all: bool = False  # cancel every open order of the bot's symbols
    flatten: bool = False  # close every position (market, reduce-only), stops cancelled first
    halt_breaker: bool = False  # raise the breaker's operator halt
    resume_breaker: bool = False  # lift the breaker's operator-clearable halts
    end_loop: bool = False  # the trader finishes (after the actions)


@dataclass(frozen=True, slots=True)
class Outcome:
    status: BotStatus
    actions: Actions
    accepted: bool  # False: the command did not apply in this state (the reason says why)
    reason: str


def apply_command(
    status: BotStatus, command: str, *, actor: str, why: str, now: datetime,
    flatten_on_stop: bool,
) -> Outcome:  # fmt: skip
    """The status after ``command`` from ``actor`` (``why``: the reason it gave)."""
    by = f"{command} by {actor}" + (f": {why}" if why else "")
    state = status.state

    def to(new: BotState, actions: Actions = Actions()) -> Outcome:
        return Outcome(BotStatus(new, by, now), actions, True, by)

    def refuse(message: str) -> Outcome:
        return Outcome(status, Actions(), False, f"{command} refused: {message}")

    if command not in COMMANDS:
        return refuse(f"unknown command; known: {', '.join(COMMANDS)}")
    if state is BotState.STOPPED:
        return refuse("the bot is stopped")
    if command == "emergency_stop":
        return to(BotState.HALTED, Actions(cancel_all=True, flatten=True, halt_breaker=True))
    if command == "stop":
        return to(
            BotState.STOPPED,
            Actions(cancel_all=flatten_on_stop, flatten=flatten_on_stop, end_loop=True),
        )
    if command == "pause":
        if state is BotState.HALTED:
            return refuse("the bot is halted; entries are already off")
        return to(BotState.PAUSED)
    if command == "resume":
        if state is BotState.HALTED:
            return refuse("the bot is halted: send start to lift an emergency stop")
        return to(BotState.RUNNING)
    # start
    return to(BotState.RUNNING, Actions(resume_breaker=True))


def effective_state(status: BotStatus, breaker_halts: tuple[str, ...]) -> tuple[BotState, str]:
    """The state the bot reports: its own, or ``halted`` while the breaker halts entries."""
    if status.state in (BotState.STOPPED, BotState.HALTED) or not breaker_halts:
        return status.state, status.reason
    return BotState.HALTED, "; ".join(breaker_halts)


def entries_allowed(status: BotStatus, breaker_halts: tuple[str, ...]) -> bool:
    state, _ = effective_state(status, breaker_halts)
    return state is BotState.RUNNING


def with_reason(status: BotStatus, reason: str, now: datetime) -> BotStatus:
    return replace(status, reason=reason, changed_at=now)
