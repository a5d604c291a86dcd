"""A strategy's output: one value per bar in every array, decided at that bar's close.

* ``entries_long[i]`` / ``entries_short[i]``: open a position at the NEXT bar's open if flat.
* ``exits_long[i]`` / ``exits_short[i]``: close that side's position at the NEXT bar's open.
  An exit and an entry of the same side never share a bar (the exit wins); long and short
  entries never share a bar.
* ``stop[i]`` / ``take_profit[i]``: price levels for the position an entry at bar ``i`` opens,
  NaN where bar ``i`` has no entry; ``trail[i]``: trailing-stop distance in price units known at
  bar ``i``'s close (NaN: no trailing), applied from bar ``i + 1``.
* ``score[i]``: 0-100, 50 neutral, above 50 bullish, below 50 bearish:
  ``50 + 50 * sum(weight * vote) / sum(weight)`` over the components; NaN while any
  component is still warming up. ``confidence = |score - 50| / 50``.
* ``components``: the parts of the score, each with its raw ``value`` per bar, a ``weight`` and
  a ``vote`` in ``[-1, +1]`` (+1 fully bullish).
* ``reasons[i]``: bit mask of ``reasons.Reason`` codes (``reasons_at(i)`` gives the words).
* ``exit_rules``: position-dependent exits the execution layer applies (time stop, partial take
  profits, breakeven, when trailing starts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from ai_engine.strategies import reasons as rs

F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]


class Action(StrEnum):
    BUY = "BUY"
    SELL = "SELL"
    HOLD = "HOLD"


@dataclass(frozen=True, eq=False)
class Component:
    """One part of the score, per bar."""

    name: str
    weight: float
    value: F64
    vote: F64
    doc: str = ""


@dataclass(frozen=True)
class ExitRules:
    """Exits that depend on the open position (R = entry-to-stop distance)."""

    max_hold_bars: int | None = None  # time stop
    trail_after_r: float | None = None  # trailing starts at this profit in R (0: at once)
    breakeven_after_r: float | None = None  # stop moves to entry at this profit in R
    take_profit_levels: tuple[tuple[float, float], ...] = ()  # (profit in R, share of position)

    def to_dict(self) -> dict[str, object]:
        return {
            "max_hold_bars": self.max_hold_bars,
            "trail_after_r": self.trail_after_r,
            "breakeven_after_r": self.breakeven_after_r,
            "take_profit_levels": [list(level) for level in self.take_profit_levels],
        }


@dataclass(eq=False)
class Draft:
    """What ``Strategy.compute`` returns: signals before the shared entry gates.

    ``expected_move[i]`` is the move (fraction of the close, e.g. 0.004 = 0.4 %) an entry at
    bar ``i`` aims for; the fee gate compares it with the round-trip fees.
    """

    n: int
    components: tuple[Component, ...]
    entries_long: Bool = field(init=False)
    exits_long: Bool = field(init=False)
    entries_short: Bool = field(init=False)
    exits_short: Bool = field(init=False)
    stop: F64 = field(init=False)
    take_profit: F64 = field(init=False)
    trail: F64 = field(init=False)
    expected_move: F64 = field(init=False)
    reasons: rs.U64 = field(init=False)
    exit_rules: ExitRules = field(default_factory=ExitRules)

    def __post_init__(self) -> None:
        self.entries_long = np.zeros(self.n, dtype=bool)
        self.exits_long = np.zeros(self.n, dtype=bool)
        self.entries_short = np.zeros(self.n, dtype=bool)
        self.exits_short = np.zeros(self.n, dtype=bool)
        self.stop = np.full(self.n, np.nan)
        self.take_profit = np.full(self.n, np.nan)
        self.trail = np.full(self.n, np.nan)
        self.expected_move = np.full(self.n, np.nan)
        self.reasons = rs.empty(self.n)


@dataclass(frozen=True, eq=False)
class Signals:
    """The final arrays (see the module docstring)."""

    entries_long: Bool
    exits_long: Bool
    entries_short: Bool
    exits_short: Bool
    stop: F64
    take_profit: F64
    trail: F64
    score: F64
    reasons: rs.U64
    components: tuple[Component, ...]
    exit_rules: ExitRules

    def __len__(self) -> int:
        return len(self.score)

    @property
    def confidence(self) -> F64:
        return np.abs(self.score - 50.0) / 50.0

    def action_at(self, i: int) -> Action:
        """BUY: enter long or close a short; SELL: enter short or close a long; else HOLD."""
        buy = bool(self.entries_long[i] or self.exits_short[i])
        sell = bool(self.entries_short[i] or self.exits_long[i])
        if buy and not sell:
            return Action.BUY
        if sell and not buy:
            return Action.SELL
        return Action.HOLD

    def reasons_at(self, i: int) -> list[str]:
        return rs.describe(int(self.reasons[i]))

    def arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        """Every per-bar array by name (the lookahead gate and exports compare these)."""
        out: dict[str, npt.NDArray[np.generic]] = {
            "entries_long": self.entries_long,
            "exits_long": self.exits_long,
            "entries_short": self.entries_short,
            "exits_short": self.exits_short,
            "stop": self.stop,
            "take_profit": self.take_profit,
            "trail": self.trail,
            "score": self.score,
            "reasons": self.reasons.astype(np.float64),
        }
        for c in self.components:
            out[f"{c.name}.value"] = c.value
            out[f"{c.name}.vote"] = c.vote
        return out


def score_of(components: tuple[Component, ...], n: int) -> F64:
    """``50 + 50 * weighted mean vote``; NaN where any vote is NaN; 50 with no components."""
    if not components:
        return np.full(n, 50.0)
    total = sum(c.weight for c in components)
    if total <= 0:
        raise ValueError("component weights must add up to more than 0")
    acc = np.zeros(n)
    for c in components:
        acc += c.weight * np.clip(c.vote, -1.0, 1.0)
    return np.clip(50.0 + 50.0 * acc / total, 0.0, 100.0)
