"""Machine learning on bar features: labels, purged splits, LightGBM training, a model registry.

``labels`` (triple-barrier, fee-aware), ``splits`` (purged, embargoed walk-forward), ``dataset``
(features + labels aligned), ``train`` (LightGBM binary classifier, out-of-sample metrics,
promotion verdict) and ``registry`` (hashed artifacts under ``var/models``). Depends on
``domain``, ``features``, numpy and lightgbm (native API: no scikit-learn). See docs/ml.md.
"""
