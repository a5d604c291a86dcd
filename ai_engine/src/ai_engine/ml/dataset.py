"""Features and labels aligned row by row.

Row ``i`` holds the features of bar ``i`` (computed from bars ``0..i`` only, as every
``ai_engine.features`` output is) and the triple-barrier label of an entry at its close.
Feature columns that are NaN on more than half of the bars are dropped (a window longer than
the data; sparse event levels such as ``swing_high``, NaN between swings); then
every row with a NaN feature (warm-up, zero-volume ratios) or an unfinished label (the last
``horizon`` bars) is dropped. ``rows`` keeps each kept row's position in the bars.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ai_engine.features import compute_features
from ai_engine.features.composite import COMPOSITE, BarColumns
from ai_engine.ml.labels import BarrierSpec, FloatArray, triple_barrier

IntArray = npt.NDArray[np.int64]
MAX_NAN_FRACTION = 0.5  # a column NaN on more of the bars is dropped, not its rows


@dataclass(frozen=True)
class Dataset:
    x: npt.NDArray[np.float64]  # rows x features
    y: FloatArray  # 0.0 / 1.0
    trade_return: FloatArray  # gross return of the labelled trade
    open_time: IntArray  # ms UTC of each row's bar
    close: FloatArray
    rows: IntArray  # positions in the bars
    feature_names: tuple[str, ...]
    spec: BarrierSpec

    def __len__(self) -> int:
        return len(self.y)

    def take(self, idx: IntArray) -> Dataset:
        return Dataset(
            self.x[idx],
            self.y[idx],
            self.trade_return[idx],
            self.open_time[idx],
            self.close[idx],
            self.rows[idx],
            self.feature_names,
            self.spec,
        )


def assemble(
    features: Mapping[str, npt.ArrayLike],
    bars: BarColumns,
    spec: BarrierSpec,
    *,
    feature_names: Collection[str] | None = None,
) -> Dataset:
    """The dataset of ``features`` (one array per bar) and ``bars``' barrier labels."""
    close = np.asarray(bars.close, np.float64)
    n = len(close)
    names = sorted(features) if feature_names is None else list(feature_names)
    missing = [name for name in names if name not in features]
    if missing:
        raise ValueError(f"features missing from the computed set: {missing}")
    cols = [np.asarray(features[name], np.float64) for name in names]
    for name, col in zip(names, cols, strict=True):
        if col.shape != (n,):
            raise ValueError(f"feature {name!r} has shape {col.shape}, expected ({n},)")
    if feature_names is None:
        kept = [
            (nm, c)
            for nm, c in zip(names, cols, strict=True)
            if np.isnan(c).mean() <= MAX_NAN_FRACTION
        ]
        names, cols = [nm for nm, _ in kept], [c for _, c in kept]
    if not cols:
        raise ValueError("no usable feature columns")
    x = np.column_stack(cols)
    lab = triple_barrier(close, bars.high, bars.low, spec)
    ok = ~np.isnan(x).any(axis=1) & ~np.isnan(lab.label)
    rows = np.flatnonzero(ok).astype(np.int64)
    return Dataset(
        x=np.ascontiguousarray(x[rows]),
        y=lab.label[rows],
        trade_return=lab.trade_return[rows],
        open_time=np.asarray(bars.open_time, np.int64)[rows],
        close=close[rows],
        rows=rows,
        feature_names=tuple(names),
        spec=spec,
    )


def build_dataset(
    bars: BarColumns,
    spec: BarrierSpec,
    *,
    groups: Collection[str] = COMPOSITE,
    feature_names: Collection[str] | None = None,
) -> Dataset:
    """``compute_features(bars, groups=groups)`` + labels; ``feature_names`` fixes the columns
    (a trained model's), else every column NaN on at most half of the bars is used, sorted by
    name."""
    return assemble(compute_features(bars, groups=groups), bars, spec, feature_names=feature_names)
