"""VWAP: hand-worked values on real BTCUSDT bars, session resets at UTC midnight, bands."""

from __future__ import annotations

import numpy as np
import pytest

from ai_engine.features import vwap
from ai_engine.marketdata.frames import Bars

# BTCUSDT spot 2023-03-23 00:00..00:02 (high, low, close, volume):
#   27256.77 27238.00 27250.01 92.39538 -> tp = 81744.78 / 3 = 27248.26
#   27250.41 27238.21 27247.61 91.15855 -> tp = 81736.23 / 3 = 27245.41
#   27257.00 27247.07 27247.97 75.92975 -> tp = 81752.04 / 3 = 27250.68
# VWAP(3) at 00:02 = (27248.26*92.39538 + 27245.41*91.15855 + 27250.68*75.92975)
#                    / (92.39538 + 91.15855 + 75.92975) = 7070402.7265 / 259.48368 = 27247.96691
VWAP3 = 27247.96691


def tp_of(b: Bars) -> np.ndarray:
    return vwap.typical_price(b.high, b.low, b.close)


def test_rolling_vwap_hand_worked_on_real_bars(btc: Bars) -> None:
    tp = tp_of(btc)
    assert tp[:3] == pytest.approx([27248.26, 27245.41, 27250.68], abs=1e-9)
    got = vwap.rolling_vwap(tp, btc.volume, 3)
    assert np.isnan(got[:2]).all()
    assert got[2] == pytest.approx(VWAP3, abs=1e-5)
    # the session VWAP at 00:02 is the same three bars: the day started at 00:00
    assert vwap.session_vwap(btc.open_time, tp, btc.volume)[2] == pytest.approx(VWAP3, abs=1e-5)


def test_session_vwap_restarts_at_utc_midnight(btc: Bars) -> None:
    tp = tp_of(btc)
    got = vwap.session_vwap(btc.open_time, tp, btc.volume)
    midnight = int(np.flatnonzero(btc.open_time == 1679616000000)[0])  # 2023-03-24 00:00
    # first bar of the day: its own typical price (28305.41 + 28292.24 + 28302.33) / 3
    assert got[midnight] == pytest.approx(84899.98 / 3, abs=1e-9)
    day = slice(midnight, midnight + 30)
    expected = np.cumsum(tp[day] * btc.volume[day]) / np.cumsum(btc.volume[day])
    np.testing.assert_allclose(got[day], expected, rtol=1e-12)
    assert got[midnight - 1] != pytest.approx(got[midnight], abs=1.0)


def test_sigma_and_bands_hand_worked() -> None:
    # tp 10, 12, 14 with volumes 1, 2, 1: vwap = (10 + 24 + 14) / 4 = 12;
    # variance = (1*4 + 2*0 + 1*4) / 4 = 2, sigma = sqrt(2)
    t = np.array([0, 60_000, 120_000])
    tp, v = np.array([10.0, 12.0, 14.0]), np.array([1.0, 2.0, 1.0])
    mean, sigma = vwap.session_vwap_stats(t, tp, v)
    assert mean[2] == 12.0
    assert sigma[2] == pytest.approx(np.sqrt(2.0), rel=1e-12)
    assert vwap.rolling_vwap_sigma(tp, v, 3)[2] == pytest.approx(np.sqrt(2.0), rel=1e-12)
    upper, lower = vwap.sigma_bands(mean, sigma, 2.0)
    assert (upper[2], lower[2]) == pytest.approx((12 + 2 * np.sqrt(2), 12 - 2 * np.sqrt(2)))
    up, down = vwap.percent_bands(mean, 0.5)
    assert (up[2], down[2]) == pytest.approx((12.06, 11.94))
    assert vwap.deviation_pct(np.array([0.0, 0.0, 12.6]), mean)[2] == pytest.approx(5.0)


def test_zero_volume_window_is_nan_not_an_error() -> None:
    tp, v = np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0, 1.0])
    got = vwap.rolling_vwap(tp, v, 2)
    assert np.isnan(got[:2]).all()
    assert got[2] == 3.0
    with pytest.raises(ValueError, match="open_time"):
        vwap.session_vwap(np.array([0, 1]), tp, v)
