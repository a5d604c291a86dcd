"""Backtests of ``ml_lightgbm`` get the model's batch P(up) column, point-in-time: bars that are
not after the model's training span are refused (or, asked for, run and flagged)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ai_engine.backtest.service import BacktestRequest, RequestError, run_backtest
from ai_engine.cli.main import app
from ai_engine.marketdata.frames import Bars
from ai_engine.ml import registry
from ai_engine.ml.model_column import ModelOverlapError, model_column, training_span_ms
from ai_engine.ml.serving import probabilities
from ai_engine.strategies import MarketInput, get

from .conftest import BTC_FILES, TWO_WEEKS

runner = CliRunner()
PARAMS = {"p_enter": 0.5, "p_exit": 0.47}


def test_the_column_is_the_batch_probabilities_out_of_sample(
    earlier_root: tuple[Path, str], btc: Bars
) -> None:
    root, model_id = earlier_root
    column = model_column(root, "promoted", btc)
    model = registry.load(root, model_id)
    np.testing.assert_array_equal(column.prob, probabilities(model, btc), strict=True)
    assert column.info["model_id"] == model_id
    assert column.info["overlap"] is False
    assert "warning" not in column.info
    assert column.info["bars_with_prob"] > 4000
    span = training_span_ms(model.meta)
    assert span is not None
    assert span[1] < int(btc.open_time[0])  # the 30-bar look-ahead of the last label included


def test_bars_the_model_trained_on_are_refused_or_flagged(
    earlier_root: tuple[Path, str], trained_root: tuple[Path, str], btc: Bars
) -> None:
    root, model_id = earlier_root
    two_weeks = _load(TWO_WEEKS)
    with pytest.raises(ModelOverlapError, match=r"overlap model .* training span"):
        model_column(root, model_id, two_weeks)
    flagged = model_column(root, model_id, two_weeks, allow_overlap=True)
    assert flagged.info["overlap"] is True
    assert flagged.info["warning"].startswith("NOT POINT-IN-TIME")
    # A model trained on later bars has seen their future: refused as well.
    later_root, later_id = trained_root
    with pytest.raises(ModelOverlapError, match="precede model"):
        model_column(later_root, later_id, two_weeks.take(slice(0, 5000)))


def test_a_backtest_with_the_model_trades_on_its_column(
    earlier_root: tuple[Path, str], btc: Bars, tmp_path: Path
) -> None:
    root, model_id = earlier_root
    outcome = run_backtest(
        BacktestRequest(
            strategy="ml_lightgbm",
            data=tuple(BTC_FILES),
            params=PARAMS,
            model=model_id,
            models_root=root,
            config={"latency_ms": 0},
        ),
        data_dir=tmp_path,
    )
    assert outcome.document["run"]["model"]["model_id"] == model_id
    assert outcome.metrics.trades >= 3
    # The same signals as the strategy on the bars with the batch column.
    strategy = get("ml_lightgbm")
    prob = probabilities(registry.load(root, model_id), btc)
    market = MarketInput.from_bars(btc, 60_000)
    signals = strategy.run(
        MarketInput(**{**{k: getattr(market, k) for k in market.__dataclass_fields__},
                       "model_prob": prob}),
        strategy.params({**PARAMS, "fee_rate": 0.001}),
    )  # fmt: skip
    entries = np.flatnonzero(signals.entries_long)
    assert len(entries) > 0
    # The first trade fills at the open of the bar after the first entry signal.
    assert outcome.document["trades"][0]["entry_time_ms"] == int(btc.open_time[entries[0] + 1])


def test_ml_lightgbm_needs_a_model_and_a_registry(tmp_path: Path) -> None:
    with pytest.raises(RequestError, match="give --model ID"):
        run_backtest(
            BacktestRequest(strategy="ml_lightgbm", data=tuple(BTC_FILES)), data_dir=tmp_path
        )
    with pytest.raises(RequestError, match="no model registry"):
        run_backtest(
            BacktestRequest(strategy="ml_lightgbm", data=tuple(BTC_FILES), model="promoted"),
            data_dir=tmp_path,
        )
    with pytest.raises(RequestError, match="model: no promoted model"):
        run_backtest(
            BacktestRequest(
                strategy="ml_lightgbm",
                data=tuple(BTC_FILES),
                model="promoted",
                models_root=tmp_path / "empty",
            ),
            data_dir=tmp_path,
        )


def test_the_cli_attaches_the_model_and_warns_on_overlap(
    earlier_root: tuple[Path, str], tmp_path: Path
) -> None:
    root, model_id = earlier_root
    out = tmp_path / "bt.json"
    base = ["backtest", "--strategy", "ml_lightgbm", "--params", "p_enter=0.5,p_exit=0.47",
            "--models", str(root)]  # fmt: skip
    files = [a for f in BTC_FILES for a in ("--data", str(f))]
    result = runner.invoke(app, [*base, "--model", "promoted", "--json", str(out), *files])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["run"]["model"]["model_id"] == model_id
    result = runner.invoke(app, [*base, "--model", model_id, "--data", str(TWO_WEEKS)])
    assert result.exit_code == 2
    assert "overlap model" in result.stderr
    result = runner.invoke(
        app, [*base, "--model", model_id, "--allow-model-overlap", "--data", str(TWO_WEEKS)]
    )
    assert result.exit_code == 0, result.output
    assert "WARNING: NOT POINT-IN-TIME" in result.stderr


def _load(path: Path) -> Bars:
    from .conftest import load

    return load([path])


def test_a_spec_names_the_model(earlier_root: tuple[Path, str], tmp_path: Path) -> None:
    from ai_engine.backtest.spec import SpecError, spec_request

    root, model_id = earlier_root
    values = {"strategy": "ml_lightgbm", "data": [str(f) for f in BTC_FILES], "model": model_id}
    request = spec_request(values, base=tmp_path)
    assert (request.model, request.allow_model_overlap) == (model_id, False)
    flagged = spec_request({**values, "allow_model_overlap": True}, base=tmp_path)
    assert flagged.allow_model_overlap is True
    outcome = run_backtest(replace(request, models_root=root), data_dir=tmp_path)
    assert outcome.document["run"]["model"]["overlap"] is False
    with pytest.raises(SpecError, match="allow_model_overlap must be true or false"):
        spec_request({**values, "allow_model_overlap": "yes"}, base=tmp_path)
    with pytest.raises(SpecError, match="unknown field"):
        spec_request({**values, "modle": model_id}, base=tmp_path)
