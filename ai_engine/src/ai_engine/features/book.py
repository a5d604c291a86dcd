"""Level-2 order-book imbalance.

For one snapshot with bid volumes ``b_1..b_L`` and ask volumes ``a_1..a_L`` (level 1 = best
price) and level weights ``w_k`` (default all 1):

    imbalance = (sum w_k*b_k - sum w_k*a_k) / (sum w_k*b_k + sum w_k*a_k)   in [-1, 1]

+1 means only bids, -1 only asks; NaN for an empty book. ``levels`` keeps the best ``levels``
levels only. Arrays are ``(snapshots, levels)`` (or one snapshot as ``(levels,)``); missing
levels may be given as 0 or NaN (NaN counts as 0). Snapshots are put on bars with
``alignment.asof`` (a bar sees the last snapshot taken by its close).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ai_engine.features._arrays import FloatArray, check_period


def book_imbalance(
    bid_volume: ArrayLike,
    ask_volume: ArrayLike,
    levels: int | None = None,
    weights: ArrayLike | None = None,
) -> FloatArray:
    """Imbalance per snapshot (see module docstring); shape ``(snapshots,)``."""
    bids = np.atleast_2d(np.asarray(bid_volume, dtype=np.float64))
    asks = np.atleast_2d(np.asarray(ask_volume, dtype=np.float64))
    if bids.ndim != 2 or bids.shape != asks.shape:
        raise ValueError(f"bid_volume {bids.shape} and ask_volume {asks.shape} must match")
    if levels is not None:
        check_period(levels, "levels")
        bids, asks = bids[:, :levels], asks[:, :levels]
    if weights is None:
        w = np.ones(bids.shape[1])
    else:
        w = np.asarray(weights, dtype=np.float64)[: bids.shape[1]]
        if w.shape != (bids.shape[1],):
            raise ValueError(f"weights: need {bids.shape[1]} values, got {w.shape}")
    if bool(np.any(bids < 0)) or bool(np.any(asks < 0)):
        raise ValueError("book volumes must not be negative")
    b = np.nan_to_num(bids) @ w
    a = np.nan_to_num(asks) @ w
    out = np.full(len(b), np.nan)
    np.divide(b - a, b + a, out=out, where=(b + a) > 0)
    return out
