"""The fill rules as plain arithmetic: one source for the sim exchange and the backtest kernel.

Every function here takes numbers and returns a bool or a number, with no imports beyond
``math``, so the same source runs two ways:

* the ``Decimal`` fill model (``matching.rules``) calls them with ``Decimal`` values, exactly;
* the numba kernel (``backtest.kernel``) compiles them with ``numba.njit`` and calls them with
  float64.

The rules:

    resting buy limit at P fills (maker) when a bar trades strictly below it:  low  < P
    resting sell limit at P fills (maker) when a bar trades strictly above it: high > P
    a public trade fills it when it prints strictly beyond P (tick replay)
    a stop that waits for a rise (stop-loss buy, take-profit sell) triggers when high >= stop,
    one that waits for a fall (stop-loss sell, take-profit buy) when low <= stop (a touch)
    a triggered stop fills around its stop price -- or around the bar's open when the bar
    opened at or through the stop (a gap: the first trade of the bar already met it)
    commission = received amount x rate (the Decimal engine then rounds half-even to 8
    decimals, in the received asset; the kernel keeps the float and charges it in quote)

The synthetic book (``matching.book``: mid, half spread, level spacing, equal level sizes of
``depth_fraction`` x bar volume / levels) has a float twin here, ``book_average_price``: what a
market order of a given size pays on average when it walks that book. With the instrument's
``tick`` and ``step`` it reproduces ``Book.from_bar`` + ``Book.plan`` to float precision (a
test compares them on real bars); the kernel calls it with ``tick = step = 0`` (no grid), and
fills what the book cannot hold at its last level (the sim would expire that part).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TypeVar

N = TypeVar("N", float, Decimal)

_EPS = 1e-9  # a float x / tick within this of an integer counts as on the grid


def limit_fills(is_buy: bool, price: N, low: N, high: N) -> bool:
    """Whether a bar with this ``low`` / ``high`` trades strictly through a resting limit."""
    if is_buy:
        return bool(low < price)
    return bool(high > price)


def limit_fills_at(is_buy: bool, price: N, traded: N) -> bool:
    """Whether a public trade at ``traded`` prints strictly beyond a resting limit."""
    if is_buy:
        return bool(traded < price)
    return bool(traded > price)


def fires_upwards(is_stop_loss: bool, is_buy: bool) -> bool:
    """A stop-loss buy and a take-profit sell wait for the price to rise to their stop."""
    return is_stop_loss == is_buy


def stop_triggers(upwards: bool, stop: N, low: N, high: N) -> bool:
    """Whether a bar's range reaches a stop (touching it is enough)."""
    if upwards:
        return bool(high >= stop)
    return bool(low <= stop)


def stop_triggers_at(upwards: bool, stop: N, last: N) -> bool:
    """Whether the price ``last`` already meets a stop (Binance rejects such a new order)."""
    if upwards:
        return bool(last >= stop)
    return bool(last <= stop)


def stop_fill_reference(upwards: bool, stop: N, open_: N) -> N:
    """The price a bar's triggered stop fills around: the open when the bar opened at or
    through the stop (a gap), else the stop itself (the kernel's ``scan`` applies this rule
    to its stops; the sim centres its trigger book on it)."""
    return open_ if stop_triggers_at(upwards, stop, open_) else stop


def level_on_grid(level: float, tick: float, up: bool) -> float:
    """An exit level of the float backtest put on the instrument's price grid as the exit
    manager puts it (``execution.exits.prices``): rounded up (a long's stop and take profit)
    or down (a short's); a level within ``_EPS`` ticks of the grid stays there. ``tick`` <= 0:
    no grid. When 1 / tick is an integer the result is ``n / (1 / tick)``, the float nearest
    the decimal price (``n x tick`` can be an ulp off it)."""
    if not tick > 0.0 or not math.isfinite(level):
        return level
    q = level / tick
    r = math.floor(q + 0.5)
    n = r if abs(q - r) < _EPS else (math.ceil(q) if up else math.floor(q))
    inverse = 1.0 / tick
    whole = math.floor(inverse + 0.5)
    if abs(inverse - whole) < _EPS:
        return float(n / whole)
    return float(n * tick)


def commission(received: N, rate: N) -> N:
    """The commission on a fill before any rounding: received amount x rate."""
    return received * rate


def book_average_price(
    is_buy: bool,
    quantity: float,
    mid: float,
    volume: float,
    half_spread_bps: float,
    spacing_bps: float,
    depth_fraction: float,
    levels: int,
    tick: float,
    step: float,
) -> float:
    """Average price a market order of ``quantity`` pays walking the bar book around ``mid``.

    Levels as ``matching.book``: ``mid`` snapped to the tick, ``half = max(tick,
    ceil_tick(mid x half_spread_bps / 10^4))``, ``spacing = max(tick, ceil_tick(mid x
    spacing_bps / 10^4))``, level ``i`` at ``mid +- (half + i x spacing)``, each holding
    ``floor_step(depth_fraction x volume / levels)``. Bid levels at or below zero do not
    exist. What the book cannot hold fills at its last level's price. ``quantity`` <= 0:
    the best level's price.
    """
    # Grid snapping is written out (not helper calls) so numba compiles this one function.
    centre = mid
    if tick > 0.0:
        centre = math.floor(mid / tick + 0.5) * tick
    half = centre * half_spread_bps / 10_000.0
    spacing = centre * spacing_bps / 10_000.0
    size = depth_fraction * volume / levels
    if tick > 0.0:  # half spread and spacing: up to the tick, at least one tick
        q = half / tick
        r = math.floor(q + 0.5)
        half = max(tick, (r if abs(q - r) < _EPS else math.ceil(q)) * tick)
        q = spacing / tick
        r = math.floor(q + 0.5)
        spacing = max(tick, (r if abs(q - r) < _EPS else math.ceil(q)) * tick)
    if step > 0.0:  # level size: down to the lot step
        q = size / step
        r = math.floor(q + 0.5)
        size = (r if abs(q - r) < _EPS else math.floor(q)) * step
    sign = 1.0 if is_buy else -1.0
    if quantity <= 0.0:
        return centre + sign * half
    left = quantity
    cost = 0.0
    price = centre + sign * half
    for i in range(levels):
        level_price = centre + sign * (half + i * spacing)
        if level_price <= 0.0 or left <= 0.0:
            break
        price = level_price
        take = min(size, left)
        cost += take * price
        left -= take
    if left > 0.0:
        cost += left * price
    return cost / quantity
