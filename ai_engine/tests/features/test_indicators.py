"""The TA-Lib wrappers return exactly TA-Lib's values (warm-up NaNs included) on real bars."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import talib

from ai_engine.features import indicators as ind
from ai_engine.marketdata.frames import Bars


def same(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> bool:
    return a.dtype == np.float64 and np.array_equal(a, b, equal_nan=True)


CASES: list[tuple[str, Callable[[Bars], Any], Callable[[Bars], Any]]] = [
    ("ema 3", lambda b: ind.ema(b.close, 3), lambda b: talib.EMA(b.close, 3)),
    ("ema 30", lambda b: ind.ema(b.close, 30), lambda b: talib.EMA(b.close, 30)),
    ("sma 7", lambda b: ind.sma(b.close, 7), lambda b: talib.SMA(b.close, 7)),
    ("sma 50", lambda b: ind.sma(b.close, 50), lambda b: talib.SMA(b.close, 50)),
    ("rsi 14", lambda b: ind.rsi(b.close), lambda b: talib.RSI(b.close, 14)),
    ("rsi 2", lambda b: ind.rsi(b.close, 2), lambda b: talib.RSI(b.close, 2)),
    ("macd", lambda b: ind.macd(b.close), lambda b: talib.MACD(b.close, 12, 26, 9)),
    ("macd 3/7/2", lambda b: ind.macd(b.close, 3, 7, 2), lambda b: talib.MACD(b.close, 3, 7, 2)),
    ("bollinger", lambda b: ind.bollinger(b.close), lambda b: talib.BBANDS(b.close, 20, 2, 2)),
    (
        "bollinger 10/1.5",
        lambda b: ind.bollinger(b.close, 10, 1.5),
        lambda b: talib.BBANDS(b.close, 10, 1.5, 1.5),
    ),
    ("atr", lambda b: ind.atr(b.high, b.low, b.close), lambda b: talib.ATR(b.high, b.low, b.close)),
    ("adx", lambda b: ind.adx(b.high, b.low, b.close), lambda b: talib.ADX(b.high, b.low, b.close)),
    (
        "stochastic",
        lambda b: ind.stochastic(b.high, b.low, b.close),
        lambda b: talib.STOCH(b.high, b.low, b.close, 14, 3, 0, 3, 0),
    ),
    ("obv", lambda b: ind.obv(b.close, b.volume), lambda b: talib.OBV(b.close, b.volume)),
    (
        "mfi",
        lambda b: ind.mfi(b.high, b.low, b.close, b.volume),
        lambda b: talib.MFI(b.high, b.low, b.close, b.volume, 14),
    ),
    ("roc", lambda b: ind.roc(b.close), lambda b: talib.ROC(b.close, 10)),
]


@pytest.mark.parametrize(("name", "ours", "theirs"), CASES, ids=[c[0] for c in CASES])
def test_equals_talib_on_real_bars(
    btc: Bars, avax: Bars, name: str, ours: Callable[[Bars], Any], theirs: Callable[[Bars], Any]
) -> None:
    for bars in (btc, avax):
        got, want = ours(bars), theirs(bars)
        if isinstance(want, tuple | list):
            assert len(got) == len(want)
            assert all(same(g, w) for g, w in zip(got, want, strict=True)), name
        else:
            assert same(got, want), name
        first = got[0] if isinstance(got, tuple) else got
        assert np.isnan(first[0]) != (name == "obv"), (
            "TA-Lib's warm-up NaNs are kept (OBV has none)"
        )
        assert not np.isnan(first[-1])


def test_warmup_lengths_are_talib_lookbacks(btc: Bars) -> None:
    c = btc.close[:200]
    # lookback = leading NaNs: period-1 for SMA/EMA, period for RSI/ROC, slow+signal-2 for MACD
    assert np.isnan(ind.sma(c, 20)).sum() == 19
    assert np.isnan(ind.ema(c, 30)).sum() == 29
    assert np.isnan(ind.rsi(c, 14)).sum() == 14
    assert np.isnan(ind.roc(c, 10)).sum() == 10
    assert np.isnan(ind.macd(c)[0]).sum() == 26 + 9 - 2
    assert np.isnan(ind.adx(btc.high[:200], btc.low[:200], c, 14)).sum() == 27


def test_hand_worked_sma_and_roc_on_real_closes(btc: Bars) -> None:
    # BTCUSDT 2023-03-23 00:00..00:03 closes: 27250.01, 27247.61, 27247.97, 27257.67
    # SMA(3) at 00:02 = (27250.01 + 27247.61 + 27247.97) / 3 = 81745.59 / 3 = 27248.53
    # ROC(2) at 00:03 = 100 * (27257.67 / 27247.61 - 1) = 100 * 10.06 / 27247.61 = 0.036921...
    assert ind.sma(btc.close[:4], 3)[2] == pytest.approx(27248.53, abs=1e-9)
    assert ind.roc(btc.close[:4], 2)[3] == pytest.approx(100 * 10.06 / 27247.61, rel=1e-9)


def test_accepts_lists_and_float32_and_refuses_bad_input() -> None:
    assert ind.sma([1.0, 2.0, 3.0], 2)[2] == 2.5
    assert ind.ema(np.arange(5, dtype=np.float32), 2).dtype == np.float64
    with pytest.raises(ValueError, match="period must be an integer >= 2"):
        ind.rsi([1.0, 2.0], 1)
    with pytest.raises(ValueError, match="differ in length"):
        ind.atr([1.0, 2.0], [1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="1-D"):
        ind.sma(np.ones((2, 2)), 2)
