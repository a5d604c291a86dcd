"""LightGBM binary classifier on a ``Dataset``: purged CV, an out-of-sample holdout, a verdict.

* Native ``lightgbm.train`` (no scikit-learn), objective ``binary``, ``deterministic`` with a fixed
  ``seed``, ``num_threads`` default 1 (more threads on a busy machine are slower, not faster).
* Early stopping on a validation split (``lgb.early_stopping`` callback): the last
  ``valid_fraction`` of each training set, purged by the horizon from the rows it is fitted on.
* Calibration (``calibration``): the last ``calibration_fraction`` of each training set, purged by
  the horizon, is held out of the fit and of early stopping; the calibrator (isotonic by default,
  ``calibration.py``) is fitted on the booster's raw probabilities there. The threshold and AUC
  stay on raw probabilities (isotonic steps would only add ties); Brier scores and the
  reliability table use the calibrated ones; serving returns calibrated P(up).
* The threshold is chosen on that validation split: the ``1 - signal_fraction`` quantile of its
  predicted probabilities (the top ``signal_fraction`` of rows become signals).
* CV: ``purged_splits`` walk-forward folds over the first ``1 - holdout_fraction`` of the rows;
  the final model is trained on the rows before the holdout (purged) and scored on the holdout
  only: those are the out-of-sample (OOS) metrics.
* Promotion (``verdict``): OOS AUC > ``0.5 + auc_margin``, AUC not implausibly high
  (``> max_plausible_auc`` means a leak is suspected: refused), no single feature that alone
  ranks the holdout's labels with AUC (or 1 - AUC) above ``max_feature_auc`` (a leak named by
  its feature: a future return alone reaches ~0.97 where real features stay below ~0.75), at
  least ``min_signals`` signals, net-of-fees expectancy > 0 and above the always-long
  baseline's. The reasons are recorded.
  Nothing is claimed beyond those measured numbers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np

from ai_engine.ml import calibration
from ai_engine.ml.calibration import Calibrator, reliability
from ai_engine.ml.dataset import Dataset, IntArray
from ai_engine.ml.metrics import Scores, score
from ai_engine.ml.splits import purged_holdout, purged_splits


class SuspectedLeakError(Exception):
    """Out-of-sample AUC too high to be real: a feature probably sees the future."""


@dataclass(frozen=True)
class TrainConfig:
    num_threads: int = 1
    seed: int = 7
    num_boost_round: int = 300
    early_stopping_rounds: int = 30
    learning_rate: float = 0.05
    num_leaves: int = 15
    min_data_in_leaf: int = 50
    feature_fraction: float = 0.8
    valid_fraction: float = 0.2
    signal_fraction: float = 0.1
    cv_splits: int = 3
    holdout_fraction: float = 0.25
    embargo: int = 0
    auc_margin: float = 0.02
    max_plausible_auc: float = 0.9
    max_feature_auc: float = 0.85
    min_signals: int = 30
    calibration: str = "isotonic"  # or "platt", "none"
    calibration_fraction: float = 0.15

    def params(self) -> dict[str, Any]:
        return {
            "objective": "binary",
            "metric": "binary_logloss",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": self.feature_fraction,
            "num_threads": self.num_threads,
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
        }


@dataclass(frozen=True)
class Fit:
    booster: lgb.Booster
    threshold: float
    best_iteration: int
    calibrator: Calibrator = field(default_factory=lambda: Calibrator("none"))


@dataclass
class TrainResult:
    booster: lgb.Booster
    threshold: float
    best_iteration: int
    cv: list[Scores]
    oos: Scores
    importance: dict[str, float]
    promoted: bool
    reasons: list[str]
    config: TrainConfig
    train_rows: int
    holdout_start_ms: int
    extra: dict[str, Any] = field(default_factory=dict)
    calibrator: Calibrator = field(default_factory=lambda: Calibrator("none"))
    oos_reliability: list[dict[str, Any]] = field(default_factory=list)
    feature_auc: dict[str, float] = field(default_factory=dict)  # OOS, max(auc, 1 - auc)

    def summary(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "best_iteration": self.best_iteration,
            "cv": [s.to_dict() for s in self.cv],
            "cv_auc_mean": _nanmean([s.auc for s in self.cv]),
            "oos": self.oos.to_dict(),
            "importance_gain": self.importance,
            "promoted": self.promoted,
            "reasons": self.reasons,
            "config": asdict(self.config),
            "train_rows": self.train_rows,
            "holdout_start_ms": self.holdout_start_ms,
            "calibration": self.calibrator.to_dict(),
            "threshold_calibrated": float(self.calibrator.apply(np.array([self.threshold]))[0]),
            "oos_reliability": self.oos_reliability,
            "oos_feature_auc_top": dict(list(self.feature_auc.items())[:5]),
            **self.extra,
        }


def _nanmean(xs: list[float]) -> float | None:
    vals = [x for x in xs if not math.isnan(x)]
    return sum(vals) / len(vals) if vals else None


def fit(ds: Dataset, train_idx: IntArray, cfg: TrainConfig) -> Fit:
    """A booster on ``train_idx``, early-stopped on its last ``valid_fraction`` (purged), and
    calibrated on a purged ``calibration_fraction`` after that (module docstring)."""
    h = ds.spec.horizon
    calib_idx = train_idx[:0]
    if cfg.calibration != "none":
        outer = purged_holdout(len(train_idx), horizon=h, test_fraction=cfg.calibration_fraction)
        train_idx, calib_idx = train_idx[outer.train], train_idx[outer.test]
    inner = purged_holdout(len(train_idx), horizon=h, test_fraction=cfg.valid_fraction)
    fit_idx, valid_idx = train_idx[inner.train], train_idx[inner.test]
    train_set = lgb.Dataset(ds.x[fit_idx], ds.y[fit_idx], feature_name=list(ds.feature_names))
    valid_set = lgb.Dataset(ds.x[valid_idx], ds.y[valid_idx], reference=train_set)
    booster = lgb.train(
        cfg.params(),
        train_set,
        num_boost_round=cfg.num_boost_round,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(cfg.early_stopping_rounds, verbose=False)],
    )
    best = booster.best_iteration or cfg.num_boost_round
    p_valid = predict(booster, ds.x[valid_idx], best)
    threshold = float(np.quantile(p_valid, 1.0 - cfg.signal_fraction))
    calibrator = Calibrator("none")
    if len(calib_idx):
        p_calib = predict(booster, ds.x[calib_idx], best)
        calibrator = calibration.fit(cfg.calibration, p_calib, ds.y[calib_idx])
    return Fit(booster, threshold, best, calibrator)


def predict(booster: lgb.Booster, x: np.ndarray[Any, Any], iteration: int | None = None) -> Any:
    return np.asarray(booster.predict(x, num_iteration=iteration), np.float64)


def evaluate(
    ds: Dataset,
    booster: lgb.Booster,
    threshold: float,
    idx: IntArray,
    calibrator: Calibrator | None = None,
) -> Scores:
    p = predict(booster, ds.x[idx])
    return score(
        ds.y[idx],
        p,
        threshold,
        ds.trade_return[idx],
        ds.close[idx],
        ds.spec.fee_round_trip,
        None if calibrator is None else calibrator.apply(p),
    )


def feature_aucs(ds: Dataset, idx: IntArray) -> dict[str, float]:
    """Each feature's own rank AUC against the labels of rows ``idx``, folded to
    ``max(auc, 1 - auc)``, highest first (NaN features, one-class labels: left out)."""
    from ai_engine.ml.metrics import auc

    out: dict[str, float] = {}
    y = ds.y[idx]
    for k, name in enumerate(ds.feature_names):
        a = auc(y, ds.x[idx, k])
        if not math.isnan(a):
            out[name] = max(a, 1.0 - a)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def _leaky_features(feature_auc: dict[str, float] | None, cfg: TrainConfig) -> list[str]:
    return [
        f"feature {name!r} alone has OOS AUC {a:.4f} > {cfg.max_feature_auc}: leak suspected"
        for name, a in (feature_auc or {}).items()
        if a > cfg.max_feature_auc
    ]


def verdict(
    oos: Scores, cfg: TrainConfig, feature_auc: dict[str, float] | None = None
) -> tuple[bool, list[str]]:
    """(promoted, reasons): every failed rule is a reason; an empty list means promoted."""
    reasons: list[str] = _leaky_features(feature_auc, cfg)
    if math.isnan(oos.auc) or oos.auc <= 0.5 + cfg.auc_margin:
        reasons.append(f"OOS AUC {oos.auc:.4f} <= {0.5 + cfg.auc_margin:.4f}")
    if not math.isnan(oos.auc) and oos.auc > cfg.max_plausible_auc:
        reasons.append(f"OOS AUC {oos.auc:.4f} > {cfg.max_plausible_auc}: leak suspected")
    if oos.signals < cfg.min_signals:
        reasons.append(f"{oos.signals} OOS signals < {cfg.min_signals}")
    if math.isnan(oos.expectancy_net) or oos.expectancy_net <= 0:
        reasons.append(f"net expectancy per signal {oos.expectancy_net:.6f} <= 0")
    if math.isnan(oos.excess) or oos.excess <= 0:
        reasons.append(f"no excess over the always-long baseline ({oos.excess:.6f})")
    return (not reasons, reasons)


def check_plausible(
    oos: Scores, cfg: TrainConfig, feature_auc: dict[str, float] | None = None
) -> None:
    """Raise ``SuspectedLeakError`` if the OOS AUC exceeds ``max_plausible_auc`` or one feature
    alone exceeds ``max_feature_auc`` (the message names it)."""
    leaky = _leaky_features(feature_auc, cfg)
    if leaky:
        raise SuspectedLeakError(
            "; ".join(leaky) + " (it probably uses future bars: run features.lookahead)"
        )
    if not math.isnan(oos.auc) and oos.auc > cfg.max_plausible_auc:
        raise SuspectedLeakError(
            f"OOS AUC {oos.auc:.4f} > {cfg.max_plausible_auc}: 1m direction is not that "
            "predictable; a feature probably uses future bars (run features.lookahead)"
        )


def train(ds: Dataset, cfg: TrainConfig | None = None) -> TrainResult:
    """CV on the pre-holdout rows, the final fit, OOS scores, importance and the verdict."""
    cfg = cfg or TrainConfig()
    h = ds.spec.horizon
    outer = purged_holdout(len(ds), horizon=h, test_fraction=cfg.holdout_fraction)
    cv: list[Scores] = []
    pre = outer.train
    for split in purged_splits(
        len(pre), n_splits=cfg.cv_splits, horizon=h, embargo=cfg.embargo, test_fraction=0.5
    ):
        f = fit(ds, pre[split.train], cfg)
        cv.append(evaluate(ds, f.booster, f.threshold, pre[split.test], f.calibrator))
    final = fit(ds, outer.train, cfg)
    oos = evaluate(ds, final.booster, final.threshold, outer.test, final.calibrator)
    p_oos = final.calibrator.apply(predict(final.booster, ds.x[outer.test]))
    gains = final.booster.feature_importance(importance_type="gain")
    importance = dict(
        sorted(
            zip(ds.feature_names, (float(g) for g in gains), strict=True),
            key=lambda kv: -kv[1],
        )
    )
    per_feature = feature_aucs(ds, outer.test)
    promoted, reasons = verdict(oos, cfg, per_feature)
    return TrainResult(
        booster=final.booster,
        threshold=final.threshold,
        best_iteration=final.best_iteration,
        cv=cv,
        oos=oos,
        importance=importance,
        promoted=promoted,
        reasons=reasons,
        config=cfg,
        train_rows=len(outer.train),
        holdout_start_ms=int(ds.open_time[outer.test[0]]),
        calibrator=final.calibrator,
        oos_reliability=reliability(ds.y[outer.test], p_oos),
        feature_auc=per_feature,
    )
