"""Live (rolling-window) evaluation agrees with a full-history run of the same code."""

import numpy as np
import pytest

from ai_engine.domain.errors import DomainValueError
from ai_engine.strategies import Action, MarketInput, get
from ai_engine.strategies.live import NOTHING_FIRED, latest, reading

from .cases import FIRING


@pytest.mark.parametrize("name", sorted(FIRING))
def test_latest_equals_the_full_run_at_every_probed_bar(name: str, btc: MarketInput) -> None:
    strategy = get(name)
    params = strategy.params(FIRING[name])
    full = strategy.run(btc, params)
    events = np.flatnonzero(full.entries_long | full.entries_short | full.exits_long)
    window = strategy.lookback(params)
    probes = [*[int(i) for i in events if i >= window][:15], len(btc) - 1]
    assert len(probes) > 5
    for i in probes:
        live = latest(strategy, btc.head(i + 1), params)
        want = reading(full, btc, i)
        assert live.action == want.action, (name, i)
        assert live.close_time_ms == int(btc.open_time[i]) + 60_000
        assert live.price == want.price
        for got, expected in ((live.stop, want.stop), (live.take_profit, want.take_profit)):
            assert (got is None) == (expected is None)
            if got is not None and expected is not None:
                assert got == pytest.approx(expected, rel=1e-9)
        assert live.score == pytest.approx(want.score, abs=1e-6)
        assert live.reasons == want.reasons


def test_reading_of_a_quiet_bar_says_nothing_fired(btc: MarketInput) -> None:
    signals = get("ema_cross").run(btc)
    quiet = int(np.flatnonzero(~(signals.entries_long | signals.exits_long))[-1])
    r = reading(signals, btc, quiet)
    assert r.action is Action.HOLD
    assert r.reasons == (NOTHING_FIRED,)
    assert r.stop is None
    assert r.take_profit is None
    assert [c.name for c in r.components] == ["ema_spread"]


def test_latest_refuses_empty_data(btc: MarketInput) -> None:
    with pytest.raises(DomainValueError, match="no closed bars"):
        latest(get("ema_cross"), btc.head(0))
