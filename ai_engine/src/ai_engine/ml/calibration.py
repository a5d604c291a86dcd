"""Probability calibration (numpy only): isotonic regression or Platt scaling, and how to judge it.

Rules:

* A calibrator is fitted on a **calibration fold the booster never trained on** (``train.fit``
  reserves the last ``calibration_fraction`` of its training rows, purged by the horizon, for
  it) and maps the booster's raw probability to a calibrated one.
* ``isotonic``: pool-adjacent-violators on the fold's (raw p, label) pairs, sorted by p; the fit is
  a non-decreasing step function stored as its knots (each pooled block's lowest and highest raw
  p, with the block's positive rate -/+ a tiny ``eps``, and the ends p = 0 and 1; the rates are
  squeezed by ``2 eps`` into ``[2 eps, 1 - 2 eps]`` to leave room). ``apply`` interpolates
  linearly between knots: inside a block it is the block's rate within ``3 eps`` (eps <= 1e-7),
  between blocks a ramp. The map is strictly increasing on ``[0, 1]``, so it keeps the
  raw ranking: a raw threshold and its calibrated image select the same rows (no ties).
* ``platt``: ``sigmoid(a * logit(p) + b)``, ``a`` and ``b`` by Newton's method on the log loss
  (a few iterations, a tiny ridge for stability).
* ``none``: the identity (the raw probability).
* A calibrator is plain data (``to_dict`` / ``from_dict``): it travels in the model's
  ``meta.json``, covered by its own sha256 (``registry``).
* Judging it: ``brier`` (mean squared error of the probability) and ``reliability`` (bins of
  predicted probability: rows, mean predicted, observed rate), reported in meta and the card.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ai_engine.ml.labels import FloatArray

METHODS = ("isotonic", "platt", "none")
_EPS = 1e-6
_TIE_EPS = 1e-7  # the isotonic map's slope inside a block (see fit_isotonic)


@dataclass(frozen=True)
class Calibrator:
    method: str
    x: tuple[float, ...] = ()  # isotonic knots (raw p) / platt: (a, b)
    y: tuple[float, ...] = ()  # isotonic knot values

    def apply(self, p: FloatArray) -> FloatArray:
        """The calibrated probabilities of raw probabilities ``p``."""
        raw = np.asarray(p, np.float64)
        if self.method == "none":
            return raw.copy()
        if self.method == "platt":
            a, b = self.x
            z = np.log(np.clip(raw, _EPS, 1 - _EPS) / np.clip(1 - raw, _EPS, 1 - _EPS))
            return np.asarray(1.0 / (1.0 + np.exp(-(a * z + b))), np.float64)
        if self.method == "isotonic":
            return np.asarray(np.interp(raw, np.asarray(self.x), np.asarray(self.y)), np.float64)
        raise ValueError(f"unknown calibration method {self.method!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "x": list(self.x), "y": list(self.y)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibrator:
        method = str(d.get("method", ""))
        if method not in METHODS:
            raise ValueError(f"unknown calibration method {method!r}; known: {METHODS}")
        x = tuple(float(v) for v in d.get("x", ()))
        y = tuple(float(v) for v in d.get("y", ()))
        if method == "isotonic" and (len(x) != len(y) or not x):
            raise ValueError("isotonic calibration needs equal, non-empty knots x and y")
        if method == "platt" and len(x) != 2:
            raise ValueError("platt calibration needs x = (a, b)")
        return cls(method, x, y)


def fit_isotonic(p: FloatArray, y: FloatArray) -> Calibrator:
    """Pool-adjacent-violators: the non-decreasing step fit of ``y`` on ``p`` (module doc)."""
    if len(p) == 0:
        raise ValueError("cannot calibrate on an empty fold")
    order = np.argsort(p, kind="mergesort")
    ps, ys = np.asarray(p, np.float64)[order], np.asarray(y, np.float64)[order]
    # Equal raw values form one block from the start (a step function of p, not of rank).
    uniq, starts = np.unique(ps, return_index=True)
    sums_y = np.add.reduceat(ys, starts)
    counts = np.diff(np.append(starts, len(ps))).astype(np.float64)
    # Stack-based PAV over the blocks: (sum of y, rows, lowest p, highest p).
    sy: list[float] = []
    sn: list[float] = []
    lo: list[float] = []
    hi: list[float] = []
    for by, bn, bp in zip(sums_y.tolist(), counts.tolist(), uniq.tolist(), strict=True):
        sy.append(by)
        sn.append(bn)
        lo.append(bp)
        hi.append(bp)
        while len(sy) > 1 and sy[-2] / sn[-2] >= sy[-1] / sn[-1]:
            y2, n2, h2 = sy.pop(), sn.pop(), hi.pop()
            lo.pop()
            sy[-1] += y2
            sn[-1] += n2
            hi[-1] = h2
    # A strictly increasing map keeps the raw ranking (a raw threshold and its calibrated image
    # select the same rows): inside a block the value ramps by +-eps around the block's rate,
    # eps far below any gap between blocks; the ends ramp to p = 0 and p = 1.
    rates = np.array([total / rows for total, rows in zip(sy, sn, strict=True)])
    gaps = np.diff(rates)
    eps = min(_TIE_EPS, float(gaps.min()) / 5.0) if len(gaps) else _TIE_EPS
    values = 2 * eps + (1 - 4 * eps) * rates  # room for the ramps inside [0, 1]
    knots_x: list[float] = [0.0]
    knots_y: list[float] = [float(values[0]) - 2 * eps]
    for value, first, last in zip(values.tolist(), lo, hi, strict=True):
        if last > first:
            knots_x += [first, last]
            knots_y += [value - eps, value + eps]
        else:
            knots_x.append(first)
            knots_y.append(value)
    knots_x.append(1.0)
    knots_y.append(knots_y[-1] + eps)
    if knots_x[1] <= 0.0:  # a raw p of exactly 0 (or below) is the first knot itself
        del knots_x[0], knots_y[0]
    if knots_x[-2] >= 1.0:
        del knots_x[-1], knots_y[-1]
    return Calibrator("isotonic", tuple(knots_x), tuple(knots_y))


def fit_platt(p: FloatArray, y: FloatArray, *, iterations: int = 50) -> Calibrator:
    """``sigmoid(a logit(p) + b)`` fitted by Newton's method on the log loss."""
    if len(p) == 0:
        raise ValueError("cannot calibrate on an empty fold")
    q = np.clip(np.asarray(p, np.float64), _EPS, 1 - _EPS)
    z = np.log(q / (1 - q))
    t = np.asarray(y, np.float64)
    a, b = 1.0, 0.0
    for _ in range(iterations):
        s = 1.0 / (1.0 + np.exp(-(a * z + b)))
        g = np.array([np.sum((s - t) * z), np.sum(s - t)])
        w = s * (1 - s)
        h = np.array([[np.sum(w * z * z) + 1e-9, np.sum(w * z)], [np.sum(w * z), np.sum(w) + 1e-9]])
        step = np.linalg.solve(h, g)
        a, b = a - float(step[0]), b - float(step[1])
        if float(np.abs(step).max()) < 1e-10:
            break
    return Calibrator("platt", (a, b))


