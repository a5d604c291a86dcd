"""Combining the components into one decision.

Each component is mapped onto -1 (bearish) .. +1 (bullish):

    technical  t = (score - 50) / 50          score: the strategy's 0-100 score (composite_score)
    model      m = 2 * p - 1                  p: the model's probability of an up move
    sentiment  s = aggregate value            news sentiment as of the bar close (point-in-time)

A component that is missing (no score, no model, sentiment disabled or no news) is left out
and the weights of the others are renormalised:

    combined = sum(w_k * x_k) / sum(w_k)      over the present components
    BUY if combined >= threshold, SELL if combined <= -threshold, else HOLD

With the defaults (threshold 0.6) and only the technical component, BUY is exactly
composite_score's score >= 80, its own entry threshold. The ensemble does not re-apply a
strategy's gates (confluence, volume, fees): the strategy's own ``action`` stays in the signal
response beside the ensemble's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ai_engine.domain.errors import DomainValueError
from ai_engine.ensemble.params import EnsembleParams
from ai_engine.sentiment.aggregate import SentimentAggregate


@dataclass(frozen=True)
class Part:
    name: str  # technical | model | sentiment
    value: float | None  # -1 .. 1 (None: missing, left out)
    weight: float  # the configured weight
    share: float  # its share of the decision after renormalising (0 when missing)
    raw: float | None  # the input as given: score 0-100, probability 0-1, sentiment -1..1
    note: str  # what the input was, or why it is missing


@dataclass(frozen=True)
class Decision:
    action: str  # BUY | SELL | HOLD
    score: float  # combined, -1 .. 1 (0 when nothing is present)
    threshold: float
    parts: tuple[Part, ...]
    params: EnsembleParams

    def part(self, name: str) -> Part:
        return next(p for p in self.parts if p.name == name)


def _check(value: float | None, low: float, high: float, what: str) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or not low <= value <= high:
        raise DomainValueError(f"{what} must be in [{low:g}, {high:g}], got {value}")
    return float(value)


def combine(
    *,
    technical_score: float | None,
    model_probability: float | None,
    sentiment: SentimentAggregate | None,
    params: EnsembleParams,
    sentiment_note: str | None = None,
    technical_note: str = "strategy score",
    model_note: str = "model probability of an up move",
) -> Decision:
    """The decision (see the module docstring). ``sentiment_note`` says why sentiment is
    missing when it is (disabled, no database, no news)."""
    score = _check(technical_score, 0.0, 100.0, "technical score")
    probability = _check(model_probability, 0.0, 1.0, "model probability")
    inputs: list[tuple[str, float | None, float | None, str]] = [
        ("technical", None if score is None else (score - 50.0) / 50.0, score,
         technical_note if score is not None else "no technical score"),
        ("model", None if probability is None else 2.0 * probability - 1.0, probability,
         model_note if probability is not None else "no model serving"),
    ]  # fmt: skip
    if sentiment is not None and sentiment.has_evidence:
        inputs.append(("sentiment", sentiment.value, sentiment.value,
                       f"news sentiment from {sentiment.count} scored articles"))  # fmt: skip
    else:
        inputs.append(("sentiment", None, None, sentiment_note or "no scored news"))
    present = sum(params.weight(n) for n, value, _, _ in inputs if value is not None)
    parts = tuple(
        Part(
            name=name,
            value=value,
            weight=params.weight(name),
            share=params.weight(name) / present if value is not None and present > 0 else 0.0,
            raw=raw,
            note=note,
        )
        for name, value, raw, note in inputs
    )
    combined = sum(p.share * p.value for p in parts if p.value is not None)
    combined = max(-1.0, min(1.0, combined))
    if present > 0 and combined >= params.threshold:
        action = "BUY"
    elif present > 0 and combined <= -params.threshold:
        action = "SELL"
    else:
        action = "HOLD"
    return Decision(action, combined, params.threshold, parts, params)
