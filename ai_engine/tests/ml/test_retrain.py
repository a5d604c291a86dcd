"""Scheduled retraining, made safe: a candidate serves only if it passes the rule and beats the
served model on the same recent rows; otherwise the served model stays and the reason is kept."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from ai_engine.marketdata.frames import Bars
from ai_engine.ml.retrain import retrain
from ai_engine.ml.serving import history, promoted_id

from .conftest import PROMOTABLE_CFG, PROMOTABLE_SPEC

T0 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def test_first_candidate_promoted_then_an_equal_one_kept(btc: Bars, tmp_path: Path) -> None:
    root = tmp_path / "models"
    first = retrain(
        btc, series="BTC", spec=PROMOTABLE_SPEC, root=root, config=PROMOTABLE_CFG, now=T0
    )
    assert first.promoted, first.reasons
    assert first.served_before is None
    assert promoted_id(root) == first.candidate
    # The same window again: an identical model (fixed seed) is not *better*: kept.
    second = retrain(
        btc, series="BTC", spec=PROMOTABLE_SPEC, root=root, config=PROMOTABLE_CFG,
        now=T0.replace(hour=4),
    )  # fmt: skip
    assert not second.promoted
    assert second.served_before == first.candidate
    assert promoted_id(root) == first.candidate  # rolled back to / kept the served model
    assert second.served_scores is not None
    assert second.candidate_scores["expectancy_net"] == second.served_scores["expectancy_net"]
    assert any("is not above the served model's" in r for r in second.reasons)
    last = history(root)[-1]
    assert last["action"] == "keep"
    assert last["model_id"] == second.candidate
    assert last["previous"] == first.candidate
    assert "not above" in last["reason"]


def test_a_candidate_failing_the_rule_is_never_served(btc: Bars, tmp_path: Path) -> None:
    root = tmp_path / "models"
    # Spot fees and 0.4 % barriers: on these days the signals lose net of fees.
    spec = replace(PROMOTABLE_SPEC, take_profit=0.004, stop_loss=0.004, fee_round_trip=0.002)
    out = retrain(btc, series="BTC", spec=spec, root=root, config=PROMOTABLE_CFG, now=T0)
    assert not out.promoted
    assert promoted_id(root) is None
    assert any(r.startswith("candidate fails the promotion rule") for r in out.reasons)
    assert history(root)[-1]["action"] == "keep"


def test_a_corrupt_served_model_does_not_block_a_good_candidate(
    btc: Bars, trained_root: tuple[Path, str], tmp_path: Path
) -> None:
    root = tmp_path / "models"
    shutil.copytree(trained_root[0], root)
    served = trained_root[1]
    (root / served / "model.txt").write_bytes(b"garbage")
    out = retrain(
        btc, series="BTC", spec=PROMOTABLE_SPEC, root=root, config=PROMOTABLE_CFG,
        now=datetime(2030, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    assert out.served_before == served
    assert out.promoted
    assert promoted_id(root) == out.candidate
