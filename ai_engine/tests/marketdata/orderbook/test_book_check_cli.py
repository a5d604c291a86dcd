"""`tradingbot data book-check` through the real root command."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ai_engine.cli.main import app

from .samples import SLICES, SPOT_SLICE, lines, write_capture
from .test_book_check import corrupt_a_top_level

runner = CliRunner()


def tradingbot(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["data", "book-check", *args])
    return result.exit_code, result.stdout, result.stderr


def test_book_check_reports_each_capture(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    code, stdout, stderr = tradingbot(*map(str, SLICES), "--json", str(out))
    assert code == 0, stderr
    for path in SLICES:
        assert f"{path}: BTCUSDT" in stdout
    assert stdout.count("compared matched (100.00%)") == 2
    assert "book: synced" in stdout
    report = json.loads(out.read_text())
    assert [item["capture"] for item in report] == [str(path) for path in SLICES]
    assert [item["market"] for item in report] == ["spot", "futures"]
    for item in report:
        ticker = item["book_ticker"]
        assert ticker["match_rate"] == 1.0
        assert ticker["compared"] == ticker["matched"] > 0
        assert item["book"]["applied"] > 0
        assert item["span_s"] > 60


def test_book_check_json_to_stdout() -> None:
    code, stdout, _ = tradingbot(str(SPOT_SLICE), "--json", "-")
    assert code == 0
    (item,) = json.loads(stdout)
    assert item["book_ticker"]["mismatched"] == 0


def test_book_check_exits_1_on_a_mismatch(tmp_path: Path) -> None:
    bad = write_capture(tmp_path / "bad.jsonl.gz", corrupt_a_top_level(lines(SPOT_SLICE), False))
    code, stdout, stderr = tradingbot(str(bad))
    assert code == 1
    assert "mismatch: bookTicker u=" in stdout
    assert "1 capture(s) with mismatches" in stderr


def test_book_check_refuses_a_missing_file(tmp_path: Path) -> None:
    code, _, stderr = tradingbot(str(tmp_path / "nope.jsonl.gz"))
    assert code == 2
    assert "does not exist" in stderr
