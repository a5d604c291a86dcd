"""Fee-aware triple-barrier labels and forward returns.

Rules (index ``i`` is the bar that closed at ``open_time[i] + interval``; entry at ``close[i]``):

* The take-profit barrier is ``close[i] * (1 + take_profit)``, the stop
  ``close[i] * (1 - stop_loss)``, the time barrier bar ``i + horizon``. Bars ``i+1 .. i+horizon``
  are scanned in order; a bar whose ``high`` reaches the take profit hits it, one whose ``low``
  reaches the stop hits that.
* **label 1** = the take profit is hit first; **label 0** = the stop is hit first, both are hit in
  the same bar (counted as the stop: the bar's path inside is unknown, so the pessimistic case), or
  neither by bar ``i + horizon``.
* ``trade_return``: the gross return of that long trade: ``+take_profit``, ``-stop_loss`` or, at the
  time barrier, ``close[i+horizon] / close[i] - 1``. Net of fees =
  ``trade_return - fee_round_trip``.
* The last ``horizon`` bars have no finished label: label and returns are NaN there.
* ``take_profit`` must exceed ``fee_round_trip`` (else a "win" loses money): ``ValueError``.
* ``horizon`` counts bars, not minutes: gaps (exchange halts) are not bridged specially.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class BarrierSpec:
    """The barriers, as fractions of the entry price (0.004 = 0.4 %)."""

    horizon: int
    take_profit: float
    stop_loss: float
    fee_round_trip: float = 0.002  # taker 0.1 % in and out

    def check(self) -> None:
        if self.horizon < 1:
            raise ValueError(f"horizon must be >= 1 bar, got {self.horizon}")
        if not self.stop_loss > 0:
            raise ValueError(f"stop_loss must be > 0, got {self.stop_loss}")
        if self.fee_round_trip < 0:
            raise ValueError(f"fee_round_trip must be >= 0, got {self.fee_round_trip}")
        if not self.take_profit > self.fee_round_trip:
            raise ValueError(
                f"take_profit {self.take_profit} must exceed the round-trip fee "
                f"{self.fee_round_trip}: a take profit at or below it loses money"
            )


@dataclass(frozen=True)
class Labels:
    label: FloatArray  # 1.0, 0.0 or NaN (unfinished)
    trade_return: FloatArray  # gross, NaN where unfinished


def _column(x: npt.ArrayLike, name: str) -> FloatArray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {a.shape}")
    return a


def forward_return(close: npt.ArrayLike, horizon: int) -> FloatArray:
    """``close[i + horizon] / close[i] - 1``; NaN for the last ``horizon`` bars."""
    c = _column(close, "close")
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1 bar, got {horizon}")
    out = np.full(c.shape, np.nan)
    if len(c) > horizon:
        out[:-horizon] = c[horizon:] / c[:-horizon] - 1.0
    return out


def triple_barrier(
    close: npt.ArrayLike, high: npt.ArrayLike, low: npt.ArrayLike, spec: BarrierSpec
) -> Labels:
    """Labels and trade returns of a long entry at every bar's close (module docstring)."""
    spec.check()
    c, h, lo = _column(close, "close"), _column(high, "high"), _column(low, "low")
    n = len(c)
    if len(h) != n or len(lo) != n:
        raise ValueError(f"close, high, low lengths differ: {n}, {len(h)}, {len(lo)}")
    label = np.full(n, np.nan)
    ret = np.full(n, np.nan)
    m = n - spec.horizon  # rows with a finished label
    if m <= 0:
        return Labels(label, ret)
    entry = c[:m]
    up = entry * (1.0 + spec.take_profit)
    down = entry * (1.0 - spec.stop_loss)
    outcome = np.zeros(m, np.int8)  # 0 open, 1 take profit, -1 stop
    for k in range(1, spec.horizon + 1):
        open_rows = outcome == 0
        if not open_rows.any():
            break
        hit_stop = open_rows & (lo[k : k + m] <= down)
        hit_tp = open_rows & ~hit_stop & (h[k : k + m] >= up)
        outcome[hit_stop] = -1
        outcome[hit_tp] = 1
    label[:m] = (outcome == 1).astype(np.float64)
    timed = c[spec.horizon : spec.horizon + m] / entry - 1.0
    ret[:m] = np.where(
        outcome == 1, spec.take_profit, np.where(outcome == -1, -spec.stop_loss, timed)
    )
    return Labels(label, ret)
