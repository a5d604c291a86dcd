"""Registry round trip, hash verification, corrupt artifacts refused while the old model serves."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ai_engine.ml import registry
from ai_engine.ml.dataset import build_dataset
from ai_engine.ml.labels import BarrierSpec
from ai_engine.ml.pipeline import evaluate_registered, train_and_register
from ai_engine.ml.train import TrainConfig

SPEC = BarrierSpec(horizon=30, take_profit=0.004, stop_loss=0.004, fee_round_trip=0.002)
CFG = TrainConfig(num_threads=1, num_boost_round=40, cv_splits=2)


@pytest.fixture(scope="module")
def trained(btc, tmp_path_factory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("models")
    model_id, result, meta = train_and_register(
        btc, series="BTCUSDT 1m", spec=SPEC, root=root, config=CFG
    )
    return root, model_id, result, meta


def test_round_trip(trained, btc) -> None:  # type: ignore[no-untyped-def]
    root, model_id, result, _ = trained
    where = root / model_id
    assert sorted(p.name for p in where.iterdir()) == ["card.md", "meta.json", "model.txt"]
    meta = json.loads((where / "meta.json").read_text())
    assert meta["sha256"] == registry.sha256_of((where / "model.txt").read_bytes())
    assert model_id.endswith(meta["sha256"][:12])
    assert meta["promoted"] in (True, False)
    assert meta["data_start"].startswith("2023-03-23")
    assert meta["oos"]["auc"] is not None
    card = (where / "card.md").read_text()
    assert model_id in card
    assert "OOS" in card
    assert "Known limits" in card
    loaded = registry.load(root, model_id)
    ds = build_dataset(btc, SPEC, feature_names=meta["features"])
    assert np.array_equal(loaded.booster.predict(ds.x), result.booster.predict(ds.x))
    assert registry.list_models(root) == [model_id]
    scores = evaluate_registered(btc, root=root, model_id=model_id)
    assert scores.rows == len(ds)
    assert scores.threshold == meta["threshold"]


def test_corrupt_byte_refused_old_model_keeps_serving(trained, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root, model_id, _, _ = trained
    copy = tmp_path / "models"
    import shutil

    shutil.copytree(root, copy)
    slot = registry.ModelSlot(copy)
    first = slot.swap(model_id)
    path = copy / model_id / "model.txt"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # flip one bit of one byte
    path.write_bytes(bytes(data))
    with pytest.raises(registry.CorruptArtifactError, match="sha256"):
        slot.swap(model_id)
    assert slot.current is first  # still serving
    (copy / model_id / "meta.json").write_text("{not json")
    with pytest.raises(registry.CorruptArtifactError, match="unreadable"):
        registry.load(copy, model_id)
    with pytest.raises(FileNotFoundError):
        registry.load(copy, "missing-model")
    with pytest.raises(ValueError, match="bad model id"):
        registry.load(copy, "../etc")
