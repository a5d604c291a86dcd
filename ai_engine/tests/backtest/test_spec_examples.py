"""Every example spec shipped in ``backtests/`` runs on the vendored data, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ai_engine.backtest.spec import read_spec
from ai_engine.cli.main import app

EXAMPLES = sorted((Path(__file__).resolve().parents[3] / "backtests").glob("*.yaml"))


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("spec", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_spec_runs(spec: Path, tmp_path: Path) -> None:
    request = read_spec(spec)
    assert request.data, "examples run on the vendored files, not on a store"
    assert all("sample_data" in str(p) and p.exists() for p in request.data)
    out, page = tmp_path / "out.json", tmp_path / "out.html"
    result = CliRunner().invoke(
        app, ["backtest", "--spec", str(spec), "--json", str(out), "--report", str(page)]
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(out.read_text())
    assert doc["run"]["name"] == spec.stem
    assert doc["run"]["strategy"] == request.strategy
    assert doc["run"]["engine"] == request.engine
    assert len(doc["trades"]) > 0
    assert doc["bars"] > 1000
    assert "id='equity-chart'" in page.read_text()
    if doc["config"]["market"] == "usdm":
        assert doc["run"]["funding_events"] > 0
        assert doc["metrics"]["funding_paid"] != 0
