"""One handler call of the exit manager: the next state and the actions so far."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ai_engine.execution.client_ids import Purpose
from ai_engine.execution.exits.actions import ExitAction, ExitReason, ExitTag
from ai_engine.execution.exits.state import ExitState


@dataclass
class Step:
    """What a handler builds: ``state`` replaced step by step, ``actions`` in order."""

    state: ExitState
    actions: list[ExitAction] = field(default_factory=list)

    def tag(self, purpose: Purpose) -> ExitTag:
        self.state, tag = self.state.next_tag(purpose)
        return tag

    def retire(self, tag: ExitTag, reason: ExitReason) -> None:
        self.state = replace(self.state, retired=(*self.state.retired, (tag, reason)))


def stop_reason(purpose: Purpose) -> ExitReason:
    """Why a stop order closed the position, from its purpose."""
    return ExitReason.TRAILING_STOP if purpose is Purpose.TRAILING_STOP else ExitReason.STOP_LOSS
