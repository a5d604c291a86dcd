"""Every built-in on real bars: it fires, and its arrays keep the interface's promises."""

from dataclasses import replace

import numpy as np
import pytest

from ai_engine.strategies import BUILTIN, MarketInput, get
from ai_engine.strategies import reasons as rs
from ai_engine.strategies.gates import fee_gate

from .cases import FIRING


def test_every_builtin_has_a_case_and_cites_its_plan() -> None:
    # ml_lightgbm fires only on a served model's probabilities: tests/ml/test_ml_strategy.py.
    assert set(FIRING) == set(BUILTIN.names()) - {"ml_lightgbm"}
    for strategy in BUILTIN:
        assert "seed" in strategy.plan or "issue 6" in strategy.plan
        doc = type(strategy).__doc__ or ""
        assert "Plan:" in doc, f"{strategy.name} docstring does not cite its plan"


@pytest.mark.parametrize("name", sorted(FIRING))
@pytest.mark.parametrize("dataset", ["btc", "eth", "avax_perp"])
def test_signals_on_real_bars_keep_the_contract(
    name: str, dataset: str, request: pytest.FixtureRequest
) -> None:
    data: MarketInput = request.getfixturevalue(dataset)
    strategy = get(name)
    params = strategy.params(FIRING[name])
    s = strategy.run(data, params)
    n = len(data)
    for arr in s.arrays().values():
        assert len(arr) == n
    assert s.entries_long.sum() + s.entries_short.sum() > 0, f"{name} never enters on {dataset}"
    # One side's entry and exit never share a bar; long and short entries never do.
    assert not (s.entries_long & s.exits_long).any()
    assert not (s.entries_short & s.exits_short).any()
    assert not (s.entries_long & s.entries_short).any()
    if strategy.long_only or not getattr(params, "allow_short", True):
        assert not s.entries_short.any()
    # Levels only on entry bars, on the right side of the close.
    entry = s.entries_long | s.entries_short
    assert np.isnan(s.stop[~entry]).all()
    assert np.isnan(s.take_profit[~entry]).all()
    close = data.close
    longs, shorts = s.entries_long, s.entries_short
    assert (s.stop[longs] < close[longs]).all() or np.isnan(s.stop[longs]).all()
    assert (s.take_profit[longs] > close[longs]).all() or np.isnan(s.take_profit[longs]).all()
    assert (s.stop[shorts] > close[shorts]).all() or np.isnan(s.stop[shorts]).all()
    # Score: 0..100 once warm, NaN only during the warm-up the strategy declares.
    warm = strategy.warmup(params)
    assert np.isfinite(s.score[warm:]).all()
    assert ((s.score[warm:] >= 0) & (s.score[warm:] <= 100)).all()
    assert s.confidence[warm:].min() >= 0
    assert s.confidence[warm:].max() <= 1
    assert rs.has(s.reasons[: warm - 1], rs.Reason.WARMUP).any() or warm <= 1
    # Every entry says why, and no entry carries a reason that blocks it.
    blocking = [rs.Reason.FEE_GATE, rs.Reason.SHORT_DISABLED]
    for i in np.flatnonzero(entry)[:50]:
        assert s.reasons_at(int(i)), f"{name}: entry at {i} without a reason"
        assert not any(rs.has(s.reasons[i : i + 1], r)[0] for r in blocking)
    for c in s.components:
        assert c.weight > 0
        votes = c.vote[warm:]
        assert ((votes >= -1) & (votes <= 1)).all(), c.name


@pytest.mark.parametrize("name", sorted(FIRING))
def test_every_entry_covers_the_fees_by_the_multiple(name: str, btc: MarketInput) -> None:
    strategy = get(name)
    params = strategy.params({**FIRING[name], "fee_rate": 0.0005, "fee_multiple": 2.0})
    s = strategy.run(btc, params)
    entry = s.entries_long | s.entries_short
    targets = np.abs(s.take_profit - btc.close) / btc.close
    with_target = entry & np.isfinite(s.take_profit)
    assert (targets[with_target] >= 2.0 * 2 * 0.0005 * (1 - 1e-9)).all()
    # Raising the fee never adds an entry; a prohibitive fee blocks all and says so.
    costly = strategy.run(btc, {**FIRING[name], "fee_rate": 0.01, "fee_multiple": 2.0})
    assert not (costly.entries_long & ~s.entries_long).any()
    assert costly.entries_long.sum() + costly.entries_short.sum() == 0
    assert rs.has(costly.reasons, rs.Reason.FEE_GATE).sum() >= entry.sum()


