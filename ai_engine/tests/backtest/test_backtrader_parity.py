"""Our kernel (``engine.run_signals``) against Backtrader (``run_backtrader``) on the same signals.

Real data: the vendored 1m bars (BTCUSDT and ETHUSDT spot, AVAXUSDT perpetual prices), four
built-in strategies, several broker settings. Trades must be identical: entry and exit times,
sides, reasons and fill prices exactly; quantities and fees to 1e-12 (the two engines add up
cash in a different order); final equity and the whole curve to 1e-9. Constructed bars then
exercise the fill paths the real minutes never hit (gaps through a stop or a target).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from ai_engine.backtest.backtrader_engine import run_backtrader
from ai_engine.backtest.config import (
    BacktestConfig,
    BacktestConfigError,
    ExitOverrides,
    Sizing,
    SlippageModel,
)
from ai_engine.backtest.engine import run_signals
from ai_engine.backtest.result import BacktestResult
from ai_engine.marketdata.frames import Bars
from ai_engine.marketdata.importer import expand_paths
from ai_engine.marketdata.merge import Rows, merge
from ai_engine.marketdata.parsing import parse_file
from ai_engine.marketdata.schema import BARS, bars_of
from ai_engine.strategies import ExitRules, MarketInput, Signals, get

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "binance"
DATASETS = {
    "BTCUSDT": ("spot/klines_1m", "BTCUSDT-1m-*"),
    "ETHUSDT": ("spot/klines_1m", "ETHUSDT-1m-*"),
    "AVAXUSDT": ("futures_um/klines_1m", "AVAXUSDT-1m-*"),
}
STRATEGIES = ("ema_cross", "ma_crossover", "rsi_mean_reversion", "bollinger_bounce")
_cache: dict[str, Bars] = {}


def bars_of_sample(symbol: str) -> Bars:
    if symbol not in _cache:
        folder, pattern = DATASETS[symbol]
        files = [parse_file(p) for p in expand_paths(sorted((SAMPLE / folder).glob(pattern)))]
        rows, _ = merge([Rows.of(f.table, f.source, f.lines) for f in files], BARS)
        _cache[symbol] = bars_of(rows.table)
    return _cache[symbol]


def both(signals: Signals, bars: Bars, config: BacktestConfig) -> tuple[BacktestResult, ...]:
    ours = run_signals(signals, bars, config, symbol="X", interval_ms=60_000)
    theirs = run_backtrader(signals, bars, config, symbol="X", interval_ms=60_000)
    return ours, theirs


def assert_same(ours: BacktestResult, theirs: BacktestResult) -> None:
    a, b = ours.trades, theirs.trades
    assert len(a) == len(b), f"{len(a)} trades in our kernel, {len(b)} in Backtrader"
    for name in ("entry_time", "exit_time", "side", "entry_reason", "exit_reason"):
        got, want = getattr(b, name), getattr(a, name)
        if not np.array_equal(got, want):
            k = int(np.flatnonzero(got != want)[0])
            pytest.fail(f"trade {k} differs in {name}: ours {a.row(k)}, backtrader {b.row(k)}")
    np.testing.assert_array_equal(b.entry_price, a.entry_price)
    np.testing.assert_array_equal(b.exit_price, a.exit_price)
    for name in ("quantity", "entry_fee", "exit_fee"):
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=1e-12, atol=0)
    notional = a.entry_price * a.quantity
    assert np.all(np.abs(b.pnl - a.pnl) <= 1e-12 * notional)  # pnl: a difference of big numbers
    assert theirs.final_equity == pytest.approx(ours.final_equity, rel=1e-9, abs=0)
    np.testing.assert_allclose(theirs.equity, ours.equity, rtol=1e-9, atol=0)
    assert theirs.skipped == ours.skipped
    assert theirs.timings["cash_topup"] < 1e-9 * ours.config.cash


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("symbol", list(DATASETS))
def test_identical_trades_on_real_data(symbol: str, strategy: str) -> None:
    bars = bars_of_sample(symbol)
    signals = get(strategy).run(MarketInput.from_bars(bars, 60_000))
    ours, theirs = both(signals, bars, BacktestConfig())
    assert len(ours.trades) >= 10  # enough trades for the comparison to mean something
    assert_same(ours, theirs)


CONFIGS = {
    "slippage_and_maker_fee": BacktestConfig(
        fee_maker=0.0002, fee_taker=0.0005, slippage=SlippageModel(kind="fixed_bps", bps=2.0)
    ),
    "percent_exits": BacktestConfig(exits=ExitOverrides(stop_pct=0.3, take_profit_pct=0.5)),
    "risk_sizing": BacktestConfig(sizing=Sizing(kind="risk_pct", value=0.01)),
    "equity_pct_no_close_at_end": BacktestConfig(
        sizing=Sizing(kind="equity_pct", value=0.5), close_at_end=False
    ),
}


@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("strategy", ["ma_crossover", "rsi_mean_reversion", "bollinger_bounce"])
def test_identical_trades_under_broker_settings(strategy: str, config: str) -> None:
    bars = bars_of_sample("BTCUSDT")
    signals = get(strategy).run(MarketInput.from_bars(bars, 60_000))
    ours, theirs = both(signals, bars, CONFIGS[config])
    assert len(ours.trades) >= 10
    assert_same(ours, theirs)


def test_ema_cross_reference_semantics_in_backtrader() -> None:
    """Issue 6's definition, read off Backtrader's trades: all equity at the next open,
    quantity = cash / (price x (1 + fee)), taker fee on both fills, last one at the close."""
    bars = bars_of_sample("ETHUSDT")
    signals = get("ema_cross").run(MarketInput.from_bars(bars, 60_000))
    result = run_backtrader(signals, bars, BacktestConfig(), interval_ms=60_000)
    t = result.trades
    opens = dict(zip(bars.open_time.tolist(), bars.open.tolist(), strict=True))
    entries = np.flatnonzero(signals.entries_long)
    assert t.entry_time.tolist() == bars.open_time[entries[: len(t)] + 1].tolist()
    assert [opens[ms] for ms in t.entry_time.tolist()] == t.entry_price.tolist()
    cash = 10_000.0
    for i in range(len(t)):
        quantity = cash / (t.entry_price[i] * 1.001)
        assert t.quantity[i] == pytest.approx(quantity, rel=1e-12)
        assert t.entry_fee[i] == pytest.approx(quantity * t.entry_price[i] * 0.001, rel=1e-12)
        assert t.exit_fee[i] == pytest.approx(quantity * t.exit_price[i] * 0.001, rel=1e-12)
        cash += t.pnl[i]
    if t.exit_reason[-1] == 19:  # end of data: the last bar's close
        assert t.exit_price[-1] == bars.close[-1]
    assert result.final_equity == pytest.approx(cash, rel=1e-12)


# --- constructed bars: gaps through a stop or a target ----------------------------------------


def constructed(rows: list[tuple[float, float, float, float]]) -> Bars:
    n = len(rows)
    o, h, low, c = (np.array(col, np.float64) for col in zip(*rows, strict=True))
    return Bars(
        open_time=np.arange(n, dtype=np.int64) * 60_000,
        open=o, high=h, low=low, close=c,
        volume=np.ones(n), quote_volume=np.ones(n), taker_buy_volume=np.zeros(n),
        taker_buy_quote_volume=np.zeros(n), trades=np.ones(n, np.int64),
    )  # fmt: skip


def long_signals(n: int, entries: dict[int, tuple[float, float]], exits: tuple[int, ...] = ()
                 ) -> Signals:  # fmt: skip
    el, xl = np.zeros(n, bool), np.zeros(n, bool)
    stop, tp = np.full(n, np.nan), np.full(n, np.nan)
    for i, (s, t) in entries.items():
        el[i], stop[i], tp[i] = True, s, t
    xl[list(exits)] = True
    return Signals(
        entries_long=el, exits_long=xl, entries_short=np.zeros(n, bool),
        exits_short=np.zeros(n, bool), stop=stop, take_profit=tp, trail=np.full(n, np.nan),
        score=np.full(n, 50.0), reasons=np.zeros(n, np.uint64), components=(),
        exit_rules=ExitRules(),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("case", "rows", "entries", "fill", "reason"),
    [
        # entry at bar 1's open (100); bar 2 opens below the stop 95: filled at that open
        (
            "stop gap",
            [(100, 101, 99, 100), (100, 102, 98, 101), (90, 92, 89, 91), (91, 92, 90, 91)],
            {0: (95.0, 110.0)},
            90.0,
            12,
        ),
        # bar 2 opens above the target 105 and trades down through the stop: target first,
        # at its limit price
        (
            "target gap",
            [(100, 101, 99, 100), (100, 102, 98, 101), (108, 109, 94, 95), (95, 96, 94, 95)],
            {0: (96.0, 105.0)},
            105.0,
            13,
        ),
        # the entry bar itself opens above the target (the signal's close was far below)
        (
            "target gap at entry",
            [(100, 101, 99, 100), (107, 108, 90, 95), (95, 96, 94, 95)],
            {0: (91.0, 104.0)},
            104.0,
            13,
        ),
        # stop and target both inside bar 2: the worse one, the stop, at its level
        (
            "both touched",
            [(100, 101, 99, 100), (100, 102, 98, 101), (101, 107, 94, 100), (100, 101, 99, 100)],
            {0: (95.0, 105.0)},
            95.0,
            12,
        ),
        # a target touched but not traded through does not fill; the position ends at the close
        (
            "touch only",
            [(100, 101, 99, 100), (100, 105, 98, 101), (101, 105, 99, 102)],
            {0: (90.0, 105.0)},
            102.0,
            19,
        ),
    ],
)
def test_fill_paths_on_constructed_bars(
    case: str,
    rows: list[tuple[float, float, float, float]],
    entries: dict[int, tuple[float, float]],
    fill: float,
    reason: int,
) -> None:
    bars = constructed(rows)
    ours, theirs = both(long_signals(len(rows), entries), bars, BacktestConfig())
    assert_same(ours, theirs)
    assert len(ours.trades) == 1
    assert ours.trades.exit_price[0] == fill
    assert ours.trades.exit_reason[0] == reason


def test_exit_signal_wins_over_a_stop_gap_at_the_open() -> None:
    rows = [(100, 101, 99, 100), (100, 102, 98, 101), (101, 102, 99, 100), (80, 81, 79, 80),
            (80, 81, 79, 80)]  # fmt: skip
    signals = long_signals(5, {0: (95.0, math.nan)}, exits=(2,))
    ours, theirs = both(signals, constructed(rows), BacktestConfig())
    assert_same(ours, theirs)
    assert ours.trades.exit_reason.tolist() == [10]
    assert ours.trades.exit_price.tolist() == [80.0]


@pytest.mark.parametrize(
    ("entries", "exits", "expected"),
    [
        # an exit decided on the last-but-one bar fills at the last bar's open (found on
        # BTCUSDT 2022-11: Backtrader also sent the end-of-data close and went short)
        ({0: (math.nan, math.nan)}, (2,), [(10, 103.0)]),
        # an entry decided on the last-but-one bar fills at the last open, closes at its close
        ({2: (math.nan, math.nan)}, (), [(19, 104.0)]),
    ],
)
def test_signals_on_the_last_bars(
    entries: dict[int, tuple[float, float]], exits: tuple[int, ...], expected: list[object]
) -> None:
    rows = [(100, 101, 99, 100), (100, 102, 98, 101), (101, 102, 99, 102), (103, 105, 102, 104)]
    ours, theirs = both(long_signals(4, entries, exits), constructed(rows), BacktestConfig())
    assert_same(ours, theirs)
    t = ours.trades
    assert list(zip(t.exit_reason.tolist(), t.exit_price.tolist(), strict=True)) == expected


@pytest.mark.parametrize(
    ("config", "words"),
    [
        (BacktestConfig(latency_ms=100), "latency"),
        (BacktestConfig(market="usdm"), "market 'usdm'"),
        (BacktestConfig(slippage=SlippageModel(kind="volume", k=1.0)), "slippage kind 'volume'"),
        (BacktestConfig(intrabar="best"), "intrabar 'best'"),
        (BacktestConfig(exits=ExitOverrides(trail_pct=1.0)), "trailing stops"),
        (BacktestConfig(exits=ExitOverrides(max_hold_bars=5)), "time stops"),
    ],
)
def test_what_backtrader_cannot_reproduce_is_refused(config: BacktestConfig, words: str) -> None:
    rows = [(100, 101, 99, 100)] * 3
    with pytest.raises(BacktestConfigError, match="backtrader engine cannot reproduce") as info:
        run_backtrader(long_signals(3, {}), constructed(rows), config)
    assert words in str(info.value)
