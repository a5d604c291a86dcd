"""Machine learning on bar features: labels, purged splits, LightGBM training, calibration,
tuning, a model registry, serving and safe retraining.

``labels`` (triple-barrier, fee-aware), ``splits`` (purged, embargoed walk-forward), ``dataset``
(features + labels aligned), ``train`` (LightGBM binary classifier, out-of-sample metrics,
promotion verdict, leak checks), ``calibration`` (isotonic / Platt on a held-out fold, numpy),
``tuning`` (optional Optuna on the CV folds only), ``registry`` (hashed artifacts under
``var/models``), ``serving`` (the ``PROMOTED`` pointer, ``ModelServer``, P(up) for bars),
``live`` (the per-bar path: incremental features + one prediction per closed bar),
``model_column`` (a backtest's ``model_prob`` column, point-in-time) and ``retrain`` (a
candidate serves only if it beats the served model on recent data). Depends on
``domain``, ``features``, numpy, lightgbm (native API: no scikit-learn) and optuna (tuning only).
See docs/ml.md.
"""