def test_fee_gate_arithmetic() -> None:
    move = np.array([0.003, 0.0029999, np.nan, 0.01])
    assert fee_gate(move, 0.001, 1.5).tolist() == [True, False, False, True]
    assert fee_gate(move, 0.001, 0.0).tolist() == [True] * 4  # 0: off, even for NaN


def test_trinity_defaults_are_blocked_by_spot_fees(btc: MarketInput) -> None:
    s = get("trinity_scalper").run(btc)
    assert s.entries_long.sum() + s.entries_short.sum() == 0
    blocked = rs.has(s.reasons, rs.Reason.FEE_GATE)
    fee_free = get("trinity_scalper").run(btc, {"fee_rate": 0.0})
    assert blocked.sum() == (fee_free.entries_long | fee_free.entries_short).sum() > 0


def test_short_entries_need_allow_short(btc: MarketInput) -> None:
    allowed = get("ma_crossover").run(btc, {"allow_short": True})
    spot = get("ma_crossover").run(btc)
    assert allowed.entries_short.sum() > 0
    assert spot.entries_short.sum() == 0
    disabled = rs.has(spot.reasons, rs.Reason.SHORT_DISABLED)
    # Every short the permissive run took is a bar where the spot run says shorts are off.
    assert not (allowed.entries_short & ~disabled).any()


def test_order_flow_rules_stay_silent_without_a_taker_split(
    btc_perp_no_taker: MarketInput,
) -> None:
    data = btc_perp_no_taker
    assert not data.has_taker_volume
    s = get("orderflow_breakout").run(data, {"fee_rate": 0.0})
    assert s.entries_long.sum() + s.entries_short.sum() == 0
    assert rs.has(s.reasons, rs.Reason.NO_ORDER_FLOW).sum() > 0
    composite = get("composite_score").run(data)
    flow = next(c for c in composite.components if c.name == "order_flow")
    assert (flow.vote[40:] == 0).all()  # abstains instead of reading -volume as selling


def test_extreme_funding_blocks_entries_in_its_direction(avax_perp: MarketInput) -> None:
    plain = get("orderflow_breakout").run(avax_perp)
    assert plain.entries_long.sum() > 0
    assert plain.entries_short.sum() > 0
    crowded_longs = replace(avax_perp, funding_rate=np.full(len(avax_perp), 0.001))  # 0.1 %/8h
    s = get("orderflow_breakout").run(crowded_longs)
    assert s.entries_long.sum() == 0
    assert (s.entries_short == plain.entries_short).all()
    blocked = rs.has(s.reasons, rs.Reason.FUNDING_BLOCK)
    assert not (plain.entries_long & ~blocked).any()
    funding = next(c for c in s.components if c.name == "funding")
    assert (funding.vote == -1).all()  # crowded longs: lean short


def test_spread_gate_applies_only_when_the_spread_is_known(btc: MarketInput) -> None:
    params = {"min_score": 70}
    unknown = get("composite_score").run(btc, params)
    assert rs.has(unknown.reasons, rs.Reason.SPREAD_UNKNOWN).any()
    for spread, entries in ((5.0, unknown.entries_long.sum()), (50.0, 0)):
        known = replace(btc, spread_bps=np.full(len(btc), spread))
        s = get("composite_score").run(known, params)
        assert s.entries_long.sum() == entries
        assert not rs.has(s.reasons, rs.Reason.SPREAD_UNKNOWN).any()


def test_composite_components_use_seed_001_weights(btc: MarketInput) -> None:
    s = get("composite_score").run(btc)
    weights = {c.name: c.weight for c in s.components}
    assert weights == {
        "rsi": 0.15, "macd": 0.15, "bollinger": 0.10, "ema_cross": 0.10, "vwap": 0.10,
        "order_flow": 0.15, "price_action": 0.10, "liquidity": 0.05, "tick_momentum": 0.10,
    }  # fmt: skip
    # The score is 50 + 50 * the weighted mean vote.
    votes = sum(c.weight * c.vote for c in s.components)
    assert np.allclose(s.score, 50 + 50 * votes, equal_nan=True)
    # Exits follow the score: below 60 closes a long, above 40 a short.
    warm = 40
    assert (s.exits_long[warm:] == (s.score[warm:] < 60)).all()
    assert (s.exits_short[warm:] == (s.score[warm:] > 40)).all()
    assert s.exit_rules.max_hold_bars == 10
    assert s.exit_rules.trail_after_r == 0.0
