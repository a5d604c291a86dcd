"""Leverage and maintenance-margin brackets (Binance's ``GET /fapi/v1/leverageBracket``).

A bracket covers position notionals in ``[floor, cap)``; inside it the maintenance margin is

    maintenance margin = notional x mmr - cum

where ``cum`` (Binance's "maintenance amount") makes the formula continuous across brackets:
``cum[i] = cum[i-1] + floor[i] x (mmr[i] - mmr[i-1])``. It is derived here from the caps and
rates, so a table cannot be internally inconsistent. ``max_leverage`` is the highest leverage a
position of that size may use: at leverage L a position may grow to the cap of the last bracket
that still allows L (``max_notional``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from ai_engine.domain.decimals import exact

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Bracket:
    number: int  # 1-based, as Binance numbers them
    floor: Decimal
    cap: Decimal
    max_leverage: int
    mmr: Decimal  # maintenance margin rate, 0.004 = 0.4 %
    cum: Decimal  # maintenance amount


class BracketTable:
    """The brackets of one symbol, from rows of (notional cap, max leverage, mmr)."""

    __slots__ = ("brackets",)

    def __init__(self, rows: Sequence[tuple[str, int, str]]) -> None:
        if not rows:
            raise ValueError("a bracket table needs at least one row")
        brackets: list[Bracket] = []
        floor, cum, previous_mmr = _ZERO, _ZERO, _ZERO
        with exact():
            for number, (cap, leverage, mmr) in enumerate(rows, start=1):
                rate = Decimal(mmr)
                cum += floor * (rate - previous_mmr)
                brackets.append(Bracket(number, floor, Decimal(cap), leverage, rate, cum))
                floor, previous_mmr = Decimal(cap), rate
        if any(a.max_leverage < b.max_leverage for a, b in pairwise(brackets)):
            raise ValueError("max leverage must not rise with the notional")
        self.brackets: tuple[Bracket, ...] = tuple(brackets)

    @property
    def max_leverage(self) -> int:
        return self.brackets[0].max_leverage

    def for_notional(self, notional: Decimal) -> Bracket:
        """The bracket ``notional`` falls in (the last one beyond every cap)."""
        for bracket in self.brackets:
            if notional < bracket.cap:
                return bracket
        return self.brackets[-1]

    def maintenance_margin(self, notional: Decimal) -> Decimal:
        bracket = self.for_notional(notional)
        with exact():
            return notional * bracket.mmr - bracket.cum

    def max_notional(self, leverage: int) -> Decimal:
        """The largest position notional allowed at ``leverage`` (Binance's maxNotionalValue)."""
        allowed = [bracket for bracket in self.brackets if bracket.max_leverage >= leverage]
        return allowed[-1].cap if allowed else _ZERO


# Binance's published BTCUSDT brackets (USD-M, as listed 2023-2025): 0.4 % up to 50k notional
# at up to 125x, 0.5 % up to 600k at 100x, and so on. Used for every listed symbol unless the
# symbol table names another table.
BTCUSDT_BRACKETS = BracketTable(
    [
        ("50000", 125, "0.004"),
        ("600000", 100, "0.005"),
        ("3000000", 75, "0.0065"),
        ("12000000", 50, "0.01"),
        ("70000000", 25, "0.02"),
        ("100000000", 20, "0.025"),
        ("230000000", 10, "0.05"),
        ("480000000", 5, "0.1"),
        ("600000000", 4, "0.125"),
        ("800000000", 3, "0.15"),
        ("1200000000", 2, "0.25"),
        ("1800000000", 1, "0.5"),
    ]
)
