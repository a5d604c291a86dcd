"""Small vectorised building blocks the built-in strategies share: crossings, windows, levels.

All are causal: the value at bar ``i`` uses inputs ``0..i`` only. NaN inputs (warm-up) never
produce a crossing or a level.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]


def _previous_nonzero_sign(diff: F64) -> F64:
    """Sign of the last non-zero, non-NaN ``diff`` strictly before each bar (0 if none)."""
    sign = np.sign(np.nan_to_num(diff, nan=0.0))
    index = np.where(sign != 0, np.arange(len(diff)), -1)
    last = np.maximum.accumulate(index) if len(diff) else index
    previous = np.zeros(len(diff))
    if len(diff) > 1:
        before = last[:-1]
        previous[1:] = np.where(before >= 0, sign[np.maximum(before, 0)], 0.0)
    return previous


def crossed_above(a: F64, b: F64) -> Bool:
    """``a`` closes above ``b`` at bar ``i`` and was last seen below it.

    Equal values do not end a side: ``a - b`` going -1, 0, +1 is one crossing (at the +1 bar)
    and +1, 0, +1 none, as in Backtrader's ``CrossOver``. Bars where ``a`` or ``b`` is NaN
    neither cross nor count as a side.
    """
    diff = a - b
    with np.errstate(invalid="ignore"):
        return np.asarray((diff > 0) & (_previous_nonzero_sign(diff) < 0))


def crossed_below(a: F64, b: F64) -> Bool:
    """``a`` closes below ``b`` at bar ``i`` and was last seen above it."""
    return crossed_above(b, a)


def crossed_above_level(x: F64, level: float) -> Bool:
    return crossed_above(x, np.full(len(x), float(level)))


def crossed_below_level(x: F64, level: float) -> Bool:
    return crossed_below(x, np.full(len(x), float(level)))


def change_pct(close: F64, bars: int) -> F64:
    """``100 * (close[i] / close[i-bars] - 1)``; NaN for the first ``bars`` bars."""
    out = np.full(len(close), np.nan)
    if 0 < bars < len(close):
        out[bars:] = 100.0 * (close[bars:] / close[:-bars] - 1.0)
    return out


def clip_vote(x: F64) -> F64:
    """Clip to ``[-1, 1]``, keeping NaN (warm-up)."""
    return np.clip(x, -1.0, 1.0)


def ratio(num: F64, den: F64) -> F64:
    """``num / den`` with NaN where ``den`` is 0 or NaN."""
    out = np.full(len(num), np.nan)
    np.divide(num, den, out=out, where=np.isfinite(den) & (den != 0))
    return out


def stop_distance(close: F64, atr: F64, stop_atr: float, max_loss_pct: float) -> F64:
    """``stop_atr`` ATRs, but never more than ``max_loss_pct`` % of the close."""
    return np.minimum(stop_atr * atr, close * max_loss_pct / 100.0)


def long_levels(close: F64, distance: F64, reward_risk: float) -> tuple[F64, F64]:
    """(stop, take-profit) of a long: ``distance`` below, ``reward_risk`` times it above."""
    return close - distance, close + reward_risk * distance


def short_levels(close: F64, distance: F64, reward_risk: float) -> tuple[F64, F64]:
    """(stop, take-profit) of a short: ``distance`` above, ``reward_risk`` times it below."""
    return close + distance, close - reward_risk * distance


def put(target: F64, where: Bool, values: F64) -> None:
    """``target[where] = values[where]`` (in place)."""
    target[where] = values[where]


def rolling_sum(x: F64, window: int) -> F64:
    """``x[i-window+1] + ... + x[i]``; NaN for the first ``window - 1`` bars."""
    out = np.full(len(x), np.nan)
    if 0 < window <= len(x):
        c = np.cumsum(x)
        out[window - 1] = c[window - 1]
        out[window:] = c[window:] - c[:-window]
    return out


def scaled_vote(x: F64, scale: F64 | float) -> F64:
    """``clip(x / scale, -1, 1)``; a zero scale gives ``sign(x)`` (0 for 0); NaN stays NaN."""
    s = np.broadcast_to(np.asarray(scale, dtype=np.float64), np.shape(x))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(s != 0, x / np.where(s != 0, s, 1.0), np.sign(x))
    return np.clip(out, -1.0, 1.0)


def abstain_after(vote: F64, warmup: int) -> F64:
    """``vote`` with NaN replaced by 0 (no opinion) from bar ``warmup`` on: an indicator
    undefined on warm data (no volume, no price change in its window) abstains."""
    out = vote.copy()
    tail = out[warmup:]
    tail[np.isnan(tail)] = 0.0
    return out
