"""The flash-crash exit's detector (issue 7: "more than 5 % in one minute"): pure, no I/O.

    watch = FallWatch(FlashRule(move=Decimal("0.05"), window=timedelta(seconds=60)))
    crash = watch.update(ts, price)      # every price seen (the kline stream's updates)
    if crash is not None: sell the open long at market, halt entries for the cool-down

    spike = RiseWatch(rule).update(ts, price)   # a USD-M short's mirror: buy it back

Rules:

- **A fall from the window's high.** ``update(ts, price)`` keeps the highest price of the last
  ``window`` (ticks at ``ts - window`` or later; a monotonic queue: O(1) per tick on average)
  and answers a ``Crash`` when ``price`` is *more than* ``move`` below that high:
  ``price < high x (1 - move)``. A rise never fires (a long has nothing to fear from it).
- **A short's mirror: a rise from the window's low.** ``RiseWatch`` keeps the lowest price of
  the last ``window`` and answers a ``Spike`` when ``price`` is *more than* ``move`` above it:
  ``price > low x (1 + move)`` -- the open USD-M short is bought back at market, reduce-only,
  with exit reason ``flash_crash``. A fall never fires it (a short has nothing to fear from
  it). Every other rule below holds for it alike.
- **Time never runs back.** A tick older than the newest one seen is ignored (the stream may
  replay an update after a reconnect); a tick at the same time is taken.
- **After a crash the window restarts** at the crash's price, so one fall fires once, not at
  every later tick below the old high.
- **Replay (bars only)** has no ticks: ``bar_crashed(high, low, rule)`` applies the same rule
  at the bar's close with its high and low as the best evidence there is (a bar of at most
  ``window``: a 1m bar for the default 60 s). A bar's high and low come in an order the bar
  does not tell, so a bar that rose by more than ``move`` from its low fires too: replay may
  exit where the live rule would not have. A short's mirror, ``bar_spiked``: the bar's high
  more than ``move`` above its low. ``bar_move(high, low, side, rule)`` applies the one of the
  position's side and gives the signed move to report (None: no exit).
- **Configuration** is the bot's ``exits.flash_crash`` (``{move: 0.05, window_s: 60}``;
  ``false``: off; absent: on with the defaults), read by ``flash_rule``.

``FlashCrashGuard`` adds what the live wiring needs around the detector: the price of each
update of the bar in progress (its close), and the symbol and the time the crash is
reported with. It feeds both watches every price (so each window is whole when a position
turns) and answers the one of the position's side: ``seen(ts_ms, price, side)`` -- the fall
when long or flat (a fall is reported to the breaker even when flat, as before), the rise
when short. Acting on it (the exit, the halt) is the composition's (``trader.live``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ai_engine.domain import from_epoch_ms

DEFAULT_MOVE = Decimal("0.05")
DEFAULT_WINDOW = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class FlashRule:
    move: Decimal = DEFAULT_MOVE  # a fall of more than this fraction ...
    window: timedelta = DEFAULT_WINDOW  # ... below the high of this long a window

    def __post_init__(self) -> None:
        if not 0 < self.move < 1:
            raise ValueError(f"a flash-crash move must be in (0, 1), got {self.move}")
        if self.window <= timedelta(0):
            raise ValueError(f"a flash-crash window must be positive, got {self.window}")


@dataclass(frozen=True, slots=True)
class Crash:
    ts: datetime
    price: Decimal
    high: Decimal  # the window's high the price fell from
    high_at: datetime
    move: Decimal  # signed fraction: (price - high) / high, below -rule.move

    def describe(self, rule: FlashRule) -> str:
        return (
            f"flash crash: {self.price} is {-self.move * 100:.2f}% below the high {self.high} "
            f"of the last {rule.window.total_seconds():g}s (limit {rule.move * 100:g}%)"
        )


@dataclass(frozen=True, slots=True)
class Spike:
    ts: datetime
    price: Decimal
    low: Decimal  # the window's low the price rose from
    low_at: datetime
    move: Decimal  # signed fraction: (price - low) / low, above rule.move

    def describe(self, rule: FlashRule) -> str:
        return (
            f"flash spike: {self.price} is {self.move * 100:.2f}% above the low {self.low} "
            f"of the last {rule.window.total_seconds():g}s (limit {rule.move * 100:g}%)"
        )


class _ExtremeWatch:
    """The window's extreme as a monotonic queue (module docstring): its high (``rising``
    False: a fall from it fires) or its low (``rising`` True: a rise from it fires)."""

    def __init__(self, rule: FlashRule, *, rising: bool) -> None:
        self.rule, self._rising = rule, rising
        self._queue: deque[tuple[datetime, Decimal]] = deque()  # the extreme first
        self._last: datetime | None = None

    @property
    def extreme(self) -> Decimal | None:
        return self._queue[0][1] if self._queue else None

    def _moved(self, ts: datetime, price: Decimal) -> tuple[datetime, Decimal] | None:
        """(when, the extreme) the price moved away from by more than ``move``, or None."""
        if price <= 0:
            raise ValueError(f"a price must be positive, got {price} at {ts.isoformat()}")
        if self._last is not None and ts < self._last:
            return None
        self._last = ts
        queue, start, move = self._queue, ts - self.rule.window, self.rule.move
        while queue and queue[0][0] < start:
            queue.popleft()
        found = None
        if queue:
            extreme = queue[0][1]
            if price > extreme * (1 + move) if self._rising else price < extreme * (1 - move):
                found = queue[0]
                queue.clear()  # one move fires once
        while queue and (queue[-1][1] >= price if self._rising else queue[-1][1] <= price):
            queue.pop()
        queue.append((ts, price))
        return found


class FallWatch(_ExtremeWatch):
    """The detector of the module docstring: a fall from the window's high."""

    def __init__(self, rule: FlashRule) -> None:
        super().__init__(rule, rising=False)

    @property
    def high(self) -> Decimal | None:
        return self.extreme

    def update(self, ts: datetime, price: Decimal) -> Crash | None:
        found = self._moved(ts, price)
        if found is None:
            return None
        high_at, high = found
        return Crash(ts, price, high, high_at, (price - high) / high)


