"""L2 imbalance on real top-5 snapshots (Tardis, Binance USD-M BTCUSDT, 2020-09-01 00:00:03)."""

from __future__ import annotations

import numpy as np
import pytest

from ai_engine.features.book import book_imbalance

# /work/shared/data/binance/depth/tardis-binance-futures_book_snapshot_5_BTCUSDT-2020-09-01.csv.gz,
# rows 1 and 2 (amounts of levels 0..4; only the best ask changed, 1.714 -> 1.476):
BIDS = np.array([[10.896, 0.2, 0.2, 0.98, 0.111], [10.896, 0.2, 0.2, 0.98, 0.111]])
ASKS = np.array([[1.714, 5.4, 0.238, 0.077, 0.918], [1.476, 5.4, 0.238, 0.077, 0.918]])


def test_real_snapshots_hand_worked() -> None:
    # row 1: bids 12.387, asks 8.347 -> (12.387 - 8.347) / 20.734 = 0.194849
    # row 2: asks 8.109              -> (12.387 - 8.109) / 20.496 = 0.208724
    got = book_imbalance(BIDS, ASKS)
    assert got == pytest.approx([4.04 / 20.734, 4.278 / 20.496], abs=1e-12)
    # best level only: (10.896 - 1.714) / (10.896 + 1.714) = 9.182 / 12.61 = 0.728152
    assert book_imbalance(BIDS, ASKS, levels=1)[0] == pytest.approx(9.182 / 12.61, abs=1e-12)


def test_weights_single_snapshot_and_empty_book() -> None:
    # weights 1, 0.5: bids 2 + 0.5*2 = 3, asks 1 + 0.5*4 = 3 -> 0
    assert book_imbalance([2.0, 2.0], [1.0, 4.0], weights=[1.0, 0.5])[0] == 0.0
    assert book_imbalance([1.0, np.nan], [0.0, 0.0])[0] == 1.0  # NaN level counts as 0
    assert np.isnan(book_imbalance([0.0], [0.0])[0])


def test_bad_books_are_refused() -> None:
    with pytest.raises(ValueError, match="must match"):
        book_imbalance(BIDS, ASKS[:, :3])
    with pytest.raises(ValueError, match="negative"):
        book_imbalance([-1.0], [1.0])
    with pytest.raises(ValueError, match="weights"):
        book_imbalance(BIDS, ASKS, weights=[1.0])
