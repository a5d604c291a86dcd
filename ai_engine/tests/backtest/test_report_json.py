"""The JSON result: its shape, plain JSON values, and numbers that agree with the result."""

from __future__ import annotations

import json
import math
from datetime import datetime

import numpy as np
import pytest

from ai_engine.backtest import engine
from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.metrics import compute_metrics
from ai_engine.backtest.report_json import SCHEMA, _isos, result_to_json
from ai_engine.marketdata.intervals import iso

from .test_backtrader_parity import bars_of_sample


def test_json_of_a_real_backtest() -> None:
    bars = bars_of_sample("ETHUSDT")
    result = engine.run(
        "rsi_mean_reversion", bars, config=BacktestConfig(cash=5_000.0), symbol="ETHUSDT"
    )
    metrics = compute_metrics(result)
    doc = result_to_json(result, metrics, run={"strategy": "rsi_mean_reversion", "x": math.nan})
    text = json.dumps(doc, allow_nan=False)  # no NaN or infinity anywhere
    doc = json.loads(text)
    assert doc["schema"] == SCHEMA
    assert doc["run"] == {"strategy": "rsi_mean_reversion", "x": None}
    assert doc["symbols"] == ["ETHUSDT"]
    assert (doc["interval"], doc["interval_ms"], doc["bars"]) == ("1m", 60_000, len(bars))
    assert doc["start"] == "2023-03-23T00:00:00Z"
    assert doc["end"] == "2023-03-26T00:00:00Z"
    assert doc["config"]["cash"] == 5_000.0
    assert doc["config"]["slippage"]["kind"] == "none"
    assert doc["initial_cash"] == 5_000.0
    assert doc["final_equity"] == result.final_equity
    assert doc["metrics"]["trades"] == len(result.trades) == len(doc["trades"]) > 10
    assert set(doc["timings"]) >= {"indicators", "simulation"}
    # every trade: ISO times matching the ms stamps, reasons in words, pnl adding up
    for row, i in zip(doc["trades"], range(len(result.trades)), strict=True):
        for side in ("entry", "exit"):
            stamp = datetime.fromisoformat(row[f"{side}_time"].replace("Z", "+00:00"))
            assert int(stamp.timestamp() * 1000) == row[f"{side}_time_ms"]
        assert row["entry_reason"] == "signal"
        assert row["exit_reason"] in {"signal", "stop_loss", "take_profit", "end_of_data"}
        assert str(row["exit_reason_code"]) in doc["reason_codes"]
        assert row["side"] == "long"
        gross = row["quantity"] * (row["exit_price"] - row["entry_price"])
        assert row["pnl"] == pytest.approx(gross - row["entry_fee"] - row["exit_fee"], abs=1e-9)
        assert row["pnl"] == result.trades.pnl[i]
    # all positions are closed at the end, so the trades' pnl is the whole profit
    total = sum(row["pnl"] for row in doc["trades"])
    assert total == pytest.approx(doc["final_equity"] - doc["initial_cash"], rel=1e-9)
    assert doc["metrics"]["fees_paid"] == pytest.approx(
        float(np.sum(result.trades.entry_fee) + np.sum(result.trades.exit_fee))
    )


def test_trade_times_are_formatted_as_iso_does() -> None:
    times = np.array(
        [0, 1_672_534_500_000, 1_672_534_500_123, 1_672_534_500_999, -1_000, -1, 4_102_444_800_000],
        np.int64,
    )
    assert _isos(times) == [iso(int(ms)) for ms in times]
    assert _isos(times)[:3] == [
        "1970-01-01T00:00:00Z",
        "2023-01-01T00:55:00Z",
        "2023-01-01T00:55:00.123Z",
    ]
