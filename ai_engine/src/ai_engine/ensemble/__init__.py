"""The explained ensemble: technical score, model probability and news sentiment combined into
BUY/SELL/HOLD with configurable weights, every component shown, and a plain-language
explanation (a template always; a Claude-written paragraph when a key is set).

Formula and rules: ``combine.py`` and ``docs/sentiment.md``. Imports strategies, sentiment
and ml only (the model probability arrives as a plain float, or None).
"""

from __future__ import annotations

from ai_engine.ensemble.combine import Decision, Part, combine
from ai_engine.ensemble.explain import explain
from ai_engine.ensemble.params import EnsembleParams

__all__ = ["Decision", "EnsembleParams", "Part", "combine", "explain"]
