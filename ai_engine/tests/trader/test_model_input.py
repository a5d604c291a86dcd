"""The served model in the trader (``trader/model_input.py``): loaded once at start-up (refused
with the reason for an ``ml_lightgbm`` bot, not needed by other strategies), one P(up) per closed
bar equal to the batch probabilities, and an ``ml_lightgbm`` replay through the full path that
gives the trades of the backtest on the same bars with the batch-predicted column.

The model is trained on BTCUSDT 2023-03-12 .. 22 (the two-week vendored file, cut before the
23rd) and traded on the vendored 2023-03-23 .. 25: data it never saw.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ai_engine.backtest.service import BacktestRequest, run_backtest
from ai_engine.marketdata.frames import Bars
from ai_engine.marketdata.parsing import parse_file
from ai_engine.ml import registry
from ai_engine.ml.labels import BarrierSpec
from ai_engine.ml.pipeline import train_and_register
from ai_engine.ml.serving import probabilities, set_promoted
from ai_engine.ml.train import TrainConfig
from ai_engine.settings import Settings
from ai_engine.strategies import MarketInput, get
from ai_engine.trader.drift import compare
from ai_engine.trader.feed import Kline
from ai_engine.trader.loop import _market
from ai_engine.trader.model_input import ModelInputError, for_strategy
from ai_engine.trader.replay import ReplayError, ReplayRequest, run_replay

from .conftest import pytestmark as _celery_marks

pytestmark = _celery_marks

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "binance" / "spot"
TWO_WEEKS = SAMPLE / "klines_1m_2weeks" / "BTCUSDT-1m-2023-03-12_2023-03-25.csv.gz"
MARCH_23 = 1_679_529_600_000  # 2023-03-23T00:00Z: the model trains on the bars before it
# Exits out of reach (the trader trades on the strategy's signals); thresholds around this
# weak model's probabilities so that three days give a few trades.
PARAMS: dict[str, Any] = {
    "p_enter": 0.5, "p_exit": 0.47, "take_profit_pct": 20.0, "stop_pct": 20.0,
    "max_hold_minutes": 0.0,
}  # fmt: skip


def load(paths: list[Path]) -> Bars:
    tables = [parse_file(p).table for p in paths]
    return Bars(
        **{
            name: np.concatenate([t.column(name).to_numpy() for t in tables])
            for name in tables[0].column_names
        }
    )


@pytest.fixture(scope="module")
def registry_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A registry whose promoted model was trained on 2023-03-12 .. 22 only."""
    two = load([TWO_WEEKS])
    earlier = two.take(slice(0, int(np.searchsorted(two.open_time, MARCH_23))))
    root = tmp_path_factory.mktemp("models")
    model_id, _, meta = train_and_register(
        earlier,
        series="binance spot BTCUSDT 1m",
        spec=BarrierSpec(horizon=30, take_profit=0.002, stop_loss=0.002, fee_round_trip=0.0),
        root=root,
        config=TrainConfig(
            num_threads=1,
            num_boost_round=30,
            early_stopping_rounds=1000,
            cv_splits=2,
            min_signals=10,
            calibration="platt",
        ),
    )
    assert meta["data_end"] < "2023-03-23"
    set_promoted(root, model_id, reason="test: trained on the days before the replay", actor="t")
    return root, model_id


@pytest.fixture(scope="module")
def btc3(btc_files: tuple[Path, ...]) -> Bars:
    return load(list(btc_files))


def klines(bars: Bars) -> list[Kline]:
    return [
        Kline(
            int(bars.open_time[i]), float(bars.open[i]), float(bars.high[i]), float(bars.low[i]),
            float(bars.close[i]), float(bars.volume[i]), float(bars.quote_volume[i]),
            int(bars.trades[i]), float(bars.taker_buy_volume[i]),
            float(bars.taker_buy_quote_volume[i]),
        )
        for i in range(len(bars.close))
    ]  # fmt: skip


def test_other_strategies_load_no_model(tmp_path: Path) -> None:
    assert for_strategy("ema_cross", get("ema_cross").params({}), None, 60_000) is None
    composite = get("composite_score")
    assert for_strategy("composite_score", composite.params({}), tmp_path, 60_000) is None
    # A model component is optional for composite_score: no model served, no column.
    weighted = composite.params({"model_weight": 0.2})
    assert for_strategy("composite_score", weighted, tmp_path / "none", 60_000) is None


