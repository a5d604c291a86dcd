"""Purged, embargoed splits: no train row's label window touches a test row's (index arithmetic)."""

from __future__ import annotations

import numpy as np
import pytest

from ai_engine.ml.splits import purged_holdout, purged_splits


@pytest.mark.parametrize("walk_forward", [True, False])
@pytest.mark.parametrize(("horizon", "embargo"), [(0, 0), (5, 0), (30, 10)])
def test_no_overlap(horizon: int, embargo: int, walk_forward: bool) -> None:
    n = 1000
    folds = purged_splits(
        n, n_splits=4, horizon=horizon, embargo=embargo, walk_forward=walk_forward
    )
    assert len(folds) == 4
    tests = np.concatenate([f.test for f in folds])
    assert np.array_equal(tests, np.arange(n - n // 2, n))  # blocks tile the test span
    for f in folds:
        start, end = int(f.test[0]), int(f.test[-1]) + 1
        assert np.array_equal(f.test, np.arange(start, end))
        gap = np.abs(f.train[:, None] - f.test[None, :])
        assert gap.min() > horizon  # label windows [i, i+h] and [j, j+h] are disjoint
        after = f.train[f.train >= end]
        if walk_forward:
            assert after.size == 0
            assert f.train.max() == start - horizon - 1
        elif end + horizon + embargo < n:
            assert after.min() == end + horizon + embargo
        else:
            assert after.size == 0
        assert len(f.train) > 0


def test_embargo_after_earlier_test_blocks() -> None:
    folds = purged_splits(1000, n_splits=4, horizon=2, embargo=7)
    last = folds[-1]
    for earlier in folds[:-1]:
        e = int(earlier.test[-1]) + 1
        assert not np.isin(np.arange(e, e + 7), last.train).any()
        if e + 9 < int(last.test[0]) - 2:  # not in the purge before the last block
            assert np.isin(np.arange(e + 7, e + 9), last.train).all()


def test_holdout_and_bad_sizes() -> None:
    s = purged_holdout(100, horizon=10, test_fraction=0.2)
    assert s.test.tolist() == list(range(80, 100))
    assert s.train.tolist() == list(range(0, 70))
    with pytest.raises(ValueError, match="too few"):
        purged_splits(10, n_splits=20, horizon=1)
