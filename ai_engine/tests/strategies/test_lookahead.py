"""The lookahead gate for every strategy: outputs on data cut after bar t equal the full run's.

Uses ``features.lookahead`` (the same gate the features pass): every per-bar array of the
signals (entries, exits, levels, trail, score, reasons, every component's value and vote) is
compared bar by bar, exactly, NaN-aware, at seeded random cut points plus the first and last.
"""

import numpy as np
import pytest

from ai_engine.features.lookahead import assert_no_lookahead, cut_points, find_lookahead
from ai_engine.strategies import MarketInput, get
from ai_engine.strategies.builtin.ema_cross import EmaCross, EmaCrossParams
from ai_engine.strategies.signals import Component, Draft

from .cases import FIRING


def gate(strategy_name: str, data: MarketInput, params: dict[str, object], cuts: list[int]) -> None:
    strategy = get(strategy_name)
    chosen = strategy.params(params)
    assert_no_lookahead(
        lambda stop: strategy.run(data.head(stop), chosen).arrays(), len(data), cuts
    )


@pytest.mark.parametrize("name", sorted(FIRING))
@pytest.mark.parametrize("dataset", ["btc", "avax_perp"])
def test_no_strategy_looks_ahead(name: str, dataset: str, request: pytest.FixtureRequest) -> None:
    data: MarketInput = request.getfixturevalue(dataset)
    signals = get(name).run(data, FIRING[name])
    events = np.flatnonzero(signals.entries_long | signals.entries_short)
    # Random cuts, plus cuts right at entries (where a peek would change the decision).
    cuts = sorted(
        set(cut_points(len(data), 10, start=2, seed=5)) | {int(i) + 1 for i in events[:4]}
    )
    gate(name, data, FIRING[name], cuts)


class _Peek(EmaCross):
    """A deliberately leaking variant: it buys when the NEXT bar's close is higher."""

    def compute(self, data: MarketInput, params: EmaCrossParams) -> Draft:
        draft = super().compute(data, params)
        tomorrow = np.append(data.close[1:], np.nan)  # the leak
        draft.entries_long[:] = tomorrow > data.close
        return draft


class _Normalised(EmaCross):
    """A subtler leak: the score is scaled by the maximum of the WHOLE series."""

    def compute(self, data: MarketInput, params: EmaCrossParams) -> Draft:
        draft = super().compute(data, params)
        scaled = data.close / data.close.max()  # the leak: max over bars not yet seen
        draft.components = (Component("scaled", 1.0, scaled, 2 * scaled - 1),)
        return draft


@pytest.mark.parametrize("leaky", [_Peek(), _Normalised()])
def test_the_gate_catches_a_leaking_strategy(leaky: EmaCross, btc: MarketInput) -> None:
    params = leaky.params()
    found = find_lookahead(
        lambda stop: leaky.run(btc.head(stop), params).arrays(),
        len(btc),
        cut_points(len(btc), 6, start=2),
    )
    assert found, "a strategy that reads the future passed the lookahead gate"
    with pytest.raises(AssertionError, match="lookahead detected"):
        assert_no_lookahead(lambda stop: leaky.run(btc.head(stop), params).arrays(), len(btc))
