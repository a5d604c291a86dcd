"""A sentiment score of one article, how a model's answer is validated, and the neutral score.

Rules:
* sentiment in [-1, 1], relevance and confidence in [0, 1], finite; ``assets`` upper-case
  tickers; ``rationale`` one line (newlines folded, cut at 200 characters).
* A model answer outside those ranges is not clipped: it is refused (``InvalidScore``), the
  score becomes neutral and the reason is kept in ``error``.
* ``status``: ``ok`` (a valid answer), ``error`` (a call was made and failed or was invalid:
  recorded), ``skipped`` (no call: sentiment disabled or the daily budget used up; not recorded).
  A neutral score has sentiment 0 and relevance and confidence 0, so it weighs nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ai_engine.domain.errors import DomainValueError
from ai_engine.sentiment.articles import Article
from ai_engine.sentiment.assets import clean_assets

Status = Literal["ok", "error", "skipped"]


class InvalidScore(DomainValueError):  # noqa: N818 - reads as "invalid score"
    """The model's structured answer broke the schema; names the field."""


@dataclass(frozen=True)
class Score:
    source: str
    article_id: str
    status: Status
    sentiment: float
    relevance: float
    confidence: float
    assets: tuple[str, ...]
    rationale: str
    model: str
    prompt_version: str
    prompt_hash: str
    scored_at: datetime
    input_tokens: int = 0
    output_tokens: int = 0
    error: str | None = None

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class Answer:
    sentiment: float
    relevance: float
    confidence: float
    assets: tuple[str, ...]
    rationale: str


def _number(data: dict[str, Any], name: str, low: float, high: float) -> float:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidScore(f"model answer: {name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise InvalidScore(f"model answer: {name}={value!r} is outside [{low:g}, {high:g}]")
    return number


def validate_answer(data: object) -> Answer:
    """The model's tool input as an ``Answer``; ``InvalidScore`` naming the bad field."""
    if not isinstance(data, dict):
        raise InvalidScore(f"model answer: expected an object, got {type(data).__name__}")
    rationale = data.get("rationale")
    if not isinstance(rationale, str):
        raise InvalidScore(f"model answer: rationale must be text, got {rationale!r}")
    if not isinstance(data.get("assets"), list):
        raise InvalidScore(f"model answer: assets must be a list, got {data.get('assets')!r}")
    return Answer(
        sentiment=_number(data, "sentiment", -1.0, 1.0),
        relevance=_number(data, "relevance", 0.0, 1.0),
        confidence=_number(data, "confidence", 0.0, 1.0),
        assets=clean_assets(data["assets"]),
        rationale=" ".join(rationale.split())[:200],
    )


def neutral(
    article: Article,
    *,
    status: Status,
    reason: str,
    model: str,
    prompt_version: str,
    prompt_hash: str,
    scored_at: datetime,
    input_tokens: int = 0,
    output_tokens: int = 0,
) -> Score:
    return Score(
        source=article.source,
        article_id=article.id,
        status=status,
        sentiment=0.0,
        relevance=0.0,
        confidence=0.0,
        assets=article.assets,
        rationale="",
        model=model,
        prompt_version=prompt_version,
        prompt_hash=prompt_hash,
        scored_at=scored_at,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        error=reason,
    )
