"""Purged and embargoed walk-forward splits.

Row ``i``'s label depends on bars ``i .. i + horizon``. Two rows' labels overlap iff
``|i - j| <= horizon``, so a training row ``i`` is kept for a test block ``[start, end)`` only if

* it is before the block with ``i + horizon < start`` (purge), or
* (``walk_forward=False`` only) after it with ``i >= end + horizon + embargo`` (purge + embargo).

Walk-forward (the default) trains on the past only: fold ``k`` tests block ``k`` of ``n_splits``
equal blocks taken from the last ``test_fraction`` of the rows, training on everything before it
less the purge, and the embargo then also drops ``embargo`` rows after every *earlier* test block
(those rows follow a block that was scored, and are dropped so that serial correlation with it
does not leak into the model that is tested next). Indices are positions in the dataset rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Split:
    train: IntArray
    test: IntArray


def purged_splits(
    n: int,
    *,
    n_splits: int,
    horizon: int,
    embargo: int = 0,
    test_fraction: float = 0.5,
    walk_forward: bool = True,
) -> list[Split]:
    """The folds of ``n`` rows (module docstring); raises ``ValueError`` on impossible sizes."""
    if n_splits < 1:
        raise ValueError(f"n_splits must be >= 1, got {n_splits}")
    if horizon < 0 or embargo < 0:
        raise ValueError(f"horizon and embargo must be >= 0, got {horizon}, {embargo}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    test_rows = int(n * test_fraction)
    first = n - test_rows
    block = test_rows // n_splits
    if block < 1 or first - horizon < 1:
        raise ValueError(
            f"{n} rows are too few for {n_splits} splits with horizon {horizon} "
            f"and test fraction {test_fraction}"
        )
    bounds = [(first + k * block, first + (k + 1) * block) for k in range(n_splits)]
    bounds[-1] = (bounds[-1][0], n)
    out: list[Split] = []
    idx = np.arange(n, dtype=np.int64)
    for k, (start, end) in enumerate(bounds):
        keep = idx + horizon < start
        if walk_forward:
            for _s, e in bounds[:k]:
                keep &= ~((idx >= e) & (idx < e + embargo))
        else:
            keep |= idx >= end + horizon + embargo
        out.append(Split(train=idx[keep], test=idx[start:end]))
    return out


def purged_holdout(n: int, *, horizon: int, test_fraction: float) -> Split:
    """One walk-forward split: the last ``test_fraction`` of the rows, trained on the purged
    past."""
    return purged_splits(n, n_splits=1, horizon=horizon, test_fraction=test_fraction)[0]
