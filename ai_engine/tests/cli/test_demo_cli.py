from pathlib import Path

import pytest
from typer.testing import CliRunner

from ai_engine.cli.main import app
from ai_engine.store.migrate import current_revision


@pytest.fixture
def demo_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, blank_database_url: str, redis_url: str
) -> Path:
    # Configured, reachable servers: the demo must reuse them and start nothing.
    monkeypatch.setenv("TRADINGBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TRADINGBOT_DATABASE_URL", blank_database_url)
    monkeypatch.setenv("TRADINGBOT_REDIS_URL", redis_url)
    return tmp_path / "var"


def test_demo_migrates_imports_and_summarises_real_data(
    demo_env: Path, blank_database_url: str
) -> None:
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert current_revision(blank_database_url) is not None
    # the real Binance spot halt of 2023-03-24 shows in both spot symbols' gap column
    halt = "2023-03-24T12:40:00Z -> 2023-03-24T14:00:00Z (80 bars missing)"
    assert out.count(halt) == 2
    btc = next(line for line in out.splitlines() if line.split()[:2] == ["BTCUSDT", "spot"])
    assert "20,080" in btc  # two weeks of minutes (klines_1m_2weeks) less the 80 halted ones
    assert not (demo_env / "services").exists()  # nothing was started


def test_demo_twice_adds_nothing(demo_env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["demo"]).exit_code == 0
    again = runner.invoke(app, ["demo"])
    assert again.exit_code == 0, again.output
    assert " 0 new rows" in again.output


def test_demo_with_an_empty_sample_folder_fails_clearly(demo_env: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(app, ["demo", "--sample-dir", str(empty)])
    assert result.exit_code == 1
    assert "no Binance data files" in result.output
