"""What every entry check looks at: the order, the account, the limits in force and the time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ai_engine.risk.in_force import InForce
from ai_engine.risk.intent import OrderIntent
from ai_engine.risk.limits import RiskLimits
from ai_engine.risk.state import RiskState
from ai_engine.risk.wording import money, pct


@dataclass(frozen=True, slots=True)
class CheckContext:
    intent: OrderIntent
    state: RiskState
    limits: RiskLimits
    in_force: InForce
    now: datetime

    @property
    def label(self) -> str:
        """``"BTCUSDT buy"``: how reasons name the order."""
        return f"{self.intent.symbol} {self.intent.side.value}"


def cap_of(fraction: Decimal | None, base: Decimal, amount: Decimal | None) -> tuple[Decimal, str]:
    """The tighter of ``fraction x base`` and ``amount`` (at least one is set), and its words."""
    parts: list[tuple[Decimal, str]] = []
    if fraction is not None:
        value = fraction * base
        parts.append((value, f"{pct(fraction)} of {money(base)} = {money(value)}"))
    if amount is not None:
        parts.append((amount, f"{money(amount)}"))
    cap, text = min(parts, key=lambda part: part[0])
    if len(parts) == 2:
        text = f"{text} (the tighter of {parts[0][1]} and {parts[1][1]})"
    return cap, text
