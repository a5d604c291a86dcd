"""The composite feature set: names, groups, types, and ``marketdata.Bars`` as input."""

from __future__ import annotations

import numpy as np
import pytest

from ai_engine.features import ALL, COMPOSITE, FeatureParams, compute_features
from ai_engine.features import indicators as ind
from ai_engine.marketdata.frames import Bars

# The names strategies read (composite_score, orderflow_breakout): renaming one breaks them.
COMPOSITE_NAMES = {
    "ema_cross_fast", "ema_cross_mid", "ema_cross_slow", "ema_cross_agree", "sma_fast", "sma_slow",
    "rsi", "rsi_fast", "macd", "macd_signal", "macd_hist", "macd_fast", "macd_fast_signal",
    "macd_fast_hist", "stoch_k", "stoch_d", "roc", "mfi", "obv_slope",
    "bb_upper", "bb_middle", "bb_lower", "bb_pct_b", "bb_width", "atr", "natr", "adx",
    "vwap_short", "vwap_short_dev", "vwap_medium", "vwap_medium_dev", "vwap_long",
    "vwap_long_dev", "vwap_session", "vwap_session_dev", "vwap_session_sigma",
    "delta", "cvd", "buy_ratio", "flow_surge", "volume_ratio",
    "swing_high", "swing_low", "last_swing_high", "last_swing_low", "high_label", "low_label",
    "structure", "bos", "double_top", "double_bottom", "sweep",
    "tick_updown", "tick_persistence", "tick_velocity", "tick_velocity_ratio",
}  # fmt: skip
EXTRA_NAMES = {
    "vpoc", "vah", "val", "resistance", "support", "breakout",
    "ma_slope", "trend_regime", "natr_pct", "vol_regime", "htf_rsi", "htf_roc", "htf_ema_spread",
}  # fmt: skip


def test_names_and_types(btc: Bars) -> None:
    f = compute_features(btc)
    assert set(f) == COMPOSITE_NAMES
    g = compute_features(btc, groups=ALL)
    assert set(g) == COMPOSITE_NAMES | EXTRA_NAMES  # no funding given: no funding features
    for name, arr in g.items():
        assert arr.dtype == np.float64, name
        assert arr.shape == (len(btc),), name
        assert not np.isnan(arr[-1]) or name in {"swing_high", "swing_low"}, name


def test_values_come_from_the_parts(btc: Bars) -> None:
    f = compute_features(btc, groups=ALL)
    c = btc.close
    np.testing.assert_array_equal(f["rsi"], ind.rsi(c, 14))
    np.testing.assert_array_equal(f["macd_fast_hist"], ind.macd(c, 3, 7, 2)[2])
    np.testing.assert_array_equal(
        f["ema_cross_mid"], 100 * (ind.ema(c, 5) - ind.ema(c, 15)) / ind.ema(c, 15)
    )
    # bar 0 of 2023-03-23: 1555 trades in 60 s
    assert f["tick_velocity"][0] == pytest.approx(1555 / 60)
    up, _, low = ind.bollinger(c)
    i = 500
    assert f["bb_pct_b"][i] == pytest.approx((c[i] - low[i]) / (up[i] - low[i]))
    assert set(np.unique(f["ema_cross_agree"])) == {-1.0, 0.0, 1.0}


def test_groups_select_and_unknown_groups_are_refused(btc: Bars) -> None:
    assert set(compute_features(btc, groups={"liquidity"})) == {"sweep"}
    assert set(compute_features(btc, groups={"regime"})) == {
        "ma_slope", "trend_regime", "natr_pct", "vol_regime",
    }  # fmt: skip
    with pytest.raises(ValueError, match="unknown feature groups"):
        compute_features(btc, groups={"astrology"})
    assert "ticks" in COMPOSITE
    assert "volume_profile" not in COMPOSITE


def test_params_change_the_periods(avax: Bars) -> None:
    p = FeatureParams(rsi=7, ema_pairs=((2, 4), (4, 8), (8, 16)), htf_interval="15m")
    f = compute_features(avax, groups=ALL, params=p)
    np.testing.assert_array_equal(f["rsi"], ind.rsi(avax.close, 7))
    assert np.isnan(f["ema_cross_slow"]).sum() == 15
    assert p.warmup() >= 240
    assert p.lookback({"vwap"}) == 60


def test_short_input_is_all_warmup_not_an_error(btc: Bars) -> None:
    f = compute_features(btc.take(slice(0, 5)), groups=ALL)
    assert np.isnan(f["rsi"]).all()
    assert np.isnan(f["vpoc"]).all()
    empty = compute_features(btc.take(slice(0, 0)), groups=COMPOSITE)
    assert all(len(a) == 0 for a in empty.values())
