"""Walk-forward windows, optimisation per window and the stitched out-of-sample curve."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.engine import run_signals
from ai_engine.backtest.evaluation import Objective, PreparedData
from ai_engine.backtest.metrics import compute_metrics
from ai_engine.backtest.optimize import LocalEvaluator, OptimizeSettings, optimize
from ai_engine.backtest.search_space import search_space
from ai_engine.backtest.walkforward import (
    WalkForwardError,
    WalkForwardResult,
    WalkForwardSettings,
    Window,
    make_windows,
    slice_signals,
    walk_forward,
)
from ai_engine.strategies import MarketInput, get

from .research_data import DAY_MS, HOUR_MS, btc

CONFIG = BacktestConfig()
OBJECTIVE = Objective("sharpe", min_trades=1)
SETTINGS = WalkForwardSettings(train_ms=DAY_MS, test_ms=6 * HOUR_MS, step_ms=6 * HOUR_MS)
SPACE = search_space("ema_cross", {"fast": "4:12:4", "slow": "20:40:10"})


def test_default_windows_are_seed_003s() -> None:
    s = WalkForwardSettings()
    assert (s.train_ms, s.test_ms, s.step_ms) == (30 * DAY_MS, 7 * DAY_MS, DAY_MS)


def test_windows_by_hand() -> None:
    # 10 days, train 3, test 2, step 1: starts 0..5 (start + 5 <= 10), six windows; each
    # trades the first day of its test span, the last one its whole test span.
    windows = make_windows(0, 10 * DAY_MS, WalkForwardSettings(3 * DAY_MS, 2 * DAY_MS, DAY_MS))
    assert [w.train_start for w in windows] == [k * DAY_MS for k in range(6)]
    assert windows[0] == Window(0, 0, 3 * DAY_MS, 5 * DAY_MS, 4 * DAY_MS)
    assert windows[-1] == Window(5, 5 * DAY_MS, 8 * DAY_MS, 10 * DAY_MS, 10 * DAY_MS)
    # Segments tile the out-of-sample span without gaps or overlaps.
    for a, b in itertools.pairwise(windows):
        assert a.segment_end == b.test_start
    # Step longer than the test: whole test spans, with gaps between them.
    sparse = make_windows(0, 10 * DAY_MS, WalkForwardSettings(3 * DAY_MS, 2 * DAY_MS, 3 * DAY_MS))
    assert [(w.test_start, w.segment_end) for w in sparse] == [
        (3 * DAY_MS, 5 * DAY_MS),
        (6 * DAY_MS, 8 * DAY_MS),
    ]


def test_data_too_short_and_bad_lengths_are_refused() -> None:
    with pytest.raises(WalkForwardError, match=r"spans 3.00 days; one window needs .* 37.00 days"):
        make_windows(0, 3 * DAY_MS, WalkForwardSettings())
    with pytest.raises(WalkForwardError, match="step_ms must be positive"):
        WalkForwardSettings(step_ms=0)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> PreparedData:
    return btc(tmp_path_factory.mktemp("store"))


@pytest.fixture(scope="module")
def result(data: PreparedData) -> WalkForwardResult:
    return walk_forward(
        data,
        "ema_cross",
        SPACE,
        OBJECTIVE,
        CONFIG,
        lambda w: LocalEvaluator(
            data.window(w.train_start, w.test_start), "ema_cross", CONFIG, OBJECTIVE
        ),
        SETTINGS,
        OptimizeSettings("grid"),
    )


def test_windows_on_real_bars(data: PreparedData, result: WalkForwardResult) -> None:
    # 72 hours of data, 30 hours a window, a 6-hour step: starts at 0, 6, ..., 42 hours.
    assert len(result.windows) == 8
    first, last = result.windows[0].window, result.windows[-1].window
    assert first.test_start == data.first_open_ms + DAY_MS
    assert last.test_end == data.end_ms
    # The stitched curve has one value per bar of the out-of-sample span (the halt included).
    rows = data.rows(first.test_start, last.test_end)
    np.testing.assert_array_equal(result.stitched.open_time, data.bars.open_time[rows])
    trades = result.stitched.trades
    segments = [(w.window.test_start, w.window.segment_end) for w in result.windows]
    for entry, exit_ in zip(trades.entry_time, trades.exit_time, strict=True):
        assert any(lo <= entry and exit_ <= hi for lo, hi in segments)
    assert result.metrics.trades == len(trades)
    assert result.metrics.final_equity == result.stitched.equity[-1]


def test_each_window_trains_on_its_own_bars(data: PreparedData, result: WalkForwardResult) -> None:
    for w in (result.windows[0], result.windows[5]):
        train = data.window(w.window.train_start, w.window.test_start)
        alone = optimize(
            SPACE,
            LocalEvaluator(train, "ema_cross", CONFIG, OBJECTIVE),
            OptimizeSettings("grid"),
            OBJECTIVE,
        )
        assert alone.best is not None
        assert w.params == alone.best.params
        assert w.train_score == alone.best.score


def test_test_spans_and_stitching_replay_independently(
    data: PreparedData, result: WalkForwardResult
) -> None:
    # Recompute the first two windows from public pieces: signals over train + test bars,
    # cut to the test bars, simulated; the second segment starts with the first one's equity.
    strategy = get("ema_cross")
    equity = CONFIG.cash
    for k in (0, 1):
        w = result.windows[k]
        assert w.params is not None
        span = data.rows(w.window.train_start, w.window.test_end)
        bars = data.bars.take(span)
        signals = strategy.run(MarketInput.from_bars(bars, 60_000), w.params)
        test_rows = slice(
            int(np.searchsorted(bars.open_time, w.window.test_start)), len(bars.open_time)
        )
        test = run_signals(slice_signals(signals, test_rows), bars.take(test_rows), CONFIG)
        assert compute_metrics(test).to_dict() == w.test_metrics
        seg_rows = slice(
            test_rows.start, int(np.searchsorted(bars.open_time, w.window.segment_end))
        )
        segment = run_signals(
            slice_signals(signals, seg_rows), bars.take(seg_rows), replace(CONFIG, cash=equity)
        )
        stitched = result.stitched.open_time
        lo = int(np.searchsorted(stitched, w.window.test_start))
        hi = int(np.searchsorted(stitched, w.window.segment_end))
        np.testing.assert_array_equal(result.stitched.equity[lo:hi], segment.equity)
        equity = segment.final_equity


def test_efficiency_and_report(result: WalkForwardResult) -> None:
    document = result.to_dict()
    assert len(document["windows"]) == 8
    assert document["out_of_sample_trades"] == len(result.stitched.trades)
    assert document["settings"] == SETTINGS.to_dict()
    finite = [w for w in result.windows if np.isfinite(w.train_score) and np.isfinite(w.test_score)]
    train = np.mean([w.train_score for w in finite])
    test = np.mean([w.test_score for w in finite])
    if train > 0:
        assert result.efficiency == pytest.approx(test / train)
    else:
        assert np.isnan(result.efficiency)