def test_an_ml_bot_without_a_servable_model_is_refused_at_start(
    registry_root: tuple[Path, str], tmp_path: Path
) -> None:
    params = get("ml_lightgbm").params({})
    with pytest.raises(ModelInputError, match="no model registry configured"):
        for_strategy("ml_lightgbm", params, None, 60_000)
    with pytest.raises(ModelInputError, match="no promoted model"):
        for_strategy("ml_lightgbm", params, tmp_path / "empty", 60_000)
    root, model_id = registry_root
    with pytest.raises(ModelInputError, match="60 s bars, the bot trades 300 s bars"):
        for_strategy("ml_lightgbm", params, root, 300_000)
    corrupt = tmp_path / "corrupt"
    shutil.copytree(root, corrupt)
    text = bytearray((corrupt / model_id / "model.txt").read_bytes())
    text[len(text) // 2] ^= 0x01
    (corrupt / model_id / "model.txt").write_bytes(bytes(text))
    with pytest.raises(ModelInputError, match=f"promoted model {model_id} refused.*sha256"):
        for_strategy("ml_lightgbm", params, corrupt, 60_000)
    served = for_strategy("ml_lightgbm", params, root, 60_000)
    assert served is not None
    assert served.model_id == model_id


def test_bar_by_bar_probabilities_and_signals_equal_the_batch_ones(
    registry_root: tuple[Path, str], btc3: Bars
) -> None:
    """What the trader's ``_on_bar`` does (history first, then one bar at a time, the strategy
    on its trailing window; the bars held cut to the last day, as a live run keeps them)
    against the strategy on all bars with the batch column."""
    root, model_id = registry_root
    strategy = get("ml_lightgbm")
    params = strategy.params(PARAMS)
    model = for_strategy("ml_lightgbm", params, root, 60_000)
    assert model is not None
    batch = probabilities(registry.load(root, model_id), btc3)
    full = MarketInput.from_bars(btc3, 60_000)
    signals = strategy.run(
        MarketInput(**{**{k: getattr(full, k) for k in full.__dataclass_fields__},
                       "model_prob": batch}),
        params,
    )  # fmt: skip
    bars = klines(btc3)
    lookback = strategy.lookback(params)
    start = 1440  # a day of history, as the trader's first step
    live_p: list[float] = []
    enter: list[bool] = []
    leave: list[bool] = []
    keep = start  # as a live run holds its last bars only (``TraderConfig.keep_bars``)
    for stop in range(start, len(bars) + 1):
        held = bars[stop - keep : stop]
        window = model.attach(_market(held[-lookback:], 60_000), held)
        model.keep_last(keep)
        assert window.model_prob is not None
        live_p.append(float(window.model_prob[-1]))
        s = strategy.run(window, params)
        enter.append(bool(s.entries_long[-1]))
        leave.append(bool(s.exits_long[-1]))
    np.testing.assert_allclose(live_p, batch[start - 1 :], rtol=1e-6, atol=1e-6, equal_nan=True)
    assert np.isfinite(live_p).sum() > 2500
    assert enter == list(signals.entries_long[start - 1 :])
    assert leave == list(signals.exits_long[start - 1 :])
    assert sum(enter) > 10  # the comparison covers entries, not only quiet bars
    assert sum(leave) > 10


def test_an_ml_replay_refuses_to_start_without_a_model(
    btc_files: tuple[Path, ...], tmp_path: Path
) -> None:
    with pytest.raises(ReplayError, match="model: strategy ml_lightgbm needs the promoted model"):
        run_replay(
            ReplayRequest(strategy="ml_lightgbm", data=btc_files, params=PARAMS),
            database_url="postgresql+psycopg://unused", redis_url="redis://unused",
            settings=Settings(models_dir=tmp_path / "no-models"),
        )  # fmt: skip


@pytest.mark.timeout(900)
def test_an_ml_replay_trades_the_backtests_trades(
    registry_root: tuple[Path, str], btc_files: tuple[Path, ...], database_url: str,
    redis_url: str, tmp_path: Path,
) -> None:  # fmt: skip
    root, model_id = registry_root
    replay = run_replay(
        ReplayRequest(strategy="ml_lightgbm", data=btc_files, params=PARAMS),
        database_url=database_url,
        redis_url=redis_url,
        settings=Settings(models_dir=root),
    )
    backtest = run_backtest(
        BacktestRequest(
            strategy="ml_lightgbm", data=btc_files, params=PARAMS, config={"latency_ms": 0},
            model=model_id, models_root=root,
        ),
        data_dir=tmp_path,
    )  # fmt: skip
    assert backtest.document["run"]["model"]["overlap"] is False
    ours: list[dict[str, Any]] = replay.document["trades"]
    theirs: list[dict[str, Any]] = backtest.document["trades"]
    assert len(theirs) >= 3
    report = compare(ours, theirs, replay.run_id)
    assert report.identical, report.describe()
    for mine, ref in zip(ours, theirs, strict=True):
        assert (mine["entry_price"], mine["exit_price"]) == (ref["entry_price"], ref["exit_price"])


def test_a_composite_bot_with_a_model_weight_gets_the_column(
    registry_root: tuple[Path, str], btc3: Bars
) -> None:
    root, model_id = registry_root
    composite = get("composite_score")
    params = composite.params({"model_weight": 0.2})
    model = for_strategy("composite_score", params, root, 60_000)
    assert model is not None
    assert model.model_id == model_id
    bars = klines(btc3)[:2000]
    window = model.attach(_market(bars[-300:], 60_000), bars)
    assert window.model_prob is not None
    assert np.isfinite(window.model_prob).all()
    signals = composite.run(window, params)
    assert "model" in {c.name for c in signals.components}
    with pytest.raises(ValueError, match="do not continue the ones seen"):
        model.observe(bars[:1500] + bars[1600:1700])
