"""Training and evaluation on the vendored real bars; a leaked feature is caught."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from ai_engine.features import compute_features
from ai_engine.ml.dataset import assemble, build_dataset
from ai_engine.ml.labels import BarrierSpec, forward_return
from ai_engine.ml.metrics import auc, log_loss
from ai_engine.ml.train import SuspectedLeakError, TrainConfig, check_plausible, train, verdict

SPEC = BarrierSpec(horizon=30, take_profit=0.004, stop_loss=0.004, fee_round_trip=0.002)
CFG = TrainConfig(num_threads=1, num_boost_round=60, cv_splits=2)


def test_auc_and_log_loss() -> None:
    y = np.array([0.0, 0.0, 1.0, 1.0])
    assert auc(y, np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(0.75)
    assert auc(y, np.array([0.5, 0.5, 0.5, 0.5])) == pytest.approx(0.5)  # ties: average rank
    assert math.isnan(auc(np.ones(3), np.array([0.1, 0.2, 0.3])))
    assert log_loss(y, np.full(4, 0.5)) == pytest.approx(math.log(2))


def test_dataset_drops_nan_rows_and_unfinished_labels(btc) -> None:  # type: ignore[no-untyped-def]
    ds = build_dataset(btc, SPEC)
    assert not np.isnan(ds.x).any()
    assert set(np.unique(ds.y)) == {0.0, 1.0}
    assert ds.rows.max() < len(btc.close) - SPEC.horizon  # unfinished labels dropped
    assert ds.rows.min() > 0  # warm-up dropped
    assert np.array_equal(ds.open_time, np.asarray(btc.open_time)[ds.rows])
    assert len(ds.feature_names) > 20
    assert "swing_high" not in ds.feature_names


def test_train_on_real_bars(btc) -> None:  # type: ignore[no-untyped-def]
    ds = build_dataset(btc, SPEC)
    r = train(ds, CFG)
    assert r.oos.rows == int(len(ds) * CFG.holdout_fraction)
    assert 0.0 <= r.oos.auc <= 1.0
    assert r.oos.log_loss > 0
    assert len(r.cv) == 2
    assert r.train_rows < len(ds) - r.oos.rows
    assert r.importance
    assert all(v >= 0 for v in r.importance.values())
    assert set(r.importance) == set(ds.feature_names)
    assert r.promoted == (r.reasons == [])
    assert r.promoted == verdict(r.oos, CFG, r.feature_auc)[0]
    check_plausible(r.oos, CFG, r.feature_auc)  # real features: no leak suspected
    assert max(r.feature_auc.values()) < CFG.max_feature_auc
    assert r.calibrator.method == "isotonic"
    assert 0.0 < r.oos.brier < 0.25
    again = train(ds, CFG)  # fixed seed, one thread: the same model
    assert again.booster.model_to_string() == r.booster.model_to_string()


def test_leaked_future_feature_is_caught(btc) -> None:  # type: ignore[no-untyped-def]
    features = compute_features(btc)
    features["future_return"] = forward_return(btc.close, SPEC.horizon)  # a deliberate leak
    ds = assemble(features, btc, SPEC)
    r = train(ds, CFG)
    # The leaked column alone ranks the holdout's labels almost perfectly and is named.
    assert r.feature_auc["future_return"] > CFG.max_feature_auc
    assert next(iter(r.feature_auc)) == "future_return"
    assert not r.promoted
    assert any("'future_return'" in why and "leak suspected" in why for why in r.reasons)
    with pytest.raises(SuspectedLeakError, match="future_return"):
        check_plausible(r.oos, CFG, r.feature_auc)
    # Without calibration (more rows fitted) the model's own AUC crosses the bar as well.
    plain = train(ds, replace(CFG, calibration="none"))
    assert plain.oos.auc > CFG.max_plausible_auc
    with pytest.raises(SuspectedLeakError, match="future"):
        check_plausible(plain.oos, CFG)
