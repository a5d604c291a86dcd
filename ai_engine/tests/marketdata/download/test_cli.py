"""`tradingbot data download` through the real root command against the real sim exchange:
what it prints, its exit status, and its errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ai_engine.cli.main import app
from ai_engine.marketdata import BarStore
from ai_engine.simexchange import ThreadedSimExchange

from .conftest import same_columns, spot_config, usdm_config

Serve = Callable[..., ThreadedSimExchange]
runner = CliRunner()


def tradingbot(store: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--data-dir", str(store), "data", *args])
    return result.exit_code, result.stdout, result.stderr


def test_klines_then_list(spot_source: Path, serve: Serve, tmp_path: Path) -> None:
    sim = serve(spot_config(spot_source))
    store = tmp_path / "store"
    code, out, err = tradingbot(
        store, "download", "--symbol", "BTCUSDT", "--symbol", "ethusdt", "--start", "2023-03-23",
        "--end", "2023-03-26", "--base-url", sim.base_url,
    )  # fmt: skip
    assert code == 0, err
    assert "binance spot BTCUSDT 1m: 4,240 rows received, 4,240 new bars stored, 5 requests" in out
    assert "binance spot ETHUSDT 1m: 4,240 rows received" in out
    assert out.count("2023-03-24T12:40:00Z -> 2023-03-24T14:00:00Z (80 bars missing)") == 2
    assert err == ""  # no progress bar when stderr is not a terminal
    for symbol in ("BTCUSDT", "ETHUSDT"):
        expected = BarStore(spot_source).load_bars(symbol, "1m")
        assert same_columns(expected, BarStore(store).load_bars(symbol, "1m")) == []
    code, out, _ = tradingbot(store, "list")
    assert code == 0
    assert "4,240" in out


def test_funding_defaults_to_usdm(usdm_source: Path, serve: Serve, tmp_path: Path) -> None:
    sim = serve(usdm_config(usdm_source))
    code, out, err = tradingbot(
        tmp_path / "store", "download", "--kind", "funding", "--symbol", "BTCUSDT",
        "--start", "2025-05-26", "--base-url", sim.base_url,
    )  # fmt: skip
    assert code == 0, err
    assert "binance usdm BTCUSDT funding:" in out
    assert "new funding events stored" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--symbol", "NOPEUSDT"], "HTTP 400 (-1121 Invalid symbol.)"),
        (["--symbol", "BTCUSDT", "--interval", "7m"], "bad interval '7m'"),
        (["--symbol", "BTCUSDT", "--end", "2023-03-01"], "is not before end"),
        (["--symbol", "BTCUSDT", "--kind", "mark-price", "--market", "spot"],
         "USD-M futures only"),
        (["--symbol", "BTCUSDT", "--kind", "trades"], "archive only"),
    ],
)  # fmt: skip
def test_errors_exit_1_with_the_reason(
    spot_source: Path, serve: Serve, tmp_path: Path, args: list[str], message: str
) -> None:
    sim = serve(spot_config(spot_source))
    code, _, err = tradingbot(
        tmp_path / "store", "download", "--start", "2023-03-23", "--base-url", sim.base_url, *args
    )
    assert code == 1
    assert message in err
    assert "running it again resumes" in err


def test_bad_start_time(tmp_path: Path) -> None:
    code, _, err = tradingbot(tmp_path, "download", "--symbol", "BTCUSDT", "--start", "soon")
    assert code == 1
    assert "bad --start 'soon'" in err