class RiseWatch(_ExtremeWatch):
    """The short's mirror of ``FallWatch`` (module docstring): a rise of more than ``move``
    above the low of the last ``window``."""

    def __init__(self, rule: FlashRule) -> None:
        super().__init__(rule, rising=True)

    @property
    def low(self) -> Decimal | None:
        return self.extreme

    def update(self, ts: datetime, price: Decimal) -> Spike | None:
        found = self._moved(ts, price)
        if found is None:
            return None
        low_at, low = found
        return Spike(ts, price, low, low_at, (price - low) / low)


def bar_crashed(high: Decimal, low: Decimal, rule: FlashRule) -> bool:
    """Replay's rule at a bar's close (module docstring): its low more than ``move`` below
    its high."""
    return low < high * (1 - rule.move)


def bar_spiked(high: Decimal, low: Decimal, rule: FlashRule) -> bool:
    """A short's replay rule at a bar's close: its high more than ``move`` above its low."""
    return high > low * (1 + rule.move)


def bar_move(high: Decimal, low: Decimal, side: int, rule: FlashRule) -> Decimal | None:
    """The signed move a bar's flash exit reports for a position of ``side`` (1 long: the
    fall ``low / high - 1``; -1 short: the rise ``high / low - 1``), or None: no exit."""
    if side > 0 and bar_crashed(high, low, rule):
        return low / high - 1
    if side < 0 and bar_spiked(high, low, rule):
        return high / low - 1
    return None


def flash_rule(exits: Mapping[str, Any], *, where: str = "exits.flash_crash") -> FlashRule | None:
    """The rule of a bot's ``exits`` mapping: ``flash_crash: false`` -> None (off); absent or
    ``true`` -> the defaults; ``{move, window_s}`` -> those. Errors name ``where``."""
    raw = exits.get("flash_crash", True)
    if raw is False:
        return None
    if raw is True:
        return FlashRule()
    if not isinstance(raw, Mapping) or not set(raw) <= {"move", "window_s"}:
        raise ValueError(f"{where}: expected false, true or {{move, window_s}}, got {raw!r}")
    try:
        move = Decimal(str(raw.get("move", DEFAULT_MOVE)))
        window = timedelta(seconds=float(raw.get("window_s", DEFAULT_WINDOW.total_seconds())))
        return FlashRule(move, window)
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise ValueError(f"{where}: {exc}") from None


class FlashCrashGuard:
    """A ``FallWatch`` and a ``RiseWatch`` over one symbol's kline updates (the bar in
    progress, and closed ones): ``seen(ts_ms, close, side)`` -> a ``Crash`` (long or flat) or
    a ``Spike`` (short) when one is due."""

    def __init__(self, rule: FlashRule, symbol: str) -> None:
        self.rule, self.symbol = rule, symbol
        self.watch = FallWatch(rule)
        self.rise = RiseWatch(rule)
        self.crashes: list[Crash | Spike] = []

    def seen(self, ts_ms: int, price: Decimal, side: int = 1) -> Crash | Spike | None:
        at = from_epoch_ms(ts_ms)
        crash, spike = self.watch.update(at, price), self.rise.update(at, price)
        found = spike if side < 0 else crash
        if found is not None:
            self.crashes.append(found)
        return found
