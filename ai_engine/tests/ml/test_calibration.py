"""Calibration: PAV and Platt are correct, calibrated probabilities are better on held-out real
data, the calibrator travels in the artifact under its own hash, tuning never reads the holdout."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ai_engine.ml import registry
from ai_engine.ml.calibration import (
    Calibrator,
    brier,
    fit,
    fit_isotonic,
    fit_platt,
    reliability,
)
from ai_engine.ml.dataset import build_dataset
from ai_engine.ml.labels import BarrierSpec
from ai_engine.ml.pipeline import train_and_register
from ai_engine.ml.splits import purged_holdout
from ai_engine.ml.train import TrainConfig, train
from ai_engine.ml.tuning import cv_auc, tune

SPEC = BarrierSpec(horizon=30, take_profit=0.004, stop_loss=0.004, fee_round_trip=0.002)
CFG = TrainConfig(num_threads=1, num_boost_round=40, cv_splits=2)


def _brute_isotonic(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The least-squares non-decreasing fit by repeated pooling (slow, obviously right)."""
    order = np.argsort(p, kind="mergesort")
    blocks = [[float(v)] for v in y[order]]
    changed = True
    while changed:
        changed = False
        for i in range(len(blocks) - 1):
            if np.mean(blocks[i]) >= np.mean(blocks[i + 1]):
                blocks[i] = blocks[i] + blocks.pop(i + 1)
                changed = True
                break
    fitted = np.concatenate([[np.mean(b)] * len(b) for b in blocks])
    out = np.empty(len(p))
    out[order] = fitted
    return out


def test_isotonic_matches_the_brute_force_fit_and_is_monotone() -> None:
    rng = np.random.default_rng(3)
    p = rng.random(60)
    y = (rng.random(60) < p**2).astype(float)
    cal = fit_isotonic(p, y)
    assert np.allclose(cal.apply(p), _brute_isotonic(p, y), rtol=0, atol=1e-6)
    grid = np.linspace(0.0, 1.0, 5000)
    out = cal.apply(grid)
    assert (np.diff(out) > 0).all()  # strictly increasing: the raw ranking is kept
    assert out.min() >= 0.0
    assert out.max() <= 1.0
    thr = float(np.quantile(p, 0.9))
    assert np.array_equal(cal.apply(p) >= cal.apply(np.array([thr]))[0], p >= thr)
    # The training Brier of the fit is never worse than the raw scores'.
    assert brier(y, cal.apply(p)) <= brier(y, p)


def test_platt_recovers_a_known_link() -> None:
    rng = np.random.default_rng(4)
    z = rng.normal(size=20_000)
    raw = 1 / (1 + np.exp(-z))
    truth = 1 / (1 + np.exp(-(2.0 * z - 0.5)))
    y = (rng.random(len(z)) < truth).astype(float)
    cal = fit_platt(raw, y)
    a, b = cal.x
    assert a == pytest.approx(2.0, abs=0.1)
    assert b == pytest.approx(-0.5, abs=0.1)


def test_round_trip_and_refusals() -> None:
    cal = fit("isotonic", np.array([0.1, 0.4, 0.8]), np.array([0.0, 1.0, 1.0]))
    again = Calibrator.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert again == cal
    assert fit("none", np.array([0.3]), np.array([1.0])).apply(np.array([0.3]))[0] == 0.3
    with pytest.raises(ValueError, match="unknown calibration method"):
        fit("magic", np.array([0.3]), np.array([1.0]))
    with pytest.raises(ValueError, match="knots"):
        Calibrator.from_dict({"method": "isotonic", "x": [0.1], "y": []})
    table = reliability(np.array([0.0, 1.0, 1.0]), np.array([0.05, 0.95, 0.91]))
    assert [(b["bin"], b["rows"]) for b in table] == [("0.0-0.1", 1), ("0.9-1.0", 2)]


@pytest.mark.parametrize("method", ["isotonic", "platt"])
def test_calibration_on_real_bars_is_held_out_and_reported(btc, method: str) -> None:  # type: ignore[no-untyped-def]
    ds = build_dataset(btc, SPEC)
    r = train(ds, replace(CFG, calibration=method))
    assert r.calibrator.method == method
    assert 0.0 < r.oos.brier < 0.25
    assert r.oos.brier_raw > 0
    # The calibrated holdout probabilities are closer to the base rate's scale than the raw
    # ones or no worse than a constant forecast at the training base rate would be + margin.
    base = float(ds.y[: len(ds) - r.oos.rows].mean())
    assert r.oos.brier <= brier(ds.y[-r.oos.rows :], np.full(r.oos.rows, base)) + 0.02
    summary = r.summary()
    assert summary["calibration"]["method"] == method
    assert sum(b["rows"] for b in summary["oos_reliability"]) == r.oos.rows
    assert 0.0 <= summary["threshold_calibrated"] <= 1.0


def test_the_calibrator_travels_in_the_artifact_under_its_own_hash(btc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "models"
    model_id, result, _ = train_and_register(btc, series="BTC", spec=SPEC, root=root, config=CFG)
    loaded = registry.load(root, model_id)
    assert loaded.calibrator == result.calibrator
    card = (root / model_id / "card.md").read_text()
    assert "## Calibration" in card
    assert "OOS reliability" in card
    assert "Brier" in card
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    meta_path = copy / model_id / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["calibration"]["y"][0] += 0.01  # a tampered calibration map
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(registry.CorruptArtifactError, match="calibration"):
        registry.load(copy, model_id)


def test_tuning_never_reads_the_holdout(btc) -> None:  # type: ignore[no-untyped-def]
    ds = build_dataset(btc, SPEC)
    tuned, report = tune(ds, CFG, 3)
    assert report["trials"] == 3
    assert report["holdout_used"] is False
    assert report["best_cv_auc"] == pytest.approx(max(report["values"]))
    assert report["best_cv_auc"] == pytest.approx(cv_auc(ds, tuned))
    # Scrambling the holdout's labels changes nothing tuning sees.
    holdout = purged_holdout(len(ds), horizon=SPEC.horizon, test_fraction=CFG.holdout_fraction)
    y = ds.y.copy()
    y[holdout.test] = np.random.default_rng(0).permutation(y[holdout.test])
    scrambled = replace(ds, y=y)
    _, again = tune(scrambled, CFG, 3)
    assert again["values"] == report["values"]
    assert again["best_params"] == report["best_params"]


def test_a_tuned_model_reports_its_tuning(btc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "models"
    model_id, result, meta = train_and_register(
        btc, series="BTC", spec=SPEC, root=root, config=CFG, tune_trials=2
    )
    assert meta["tuning"]["trials"] == 2
    assert meta["tuning"]["holdout_used"] is False
    best = meta["tuning"]["best_params"]
    assert result.config.num_leaves == best["num_leaves"]
    assert result.config.learning_rate == best["learning_rate"]
    saved = json.loads((root / model_id / "meta.json").read_text())
    assert saved["tuning"] == meta["tuning"]
    assert "## Tuning" in (root / model_id / "card.md").read_text()
