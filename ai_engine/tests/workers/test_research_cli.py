"""`tradingbot optimize --workers celery` against a real research worker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ai_engine.cli.main import app

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")

runner = CliRunner()
ARGS = [
    "optimize", "--strategy", "ema_cross", "--symbol", "ETHUSDT",
    "--start", "2023-03-23", "--end", "2023-03-26",
    "--range", "fast=4:12:4", "--range", "slow=20:40:10", "--min-trades", "1",
]  # fmt: skip


def _invoke(store: Path, redis_url: str, *extra: str) -> Any:
    return runner.invoke(
        app, ["--data-dir", str(store), *ARGS, *extra], env={"TRADINGBOT_REDIS_URL": redis_url}
    )


def test_the_same_search_over_celery_and_here(
    worker: Any, research_store: Path, redis_url: str, tmp_path: Path
) -> None:
    fanned = _invoke(research_store, redis_url, "--workers", "celery", "--chunk-size", "2",
                     "--json", str(tmp_path / "celery.json"))  # fmt: skip
    assert fanned.exit_code == 0, fanned.stderr
    assert "9/9 parameter sets" in fanned.stderr
    local = _invoke(research_store, redis_url, "--json", str(tmp_path / "local.json"))
    assert local.exit_code == 0, local.stderr
    a, b = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("celery", "local"))
    assert a["best"] == b["best"]
    assert [t["score"] for t in a["trials"]] == [t["score"] for t in b["trials"]]


def test_no_worker_answering_exits_1(research_store: Path, redis_url: str) -> None:
    result = _invoke(research_store, redis_url, "--workers", "celery")
    assert result.exit_code == 1
    assert "no research worker answered" in result.stderr
