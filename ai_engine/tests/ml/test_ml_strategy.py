"""``ml_lightgbm`` and composite_score's model component on a real served model's P(up)
(passed as the ``model_prob`` column by the caller, as the API does): the strategy contract,
no lookahead, and nothing changes without a model or with the default weight 0."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ai_engine.features.lookahead import assert_no_lookahead, cut_points
from ai_engine.marketdata.frames import Bars
from ai_engine.ml.serving import ModelServer
from ai_engine.strategies import MarketInput, get
from ai_engine.strategies import reasons as rs


@pytest.fixture(scope="module")
def with_prob(trained_root: tuple[Path, str], btc: Bars) -> MarketInput:
    server = ModelServer(trained_root[0])
    assert server.load_promoted().serving
    prob = server.probabilities(btc)
    assert prob is not None
    return replace(MarketInput.from_bars(btc, 60_000), model_prob=prob)


def test_ml_lightgbm_enters_and_exits_on_the_thresholds(with_prob: MarketInput) -> None:
    data = with_prob
    prob = data.model_prob
    assert prob is not None
    p_enter = float(np.nanquantile(prob, 0.9))
    p_exit = float(np.nanquantile(prob, 0.4))
    strategy = get("ml_lightgbm")
    params = strategy.params({"p_enter": p_enter, "p_exit": p_exit})
    s = strategy.run(data, params)
    want = np.nan_to_num(prob, nan=-1) >= p_enter
    assert s.entries_long.sum() > 10
    assert (s.entries_long == want).all()  # the fee gate passes: 0.4 % > 1.5 round trips
    assert (s.exits_long == (np.nan_to_num(prob, nan=2) <= p_exit)).all()
    assert not s.entries_short.any()
    entry = s.entries_long
    assert np.allclose(s.take_profit[entry], data.close[entry] * 1.004)
    assert np.allclose(s.stop[entry], data.close[entry] * 0.996)
    assert s.exit_rules.max_hold_bars == 30
    assert rs.has(s.reasons[entry], rs.Reason.MODEL_ENTER).all()
    undefined = np.isnan(prob)
    assert rs.has(s.reasons[undefined], rs.Reason.MODEL_UNAVAILABLE).all()
    model = s.components[0]
    assert model.name == "model"
    assert np.array_equal(model.value, prob, equal_nan=True)
    votes = model.vote[1:]
    assert ((votes >= -1) & (votes <= 1)).all()
    assert np.allclose(s.score[entry], 100.0)  # a full vote at or above p_enter
    assert np.isfinite(s.score[1:]).all()


def test_ml_lightgbm_without_a_model_holds_and_says_why(btc: Bars) -> None:
    s = get("ml_lightgbm").run(MarketInput.from_bars(btc, 60_000))
    assert s.entries_long.sum() + s.exits_long.sum() == 0
    assert rs.has(s.reasons, rs.Reason.MODEL_UNAVAILABLE).all()
    assert np.allclose(s.score[1:], 50.0)  # the model abstains


def test_ml_lightgbm_does_not_look_ahead(with_prob: MarketInput) -> None:
    strategy = get("ml_lightgbm")
    prob = with_prob.model_prob
    assert prob is not None
    params = strategy.params({"p_enter": float(np.nanquantile(prob, 0.9)), "p_exit": 0.2})
    events = np.flatnonzero(strategy.run(with_prob, params).entries_long)
    cuts = sorted(set(cut_points(len(with_prob), 10, start=2, seed=5)) | {int(events[0]) + 1})
    assert_no_lookahead(
        lambda stop: strategy.run(with_prob.head(stop), params).arrays(), len(with_prob), cuts
    )


def test_the_p_thresholds_must_be_ordered() -> None:
    from ai_engine.strategies import StrategyParamError

    with pytest.raises(StrategyParamError, match="p_exit"):
        get("ml_lightgbm").params({"p_enter": 0.5, "p_exit": 0.6})


def test_composite_model_component(with_prob: MarketInput, btc: Bars) -> None:
    composite = get("composite_score")
    plain_data = MarketInput.from_bars(btc, 60_000)
    plain = composite.run(plain_data, {"min_score": 70})
    # Default weight 0: a served model changes nothing.
    same = composite.run(with_prob, {"min_score": 70})
    for name, arr in plain.arrays().items():
        assert np.array_equal(arr, same.arrays()[name], equal_nan=True), name
    # Weight > 0 without a model: no tenth component, the same decisions, and the bars say so.
    absent = composite.run(plain_data, {"min_score": 70, "model_weight": 0.3})
    assert [c.name for c in absent.components] == [c.name for c in plain.components]
    assert np.array_equal(absent.entries_long, plain.entries_long)
    assert rs.has(absent.reasons, rs.Reason.MODEL_UNAVAILABLE).all()
    # Weight > 0 with a model: a tenth component voting (p - centre) / scale.
    weighted = composite.run(with_prob, {"min_score": 70, "model_weight": 0.3})
    model = weighted.components[-1]
    assert model.name == "model"
    assert model.weight == 0.3
    prob = with_prob.model_prob
    assert prob is not None
    warm = 40
    expected = np.clip((prob[warm:] - 0.5) / 0.25, -1, 1)
    assert np.allclose(model.vote[warm:], np.nan_to_num(expected, nan=0.0))
    votes = sum(c.weight * c.vote for c in weighted.components) / 1.3
    assert np.allclose(weighted.score, 50 + 50 * votes, equal_nan=True)
    assert not np.array_equal(weighted.score, plain.score, equal_nan=True)
