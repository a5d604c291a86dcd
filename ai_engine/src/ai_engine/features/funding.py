"""Funding-rate bias for perpetual futures (seed 004 section 8).

Alignment: a bar sees only funding events already published by its close, i.e. the last event
with ``funding_time <= open_time + interval_ms - 1`` (``alignment.asof`` at the bar's close);
an event stamped at the next bar's open is not yet visible. Binance publishes the settled rate
at ``funding_time`` (every 8 h); NaN before the first event.

Bias (positive funding: crowded longs pay, so lean short; negative: lean long), with
``neutral`` the venue's baseline rate (Binance USD-M: 0.01 % per 8 h) and ``extreme`` the rate
from which the lean is full:

    bias = -clip((rate - neutral) / (extreme - neutral), -1, 1)

and an avoid flag: +1 where ``rate >= extreme`` (avoid new longs), -1 where
``rate <= -extreme`` (avoid new shorts), 0 otherwise. Both NaN where ``rate`` is NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ai_engine.features._arrays import FloatArray, as_f64
from ai_engine.features.alignment import asof, bar_close_ms

BINANCE_NEUTRAL_RATE = 0.0001
DEFAULT_EXTREME_RATE = 0.0005


def funding_on_bars(
    bar_open_time: ArrayLike,
    interval_ms: int,
    funding_time: ArrayLike,
    funding_rate: ArrayLike,
) -> FloatArray:
    """The latest funding rate published by each bar's close (NaN before the first event)."""
    return asof(funding_time, funding_rate, bar_close_ms(bar_open_time, interval_ms))


def funding_bias(
    rate: ArrayLike,
    neutral: float = BINANCE_NEUTRAL_RATE,
    extreme: float = DEFAULT_EXTREME_RATE,
) -> FloatArray:
    """Lean in ``[-1, 1]``: negative = short bias (see module docstring)."""
    if not extreme > neutral:
        raise ValueError(f"extreme ({extreme}) must exceed neutral ({neutral})")
    r = as_f64(rate, "rate")
    return -np.clip((r - neutral) / (extreme - neutral), -1.0, 1.0)


def funding_extreme(rate: ArrayLike, extreme: float = DEFAULT_EXTREME_RATE) -> FloatArray:
    """+1 avoid longs, -1 avoid shorts, 0 neither, NaN unknown."""
    r = as_f64(rate, "rate")
    with np.errstate(invalid="ignore"):
        out = (r >= extreme).astype(np.float64) - (r <= -extreme).astype(np.float64)
    out[np.isnan(r)] = np.nan
    return out
