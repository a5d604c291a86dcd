"""The control state machine: every command from every state, and the breaker folded in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ai_engine.trader.control import (
    COMMANDS,
    Actions,
    BotState,
    BotStatus,
    apply_command,
    effective_state,
    entries_allowed,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def go(state: BotState, command: str, flatten_on_stop: bool = False) -> object:
    return apply_command(
        BotStatus(state, "x", NOW), command, actor="op", why="test", now=NOW,
        flatten_on_stop=flatten_on_stop,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("state", "command", "to", "actions"),
    [
        (BotState.RUNNING, "pause", BotState.PAUSED, Actions()),
        (BotState.PAUSED, "resume", BotState.RUNNING, Actions()),
        (BotState.PAUSED, "start", BotState.RUNNING, Actions(resume_breaker=True)),
        (BotState.HALTED, "start", BotState.RUNNING, Actions(resume_breaker=True)),
        (BotState.RUNNING, "stop", BotState.STOPPED, Actions(end_loop=True)),
        (BotState.PAUSED, "stop", BotState.STOPPED, Actions(end_loop=True)),
        (BotState.HALTED, "stop", BotState.STOPPED, Actions(end_loop=True)),
        *[
            (s, "emergency_stop", BotState.HALTED,
             Actions(cancel_all=True, flatten=True, halt_breaker=True))
            for s in (BotState.RUNNING, BotState.PAUSED, BotState.HALTED)
        ],
    ],
)  # fmt: skip
def test_accepted_commands(state: BotState, command: str, to: BotState, actions: Actions) -> None:
    outcome = go(state, command)
    assert outcome.accepted  # type: ignore[attr-defined]
    assert outcome.status.state is to  # type: ignore[attr-defined]
    assert outcome.actions == actions  # type: ignore[attr-defined]
    assert outcome.status.reason == f"{command} by op: test"  # type: ignore[attr-defined]


def test_stop_flattens_only_when_the_config_says_so() -> None:
    outcome = go(BotState.RUNNING, "stop", flatten_on_stop=True)
    assert outcome.actions == Actions(cancel_all=True, flatten=True, end_loop=True)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("state", "command", "words"),
    [
        (BotState.HALTED, "resume", "send start"),
        (BotState.HALTED, "pause", "halted"),
        *[(BotState.STOPPED, c, "stopped") for c in COMMANDS],
        (BotState.RUNNING, "explode", "unknown command"),
    ],
)
def test_refused_commands_change_nothing(state: BotState, command: str, words: str) -> None:
    before = BotStatus(state, "x", NOW)
    outcome = go(state, command)
    assert not outcome.accepted  # type: ignore[attr-defined]
    assert outcome.status == before  # type: ignore[attr-defined]
    assert outcome.actions == Actions()  # type: ignore[attr-defined]
    assert words in outcome.reason  # type: ignore[attr-defined]


def test_breaker_halts_make_a_running_or_paused_bot_halted_and_block_entries() -> None:
    halts = ("stale_data: market data is 5 s old",)
    for state in (BotState.RUNNING, BotState.PAUSED):
        status = BotStatus(state, "x", NOW)
        assert effective_state(status, halts) == (BotState.HALTED, halts[0])
        assert not entries_allowed(status, halts)
    assert entries_allowed(BotStatus(BotState.RUNNING), ())
    assert not entries_allowed(BotStatus(BotState.PAUSED), ())
    stopped = BotStatus(BotState.STOPPED, "done")
    assert effective_state(stopped, halts) == (BotState.STOPPED, "done")
