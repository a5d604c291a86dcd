"""Features: float64 arrays in, float64 arrays out, one value per bar, never looking ahead.

``features`` depends only on ``ai_engine.domain``, numpy and TA-Lib (never on ``marketdata``:
callers pass columns, or any object with the ``Bars`` column names). Entry points:
the TA-Lib wrappers below, ``compute_features`` (the composite set for one symbol),
``IncrementalFeatures`` (live, one bar at a time) and ``lookahead.assert_no_lookahead`` (the
gate every feature and strategy must pass). See docs/features.md.
"""

from ai_engine.features.composite import (
    ALL,
    COMPOSITE,
    BarColumns,
    FeatureParams,
    FeatureSet,
    compute_features,
)
from ai_engine.features.incremental import IncrementalFeatures
from ai_engine.features.indicators import (
    adx,
    atr,
    bollinger,
    ema,
    macd,
    mfi,
    obv,
    roc,
    rsi,
    sma,
    stochastic,
)
from ai_engine.features.lookahead import assert_no_lookahead, cut_points, find_lookahead

__all__ = [
    "ALL",
    "COMPOSITE",
    "BarColumns",
    "FeatureParams",
    "FeatureSet",
    "IncrementalFeatures",
    "adx",
    "assert_no_lookahead",
    "atr",
    "bollinger",
    "compute_features",
    "cut_points",
    "ema",
    "find_lookahead",
    "macd",
    "mfi",
    "obv",
    "roc",
    "rsi",
    "sma",
    "stochastic",
]
