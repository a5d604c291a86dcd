"""``ema_cross`` against its definition (issue 6), computed here with TA-Lib and a plain loop."""

import itertools

import numpy as np
import pytest
import talib

from ai_engine.strategies import MarketInput, get


def crossings_by_loop(fast: np.ndarray, slow: np.ndarray) -> tuple[list[int], list[int]]:
    """Bars where fast closes above (below) slow after last being below (above) it."""
    ups, downs, side = [], [], 0  # side: sign of the last non-zero difference seen
    for i, (f, s) in enumerate(zip(fast.tolist(), slow.tolist(), strict=True)):
        if np.isnan(f) or np.isnan(s) or f == s:
            continue
        now = 1 if f > s else -1
        if side == -1 and now == 1:
            ups.append(i)
        elif side == 1 and now == -1:
            downs.append(i)
        side = now
    return ups, downs


@pytest.mark.parametrize(("fast", "slow"), [(12, 26), (5, 50)])
def test_entries_and_exits_are_the_talib_ema_crossings(
    btc: MarketInput, fast: int, slow: int
) -> None:
    signals = get("ema_cross").run(btc, {"fast": fast, "slow": slow})
    ups, downs = crossings_by_loop(talib.EMA(btc.close, fast), talib.EMA(btc.close, slow))
    assert len(ups) > 20
    assert len(downs) > 20
    assert np.flatnonzero(signals.entries_long).tolist() == ups
    assert np.flatnonzero(signals.exits_long).tolist() == downs


def test_long_only_without_levels_and_every_crossing_kept(eth: MarketInput) -> None:
    signals = get("ema_cross").run(eth)
    assert not signals.entries_short.any()
    assert not signals.exits_short.any()
    assert np.isnan(signals.stop).all()
    assert np.isnan(signals.take_profit).all()
    # The fee gate is off by default (fee_multiple 0), so no crossing is dropped ...
    ups, _ = crossings_by_loop(talib.EMA(eth.close, 12), talib.EMA(eth.close, 26))
    assert np.flatnonzero(signals.entries_long).tolist() == ups
    # ... and turning it on drops some: it gates entries only, exits stay.
    gated = get("ema_cross").run(eth, {"fee_multiple": 1, "expected_move_atr": 3})
    assert 0 < gated.entries_long.sum() < signals.entries_long.sum()
    assert (gated.exits_long == signals.exits_long).all()


def test_shorts_mirror_the_longs(eth: MarketInput) -> None:
    """``shorts``: a short from each downward crossing to the next upward one (USD-M)."""
    longs, both = get("ema_cross").run(eth), get("ema_cross").run(eth, {"shorts": True})
    assert (both.entries_short == longs.exits_long).all()
    assert (both.exits_short == longs.entries_long).all()
    assert (both.entries_long == longs.entries_long).all()
    assert both.entries_short.any()


def test_crossings_alternate_and_reasons_say_which(btc: MarketInput) -> None:
    signals = get("ema_cross").run(btc)
    events = [(i, "up") for i in np.flatnonzero(signals.entries_long)] + [
        (i, "down") for i in np.flatnonzero(signals.exits_long)
    ]
    kinds = [kind for _, kind in sorted(events)]
    assert all(a != b for a, b in itertools.pairwise(kinds))
    first_up = int(np.flatnonzero(signals.entries_long)[0])
    assert signals.reasons_at(first_up) == ["fast EMA crossed above the slow EMA"]
    assert signals.action_at(first_up).value == "BUY"
    first_down = int(np.flatnonzero(signals.exits_long)[0])
    assert signals.action_at(first_down).value == "SELL"


def test_equal_values_do_not_make_a_crossing() -> None:
    # close flat then rising: fast and slow EMAs are equal while flat; from equality the
    # first separation is not a crossing (the two were never on opposite sides).
    close = np.concatenate(
        [np.full(60, 100.0), np.linspace(100, 110, 40), np.linspace(110, 90, 60)]
    )
    n = len(close)
    data = MarketInput(
        open_time=np.arange(n, dtype=np.int64) * 60_000,
        open=close, high=close + 0.5, low=close - 0.5, close=close,
        volume=np.ones(n), quote_volume=close, taker_buy_volume=np.full(n, 0.5),
        trades=np.ones(n, dtype=np.int64), interval_ms=60_000,
    )  # fmt: skip
    signals = get("ema_cross").run(data)
    assert signals.entries_long.sum() == 0
    assert signals.exits_long.sum() == 1  # the fall below, after having been above