def fit(method: str, p: FloatArray, y: FloatArray) -> Calibrator:
    """The calibrator of ``method`` (``isotonic``, ``platt`` or ``none``) fitted on ``(p, y)``."""
    if method == "isotonic":
        return fit_isotonic(p, y)
    if method == "platt":
        return fit_platt(p, y)
    if method == "none":
        return Calibrator("none")
    raise ValueError(f"unknown calibration method {method!r}; known: {', '.join(METHODS)}")


def brier(y: FloatArray, p: FloatArray) -> float:
    """Mean squared error of the probabilities; NaN on no rows."""
    return float(np.mean((np.asarray(p) - np.asarray(y)) ** 2)) if len(y) else math.nan


def reliability(y: FloatArray, p: FloatArray, bins: int = 10) -> list[dict[str, Any]]:
    """Equal-width bins of predicted probability with rows, mean predicted, observed rate
    (empty bins are left out)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    out: list[dict[str, Any]] = []
    for k in range(bins):
        sel = idx == k
        n = int(sel.sum())
        if n:
            out.append(
                {
                    "bin": f"{edges[k]:.1f}-{edges[k + 1]:.1f}",
                    "rows": n,
                    "predicted": float(np.mean(p[sel])),
                    "observed": float(np.mean(y[sel])),
                }
            )
    return out
