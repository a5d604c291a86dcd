"""Rolling volume profile, worked by hand on three real bars."""

from __future__ import annotations

import numpy as np
import pytest

from ai_engine.features._arrays import rolling_max, rolling_min
from ai_engine.features.volume_profile import volume_profile
from ai_engine.marketdata.frames import Bars

# BTCUSDT 2023-03-23 00:00..00:02, window 3, 2 bins:
#   range: lowest low 27238.00, highest high 27257.00 -> width (27257 - 27238) / 2 = 9.5
#   bins [27238.00, 27247.50) and [27247.50, 27257.00]
#   tp 27248.26 (vol 92.39538) -> bin 1; 27245.41 (91.15855) -> bin 0; 27250.68 (75.92975) -> bin 1
#   volume: bin 0 = 91.15855, bin 1 = 168.32513, total 259.48368
#   VPOC = centre of bin 1 = 27238 + 1.5 * 9.5 = 27252.25
#   70 % of 259.48368 = 181.64; bin 1 alone (168.33) is short -> both bins: VAL 27238, VAH 27257
#   60 % = 155.69 <= 168.33 -> bin 1 alone: VAL 27247.50, VAH 27257.00


def test_hand_worked_on_real_bars(btc: Bars) -> None:
    b = btc.take(slice(0, 3))
    vp = volume_profile(b.high, b.low, b.close, b.volume, window=3, bins=2)
    assert np.isnan(vp.vpoc[:2]).all()
    assert vp.vpoc[2] == pytest.approx(27252.25)
    assert (vp.val[2], vp.vah[2]) == pytest.approx((27238.0, 27257.0))
    narrow = volume_profile(b.high, b.low, b.close, b.volume, window=3, bins=2, value_area=0.6)
    assert (narrow.val[2], narrow.vah[2]) == pytest.approx((27247.5, 27257.0))


def test_value_area_brackets_vpoc_on_real_data(btc: Bars) -> None:
    vp = volume_profile(btc.high, btc.low, btc.close, btc.volume)
    ok = ~np.isnan(vp.vpoc)
    assert ok.sum() > 4000
    assert (vp.val[ok] <= vp.vpoc[ok]).all()
    assert (vp.vpoc[ok] <= vp.vah[ok]).all()
    assert (vp.vah[ok] <= rolling_max(btc.high, 60)[ok] + 1e-6).all()
    assert (vp.val[ok] >= rolling_min(btc.low, 60)[ok] - 1e-6).all()


def test_flat_and_empty_windows() -> None:
    one = np.full(3, 5.0)
    vp = volume_profile(one, one, one, np.ones(3), window=2, bins=4)
    assert vp.vpoc[1:].tolist() == [5.0, 5.0]
    assert vp.vah[2] == 5.0
    empty = volume_profile(
        np.array([2.0, 3.0]),
        np.array([1.0, 2.0]),
        np.array([2.0, 3.0]),
        np.zeros(2),
        window=2,
        bins=2,
    )
    assert np.isnan(empty.vpoc).all()
    with pytest.raises(ValueError, match="value_area"):
        volume_profile(one, one, one, one, window=2, value_area=1.5)
