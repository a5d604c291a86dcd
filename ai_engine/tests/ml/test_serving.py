"""Serving: the PROMOTED pointer, loading at start-up, P(up) for bars (full series and the live
window agree), refusals that leave the previous model serving, and the per-bar cost."""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path

import numpy as np
import pytest

from ai_engine.marketdata.frames import Bars
from ai_engine.marketdata.resampling import resample
from ai_engine.ml import registry
from ai_engine.ml.dataset import build_dataset
from ai_engine.ml.labels import BarrierSpec
from ai_engine.ml.serving import (
    ModelServer,
    WrongIntervalError,
    history,
    promoted_id,
    set_promoted,
)


@pytest.fixture
def root(trained_root: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    copy = tmp_path / "models"
    shutil.copytree(trained_root[0], copy)
    return copy, trained_root[1]


def test_no_pointer_means_serving_disabled_with_the_reason(tmp_path: Path) -> None:
    server = ModelServer(tmp_path / "empty")
    status = server.load_promoted()
    assert not status.serving
    assert "no promoted model" in status.reason
    assert server.probabilities(Bars.empty()) is None
    assert server.latest(Bars.empty()) is None


def test_pointer_and_history(root: tuple[Path, str]) -> None:
    path, model_id = root
    assert promoted_id(path) == model_id
    set_promoted(path, model_id, reason="again by hand", actor="test")
    entries = history(path)
    assert [e["action"] for e in entries] == ["promote", "promote"]
    assert entries[-1]["previous"] == model_id
    assert entries[-1]["reason"] == "again by hand"


def test_probabilities_are_the_training_features_through_the_calibrator(
    root: tuple[Path, str], btc: Bars
) -> None:
    path, model_id = root
    server = ModelServer(path)
    assert server.load_promoted().serving
    p = server.probabilities(btc)
    assert p is not None
    assert len(p) == len(btc.close)
    loaded = registry.load(path, model_id)
    ds = build_dataset(
        btc, BarrierSpec(**loaded.meta["barriers"]), feature_names=loaded.meta["features"]
    )
    expected = loaded.calibrator.apply(np.asarray(loaded.booster.predict(ds.x), np.float64))
    assert np.allclose(p[ds.rows], expected)
    assert np.isnan(p[: ds.rows.min()]).all()  # warm-up: features undefined
    assert ((p[np.isfinite(p)] >= 0) & (p[np.isfinite(p)] <= 1)).all()


def test_the_live_window_gives_the_full_history_value(root: tuple[Path, str], btc: Bars) -> None:
    server = ModelServer(root[0])
    server.load_promoted()
    full = server.probabilities(btc)
    assert full is not None
    for stop in (1500, 2222, 3000, 3700, len(btc.close)):
        live = server.latest(btc.take(slice(0, stop)))
        assert live is not None
        assert live == pytest.approx(float(full[stop - 1]), abs=1e-9)


def test_bars_of_another_interval_are_refused(root: tuple[Path, str], btc: Bars) -> None:
    server = ModelServer(root[0])
    server.load_promoted()
    with pytest.raises(WrongIntervalError, match="60 s bars, these are 300 s bars"):
        server.probabilities(resample(btc, "5m"))


def test_a_corrupt_model_is_refused_and_the_previous_keeps_serving(
    root: tuple[Path, str],
) -> None:
    path, model_id = root
    server = ModelServer(path)
    assert server.load_promoted().model_id == model_id
    bad = "lgbm-20990101T000000-corruptcopy"
    shutil.copytree(path / model_id, path / bad)
    text = bytearray((path / bad / "model.txt").read_bytes())
    text[len(text) // 3] ^= 0x01
    (path / bad / "model.txt").write_bytes(bytes(text))
    with pytest.raises(registry.CorruptArtifactError, match="sha256"):
        server.swap(bad)
    assert server.current is not None
    assert server.current.model_id == model_id
    # A retraining (or an operator) points PROMOTED at it: start-up style loading refuses it.
    set_promoted(path, bad, reason="test", actor="test")
    status = server.load_promoted()
    assert status.serving
    assert status.model_id == model_id  # still the previous model
    assert status.error is not None
    assert f"promoted model {bad} refused" in status.error
    # A fresh server (an API starting now) has nothing to fall back on: disabled, with why.
    fresh = ModelServer(path).load_promoted()
    assert not fresh.serving
    assert "sha256" in fresh.reason


def test_inference_per_bar_is_under_a_millisecond(root: tuple[Path, str], btc: Bars) -> None:
    server = ModelServer(root[0])
    server.load_promoted()
    model = server.current
    assert model is not None
    ds = build_dataset(
        btc, BarrierSpec(**model.meta["barriers"]), feature_names=model.meta["features"]
    )
    per_row: list[float] = []
    for i in range(300):
        s = time.perf_counter()
        model.calibrator.apply(model.booster.predict(ds.x[i : i + 1], num_threads=1))
        per_row.append(time.perf_counter() - s)
    live: list[float] = []
    for stop in range(len(btc.close) - 50, len(btc.close)):
        s = time.perf_counter()
        server.latest(btc.take(slice(0, stop)))
        live.append(time.perf_counter() - s)
    predict_ms = statistics.median(per_row) * 1e3
    live_ms = statistics.median(live) * 1e3
    print(
        f"predict+calibrate one row: {predict_ms:.3f} ms; features+predict live: {live_ms:.2f} ms"
    )
    assert predict_ms < 1.0
    assert live_ms < 50.0  # features of the live window dominate (see docs/ml.md for figures)
