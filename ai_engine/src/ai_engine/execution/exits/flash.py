"""The flash-crash window: the lowest and highest price of the last ``window`` of ticks, kept
as two monotonic queues (each tick is added once and dropped once, so a long stream of ticks
costs O(1) per tick on average), and the largest move from them to the latest price."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from ai_engine.domain.decimals import wide_divide

Window = tuple[tuple[datetime, Decimal], ...]


def track_window(
    lows: Window, highs: Window, ts: datetime, price: Decimal, window: timedelta
) -> tuple[Window, Window]:
    """The queues after a tick at ``ts``; a tick older than the newest one is ignored."""
    if lows and ts < lows[-1][0]:
        return lows, highs
    start = ts - window
    low = [entry for entry in lows if entry[0] >= start]
    high = [entry for entry in highs if entry[0] >= start]
    while low and low[-1][1] >= price:
        low.pop()
    while high and high[-1][1] <= price:
        high.pop()
    low.append((ts, price))
    high.append((ts, price))
    return tuple(low), tuple(high)


def flash_move(lows: Window, highs: Window, price: Decimal) -> Decimal | None:
    """The larger of the rise from the window's low and the fall from its high to ``price``,
    as a signed fraction (-0.06 = down 6 %); None before the first tick."""
    if not lows or not highs:
        return None
    rise = wide_divide(price - lows[0][1], lows[0][1])
    fall = wide_divide(price - highs[0][1], highs[0][1])
    return rise if rise >= -fall else fall
