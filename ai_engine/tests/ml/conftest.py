"""Real BTCUSDT/ETHUSDT spot 1m bars from ``ai_engine/sample_data`` (2023-03-23..25)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ai_engine.marketdata.frames import Bars
from ai_engine.marketdata.parsing import parse_file
from ai_engine.ml.labels import BarrierSpec
from ai_engine.ml.pipeline import train_and_register
from ai_engine.ml.train import TrainConfig

SPOT_1M = Path(__file__).resolve().parents[2] / "sample_data" / "binance" / "spot" / "klines_1m"
BTC_FILES = sorted(SPOT_1M.glob("BTCUSDT-1m-2023-03-2*.csv.gz"))
ETH_FILES = sorted(SPOT_1M.glob("ETHUSDT-1m-2023-03-2*.csv.gz"))


def load(paths: list[Path]) -> Bars:
    tables = [parse_file(p).table for p in paths]
    return Bars(
        **{
            name: np.concatenate([t.column(name).to_numpy() for t in tables])
            for name in tables[0].column_names
        }
    )


@pytest.fixture(scope="session")
def btc() -> Bars:
    return load(BTC_FILES)


@pytest.fixture(scope="session")
def eth() -> Bars:
    return load(ETH_FILES)


# A spec and config under which a model trained on the vendored BTCUSDT days passes the
# promotion rule (a fee-free venue, narrow barriers, fewer required signals): the rule itself is
# the real one. Used where a test needs a promoted model.
PROMOTABLE_SPEC = BarrierSpec(horizon=30, take_profit=0.002, stop_loss=0.002, fee_round_trip=0.0)
PROMOTABLE_CFG = TrainConfig(num_threads=1, num_boost_round=60, cv_splits=2, min_signals=10)


@pytest.fixture(scope="session")
def trained_root(btc: Bars, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A registry with one model trained on the BTC days (promoted: PROMOTED points at it)."""
    root = tmp_path_factory.mktemp("registry")
    model_id, result, _ = train_and_register(
        btc,
        series="binance spot BTCUSDT 1m",
        spec=PROMOTABLE_SPEC,
        root=root,
        config=PROMOTABLE_CFG,
        promote=True,
    )
    assert result.promoted, result.reasons
    return root, model_id


TWO_WEEKS = SPOT_1M.parent / "klines_1m_2weeks" / "BTCUSDT-1m-2023-03-12_2023-03-25.csv.gz"
MARCH_23 = 1_679_529_600_000  # 2023-03-23T00:00Z


@pytest.fixture(scope="session")
def earlier_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A registry with one model trained on BTCUSDT 2023-03-12 .. 22 only (the two-week file
    cut before the vendored days), promoted by hand: the vendored days are out of its sample."""
    from ai_engine.ml.serving import set_promoted

    two = load([TWO_WEEKS])
    earlier = two.take(slice(0, int(np.searchsorted(two.open_time, MARCH_23))))
    root = tmp_path_factory.mktemp("earlier-registry")
    model_id, _, _ = train_and_register(
        earlier,
        series="binance spot BTCUSDT 1m",
        spec=PROMOTABLE_SPEC,
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
    set_promoted(root, model_id, reason="test: trained before the vendored days", actor="test")
    return root, model_id
