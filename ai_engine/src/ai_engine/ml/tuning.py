"""Optional Optuna tuning of the LightGBM configuration, on the purged CV folds only.

Rules:

* The holdout (the last ``holdout_fraction`` of the rows, what the OOS metrics and the promotion
  verdict read) is cut off first, exactly as ``train.train`` cuts it; every trial sees only the
  rows before it, split into ``cv_splits`` purged walk-forward folds (``splits.purged_splits``).
  The holdout is never scored during tuning, so tuning cannot select on it.
* Objective: the mean AUC of the folds (each fold: ``train.fit`` on its purged past, early-stopped
  and calibrated inside that past). Maximised by a TPE sampler seeded with ``cfg.seed``
  (deterministic for one thread).
* Searched: ``learning_rate`` (0.01..0.2, log), ``num_leaves`` (7..63), ``min_data_in_leaf``
  (20..500, log), ``feature_fraction`` (0.5..1.0). Everything else stays as given.
* Returns the tuned ``TrainConfig`` and a report (trials, best CV AUC, best parameters, every
  trial's value) that goes into the model's meta and card.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from ai_engine.ml.dataset import Dataset
from ai_engine.ml.splits import purged_holdout, purged_splits
from ai_engine.ml.train import TrainConfig, evaluate, fit


def cv_auc(ds: Dataset, cfg: TrainConfig) -> float:
    """Mean AUC of ``cfg`` over the purged CV folds of the pre-holdout rows (NaN folds skipped)."""
    h = ds.spec.horizon
    pre = purged_holdout(len(ds), horizon=h, test_fraction=cfg.holdout_fraction).train
    aucs: list[float] = []
    for split in purged_splits(
        len(pre), n_splits=cfg.cv_splits, horizon=h, embargo=cfg.embargo, test_fraction=0.5
    ):
        f = fit(ds, pre[split.train], cfg)
        a = evaluate(ds, f.booster, f.threshold, pre[split.test], f.calibrator).auc
        if not math.isnan(a):
            aucs.append(a)
    return float(np.mean(aucs)) if aucs else math.nan


def tune(ds: Dataset, cfg: TrainConfig, trials: int) -> tuple[TrainConfig, dict[str, Any]]:
    """The best configuration found in ``trials`` TPE trials, and the report (module doc)."""
    if trials < 1:
        raise ValueError(f"tuning needs at least 1 trial, got {trials}")
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=cfg.seed)
    )

    def objective(trial: optuna.trial.Trial) -> float:
        candidate = replace(
            cfg,
            learning_rate=trial.suggest_float("learning_rate", 0.01, 0.2, log=True),
            num_leaves=trial.suggest_int("num_leaves", 7, 63),
            min_data_in_leaf=trial.suggest_int("min_data_in_leaf", 20, 500, log=True),
            feature_fraction=trial.suggest_float("feature_fraction", 0.5, 1.0),
        )
        value = cv_auc(ds, candidate)
        return 0.0 if math.isnan(value) else value

    study.optimize(objective, n_trials=trials)
    best = dict(study.best_params)
    tuned = replace(cfg, **best)
    report = {
        "trials": trials,
        "best_cv_auc": float(study.best_value),
        "best_params": best,
        "values": [t.value for t in study.trials],
        "holdout_used": False,
    }
    return tuned, report
