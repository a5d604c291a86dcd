"""Classification metrics and the signal economics (numpy only).

* ``auc``: rank AUC (ties get the average rank); NaN when one class is absent.
* ``log_loss``: mean binary cross-entropy, probabilities clipped to ``[1e-15, 1 - 1e-15]``.
* ``brier``: mean squared error of the calibrated probabilities when given (``calibrated``), else
  of the raw ones; ``brier_raw`` always of the raw ones (``calibration`` fits the map).
* ``accuracy`` and ``precision`` at a threshold: a row is a signal iff ``p >= threshold``;
  precision is NaN without signals.
* ``economics``: the mean net-of-fees return of the signals' trades (``trade_return -
  fee_round_trip``, one trade per signal, overlapping trades counted independently: an
  expectancy, not an equity curve), the same for entering at every row (the always-long baseline
  with the same barriers), and buy-and-hold over the span (``close[-1] / close[0] - 1``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ai_engine.ml.calibration import brier
from ai_engine.ml.labels import FloatArray


def auc(y: FloatArray, p: FloatArray) -> float:
    pos = y == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    _, inverse, counts = np.unique(p, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    ranks = (ends - (counts - 1) / 2.0)[inverse]
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def log_loss(y: FloatArray, p: FloatArray) -> float:
    q = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


@dataclass(frozen=True)
class Scores:
    rows: int
    positives: float  # the base rate
    auc: float
    log_loss: float
    accuracy: float
    precision: float
    threshold: float
    signals: int
    expectancy_net: float  # mean net return per signal trade
    baseline_net: float  # mean net return entering at every row
    buy_and_hold: float
    excess: float  # expectancy_net - baseline_net
    brier: float = math.nan  # of the calibrated probabilities (raw when uncalibrated)
    brier_raw: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        return {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in asdict(self).items()
        }


def score(
    y: FloatArray,
    p: FloatArray,
    threshold: float,
    trade_return: FloatArray,
    close: FloatArray,
    fee_round_trip: float,
    calibrated: FloatArray | None = None,
) -> Scores:
    """Scores of raw probabilities ``p`` (signals: ``p >= threshold``, a raw threshold);
    ``calibrated`` (the same rows' calibrated probabilities) is used for the Brier score."""
    signal = p >= threshold
    n_sig = int(signal.sum())
    net = trade_return - fee_round_trip
    expectancy = float(net[signal].mean()) if n_sig else math.nan
    baseline = float(net.mean()) if len(net) else math.nan
    return Scores(
        rows=len(y),
        positives=float(y.mean()) if len(y) else math.nan,
        auc=auc(y, p),
        log_loss=log_loss(y, p),
        accuracy=float(((p >= threshold) == (y == 1)).mean()),
        precision=float(y[signal].mean()) if n_sig else math.nan,
        threshold=threshold,
        signals=n_sig,
        expectancy_net=expectancy,
        baseline_net=baseline,
        buy_and_hold=float(close[-1] / close[0] - 1.0) if len(close) else math.nan,
        excess=expectancy - baseline,
        brier=brier(y, p if calibrated is None else calibrated),
        brier_raw=brier(y, p),
    )
