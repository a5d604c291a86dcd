"""Fill prices inside the kernel: where a delayed market order executes, and its slippage.

Execution time. A market order decided at a bar's close reaches the market ``latency_ms``
later, at ``te``. It fills in the first bar (of that symbol) whose interval
``[open, open + interval)`` contains ``te`` -- or that opens after ``te``, over a gap in the
data -- at the price the bar had reached by then, read linearly between its open and close::

    f     = clamp((te - open) / interval, 0, 1)
    price = open + f x (close - open)

so latency 0 fills at exactly the next bar's open. With finer bars for that bar the same rule
is applied to the finer bar containing ``te``. The straight line is a model (a bar's path is
unknown); finer data shrink its error.

Slippage (``config.SlippageModel``): a buy pays more, a sell receives less, capped at
``max_bps`` of the price. ``ref`` is per bar: the ATR or range of the last closed bar
(volatility), its base volume (volume and book).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from ai_engine.backtest import kernel_codes as kc
from ai_engine.backtest.jit import jit, jit_inline
from ai_engine.matching import fill_rules

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

book_average_price = jit(fill_rules.book_average_price)


@jit_inline
def slipped(is_buy: bool, price: float, quantity: float, ref: float, p: F64) -> float:
    """``price`` after the configured slippage for an order of ``quantity`` (taker fills)."""
    kind = int(p[kc.P_SLIP_KIND])
    if kind == kc.SLIP_NONE:
        return price
    cap = price * p[kc.P_SLIP_MAX_BPS] / 10_000.0
    if kind == kc.SLIP_FIXED_BPS:
        move = price * p[kc.P_SLIP_BPS] / 10_000.0
    elif kind == kc.SLIP_VOLATILITY:
        move = p[kc.P_SLIP_K] * ref if math.isfinite(ref) else 0.0
    elif kind == kc.SLIP_VOLUME:
        move = price * p[kc.P_SLIP_K] * quantity / ref if ref > 0.0 else cap
    else:
        volume = ref if ref > 0.0 else 0.0
        average = book_average_price(
            is_buy,
            quantity,
            price,
            volume,
            p[kc.P_BOOK_HALF_SPREAD_BPS],
            p[kc.P_BOOK_SPACING_BPS],
            p[kc.P_BOOK_DEPTH_FRACTION],
            int(p[kc.P_BOOK_LEVELS]),
            0.0,
            0.0,
        )
        move = abs(average - price)
    move = min(move, cap)
    return float(price + move if is_buy else price - move)


@jit_inline
def along_bar(open_: float, close: float, start: int, length: int, at: int) -> float:
    """The price ``at`` ms read linearly inside a bar opening at ``start`` (see module doc)."""
    if at <= start:
        return open_
    f = (at - start) / length
    if f >= 1.0:
        return close
    return open_ + f * (close - open_)


@jit
def fine_index(fine_t: I64, first: int, stop: int, at: int, fine_ms: int) -> int:
    """The finer bar in ``[first, stop)`` containing ``at`` (or the first opening after it;
    the last one when ``at`` is after them all)."""
    for j in range(first, stop):
        if at < fine_t[j] + fine_ms:
            return j
    return stop - 1
