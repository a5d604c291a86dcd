"""The live per-bar path (``ml.live``): incremental features equal the batch features the model
was trained on, its probabilities equal the batch probabilities, and it fits in 1 ms a bar."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai_engine.features import COMPOSITE, compute_features
from ai_engine.features.incremental import groups_for
from ai_engine.marketdata.frames import Bars
from ai_engine.ml import registry
from ai_engine.ml.live import LiveModel
from ai_engine.ml.serving import WrongIntervalError, probabilities

TOL = 1e-6  # rtol and atol: features.incremental's promise


def feed(live: LiveModel, bars: Bars, start: int, stop: int) -> list[float]:
    return [
        live.update(
            int(bars.open_time[i]), float(bars.open[i]), float(bars.high[i]),
            float(bars.low[i]), float(bars.close[i]), float(bars.volume[i]),
            float(bars.taker_buy_volume[i]), int(bars.trades[i]),
        )
        for i in range(start, stop)
    ]  # fmt: skip


def test_groups_for_finds_the_groups_of_the_model_columns() -> None:
    assert groups_for(["rsi", "atr"]) == {"momentum", "volatility"}
    assert groups_for(["vwap_session_dev", "htf_rsi"]) == {"vwap", "mtf"}
    every = compute_features(_flat(500), groups=COMPOSITE)
    assert groups_for(every) == COMPOSITE
    with pytest.raises(ValueError, match="no_such_feature"):
        groups_for(["rsi", "no_such_feature"])


def test_live_features_and_probabilities_equal_the_batch_ones(
    trained_root: tuple[Path, str], eth: Bars
) -> None:
    """On real ETHUSDT bars (the model was trained on BTCUSDT): a day of history, then every bar
    of the next 1,000 (through the 2023-03-24 halt and its zero-volume bars) one at a time."""
    root, model_id = trained_root
    model = registry.load(root, model_id)
    live = LiveModel(model, 60_000)
    start, stop = 1440, 2440
    primed = live.prime(eth.take(slice(0, start)))
    online = np.array(feed(live, eth, start, stop))
    batch = probabilities(model, eth)
    np.testing.assert_allclose(primed, batch[:start], rtol=0, atol=1e-12, equal_nan=True)
    assert np.isfinite(online).sum() > 900  # a real comparison, not NaN against NaN
    np.testing.assert_allclose(online, batch[start:stop], rtol=TOL, atol=TOL, equal_nan=True)
    # The features the model reads, one by one, against the batch computation.
    full = compute_features(eth)
    latest = live.features.update(
        int(eth.open_time[stop]), float(eth.open[stop]), float(eth.high[stop]),
        float(eth.low[stop]), float(eth.close[stop]), float(eth.volume[stop]),
        float(eth.taker_buy_volume[stop]), int(eth.trades[stop]),
    )  # fmt: skip
    for name in live.names:
        assert np.isclose(latest[name], full[name][stop], rtol=TOL, atol=TOL), name


def test_bars_of_another_interval_are_refused(trained_root: tuple[Path, str]) -> None:
    root, model_id = trained_root
    with pytest.raises(WrongIntervalError, match="60 s bars, the bot trades 300 s bars"):
        LiveModel(registry.load(root, model_id), 300_000)


def _flat(n: int) -> Bars:
    rng = np.random.default_rng(7)
    close = 100 + np.cumsum(rng.normal(0, 0.1, n))
    t = np.arange(n, dtype=np.int64) * 60_000
    return Bars(
        open_time=t, open=close, high=close + 0.1, low=close - 0.1, close=close,
        volume=np.full(n, 5.0), quote_volume=close * 5, taker_buy_volume=np.full(n, 2.0),
        taker_buy_quote_volume=close * 2, trades=np.full(n, 10, np.int64),
    )  # fmt: skip
