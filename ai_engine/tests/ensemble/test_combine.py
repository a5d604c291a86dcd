"""The ensemble's arithmetic, its renormalisation, its limits and its explanation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from ai_engine.domain.errors import DomainValueError
from ai_engine.ensemble import EnsembleParams, combine, explain
from ai_engine.sentiment.aggregate import ScorePoint, SentimentAggregate, aggregate

AT = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def news(value: float, count: int = 3) -> SentimentAggregate:
    points = [
        ScorePoint(
            i,
            value,
            1.0,
            1.0,
            AT - timedelta(hours=1),
            AT - timedelta(minutes=50),
            AT - timedelta(minutes=49),
        )
        for i in range(count)
    ]
    return aggregate("BTC", points, AT)


def test_all_three_components_weighted() -> None:
    params = EnsembleParams(technical=0.5, model=0.3, sentiment=0.2, threshold=0.5)
    d = combine(technical_score=90, model_probability=0.75, sentiment=news(0.5), params=params)
    # t = 0.8, m = 0.5, s = 0.5 -> 0.5*0.8 + 0.3*0.5 + 0.2*0.5 = 0.65
    assert d.score == pytest.approx(0.65)
    assert d.action == "BUY"
    assert [(p.name, p.value, p.share) for p in d.parts] == [
        ("technical", pytest.approx(0.8), pytest.approx(0.5)),
        ("model", pytest.approx(0.5), pytest.approx(0.3)),
        ("sentiment", pytest.approx(0.5), pytest.approx(0.2)),
    ]
    assert d.part("technical").raw == 90
    assert d.part("model").raw == 0.75


def test_missing_components_are_left_out_and_the_rest_renormalised() -> None:
    params = EnsembleParams()
    d = combine(technical_score=20, model_probability=None, sentiment=None, params=params,
                sentiment_note="sentiment disabled: no key")  # fmt: skip
    assert d.score == pytest.approx(-0.6)  # the technical part alone, full share
    assert d.action == "SELL"
    assert d.part("model").value is None
    assert d.part("model").share == 0
    assert d.part("sentiment").note == "sentiment disabled: no key"
    empty_news = aggregate("BTC", [], AT)
    d = combine(technical_score=None, model_probability=None, sentiment=empty_news,
                params=params)  # fmt: skip
    assert (d.action, d.score) == ("HOLD", 0.0)
    assert explain(d).startswith("HOLD. No component is available.")


@pytest.mark.parametrize(("score", "action"), [(80.0, "BUY"), (79.9, "HOLD"), (20.0, "SELL"),
                                               (20.1, "HOLD"), (50.0, "HOLD")])  # fmt: skip
def test_technical_alone_matches_composite_scores_own_threshold(score: float, action: str) -> None:
    d = combine(technical_score=score, model_probability=None, sentiment=None,
                params=EnsembleParams())  # fmt: skip
    assert d.action == action


def test_sentiment_can_tip_a_decision() -> None:
    params = EnsembleParams(technical=0.6, model=0.0, sentiment=0.4, threshold=0.5)
    calm = combine(technical_score=75, model_probability=None, sentiment=news(0.0), params=params)
    assert calm.action == "HOLD"  # 0.6*0.5 = 0.30
    hot = combine(technical_score=75, model_probability=None, sentiment=news(0.9), params=params)
    assert hot.action == "BUY"  # 0.30 + 0.4*0.9 = 0.66
    assert hot.score == pytest.approx(0.66)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"technical_score": 101.0}, "technical score must be in [0, 100]"),
        ({"model_probability": 1.5}, "model probability must be in [0, 1]"),
        ({"model_probability": float("nan")}, "model probability"),
    ],
)
def test_inputs_out_of_range_are_refused(kwargs: dict[str, float], message: str) -> None:
    values: dict[str, float | None] = {"technical_score": 50.0, "model_probability": None}
    with pytest.raises(DomainValueError, match=re.escape(message)):
        combine(**{**values, **kwargs}, sentiment=None, params=EnsembleParams())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"technical": -1.0}, "weight technical must be >= 0"),
        ({"technical": 0.0, "model": 0.0, "sentiment": 0.0}, "at least one"),
        ({"threshold": 0.0}, "threshold must be in"),
        ({"threshold": 1.5}, "threshold must be in"),
    ],
)
def test_bad_params_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(DomainValueError, match=message):
        EnsembleParams(**kwargs)


def test_the_template_names_every_component_and_the_threshold() -> None:
    d = combine(technical_score=62.0, model_probability=0.55, sentiment=news(-0.3, 2),
                params=EnsembleParams())  # fmt: skip
    text = explain(d, "BTCUSDT")
    # 0.5*0.24 + 0.3*0.10 + 0.2*(-0.3) = 0.09
    assert text == (
        "BTCUSDT: HOLD. Combined +0.09 is inside +/-0.60. "
        "technical mildly bullish (score 62.0/100 -> +0.24, 50% of the vote); "
        "model mildly bullish (probability 0.55 -> +0.10, 30% of the vote); "
        "sentiment mildly bearish (news sentiment from 2 scored articles -> -0.30, 20% of the "
        "vote)."
    )
    sell = combine(technical_score=5.0, model_probability=None, sentiment=None,
                   params=EnsembleParams())  # fmt: skip
    assert explain(sell).startswith("SELL. Combined -0.90 is at or below -0.60. technical "
                                    "strongly bearish")  # fmt: skip
    assert "model: left out (no model serving)" in explain(sell)
