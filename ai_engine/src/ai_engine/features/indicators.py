"""Classic indicators: thin typed wrappers over TA-Lib (0.8.x, the C library bundled in the wheel).

Every function takes float64 arrays (anything array-like is converted once, with a clear
``ValueError`` for bad shapes or parameters) and returns float64 arrays of the same length.
Values are exactly TA-Lib's, including its warm-up: NaN for the first ``lookback`` bars, where
``lookback`` is TA-Lib's own (``talib.abstract.Function(name).lookback``), e.g. ``period - 1``
for SMA/EMA, ``period`` for RSI/ATR/ROC, ``2*period - 1`` for ADX, ``slow + signal - 2`` for
MACD. A value at bar ``i`` uses inputs ``0..i`` only. EMA, RSI, ATR, ADX and MACD are recursive:
their value depends (with geometrically fading weight) on the whole history since the first bar,
so the same bar computed on a shorter history differs slightly: see ``features.incremental``.

Formulas (TA-Lib's):
* ``sma``: mean of the last ``period`` closes.
* ``ema``: ``e[i] = e[i-1] + k*(x[i]-e[i-1])``, ``k = 2/(period+1)``, seeded with the SMA of
  the first ``period`` values.
* ``rsi``: Wilder: ``100 * avg_gain / (avg_gain + avg_loss)``, averages smoothed with
  ``1/period`` and seeded with the plain mean of the first ``period`` changes.
* ``macd``: ``ema(fast) - ema(slow)``, ``signal = ema(macd, signal)``, ``hist = macd - signal``.
* ``bollinger``: ``middle = sma(period)``, ``upper/lower = middle +/- nbdev * population std``.
* ``atr``: Wilder average of the true range ``max(h-l, |h-c[-1]|, |l-c[-1]|)``.
* ``adx``: Wilder average of ``DX = 100 * |+DI - -DI| / (+DI + -DI)``.
* ``stochastic``: ``%K_fast = 100 * (c - lowest low) / (highest high - lowest low)`` over ``k``
  bars, ``%K = sma(%K_fast, k_slow)``, ``%D = sma(%K, d)``.
* ``obv``: ``obv[0] = v[0]``; ``+v`` when the close rises, ``-v`` when it falls, else unchanged.
* ``mfi``: ``100 * positive money flow / total money flow`` over ``period`` bars, money flow =
  typical price ``(h+l+c)/3`` times volume, signed by the change of the typical price.
* ``roc``: ``100 * (c / c[-period] - 1)``.
"""

from __future__ import annotations

import talib
from numpy.typing import ArrayLike

from ai_engine.features._arrays import FloatArray, as_f64, check_period, same_length

__all__ = [
    "adx",
    "atr",
    "bollinger",
    "ema",
    "macd",
    "mfi",
    "obv",
    "roc",
    "rsi",
    "sma",
    "stochastic",
]


def _hlc(high: ArrayLike, low: ArrayLike, close: ArrayLike) -> tuple[FloatArray, ...]:
    h, lo, c = as_f64(high, "high"), as_f64(low, "low"), as_f64(close, "close")
    same_length(high=h, low=lo, close=c)
    return h, lo, c


def sma(close: ArrayLike, period: int) -> FloatArray:
    """Simple moving average of the last ``period`` values (TA-Lib ``SMA``)."""
    return talib.SMA(as_f64(close, "close"), timeperiod=check_period(period, minimum=2))


def ema(close: ArrayLike, period: int) -> FloatArray:
    """Exponential moving average, ``k = 2/(period+1)``, SMA-seeded (TA-Lib ``EMA``)."""
    return talib.EMA(as_f64(close, "close"), timeperiod=check_period(period, minimum=2))


def rsi(close: ArrayLike, period: int = 14) -> FloatArray:
    """Wilder's relative strength index, 0..100 (TA-Lib ``RSI``)."""
    return talib.RSI(as_f64(close, "close"), timeperiod=check_period(period, minimum=2))


def macd(
    close: ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(macd, signal, hist)``: EMA(fast) - EMA(slow), its EMA(signal), and their difference."""
    m, s, h = talib.MACD(
        as_f64(close, "close"),
        fastperiod=check_period(fast, "fast", 2),
        slowperiod=check_period(slow, "slow", 2),
        signalperiod=check_period(signal, "signal", 1),
    )
    return m, s, h


def bollinger(
    close: ArrayLike, period: int = 20, nbdev: float = 2.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(upper, middle, lower)``: SMA(period) +/- ``nbdev`` population standard deviations."""
    u, m, lo = talib.BBANDS(
        as_f64(close, "close"),
        timeperiod=check_period(period, minimum=2),
        nbdevup=float(nbdev),
        nbdevdn=float(nbdev),
    )
    return u, m, lo


def atr(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> FloatArray:
    """Wilder's average true range (TA-Lib ``ATR``)."""
    h, lo, c = _hlc(high, low, close)
    return talib.ATR(h, lo, c, timeperiod=check_period(period))


def adx(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> FloatArray:
    """Wilder's average directional index, 0..100 (TA-Lib ``ADX``)."""
    h, lo, c = _hlc(high, low, close)
    return talib.ADX(h, lo, c, timeperiod=check_period(period, minimum=2))


def stochastic(
    high: ArrayLike, low: ArrayLike, close: ArrayLike, k: int = 14, k_slow: int = 3, d: int = 3
) -> tuple[FloatArray, FloatArray]:
    """``(slow %K, %D)``: TA-Lib ``STOCH`` with SMA smoothing of ``k_slow`` and ``d`` bars."""
    h, lo, c = _hlc(high, low, close)
    # slowk_matype / slowd_matype left at TA-Lib's default, SMA.
    slowk, slowd = talib.STOCH(
        h,
        lo,
        c,
        fastk_period=check_period(k, "k"),
        slowk_period=check_period(k_slow, "k_slow"),
        slowd_period=check_period(d, "d"),
    )
    return slowk, slowd


def obv(close: ArrayLike, volume: ArrayLike) -> FloatArray:
    """On-balance volume, starting at ``volume[0]`` (TA-Lib ``OBV``)."""
    c, v = as_f64(close, "close"), as_f64(volume, "volume")
    same_length(close=c, volume=v)
    return talib.OBV(c, v)


def mfi(
    high: ArrayLike, low: ArrayLike, close: ArrayLike, volume: ArrayLike, period: int = 14
) -> FloatArray:
    """Money flow index, 0..100 (TA-Lib ``MFI``)."""
    h, lo, c = _hlc(high, low, close)
    v = as_f64(volume, "volume")
    same_length(close=c, volume=v)
    return talib.MFI(h, lo, c, v, timeperiod=check_period(period, minimum=2))


def roc(close: ArrayLike, period: int = 10) -> FloatArray:
    """Rate of change in percent: ``100 * (c / c[-period] - 1)`` (TA-Lib ``ROC``)."""
    return talib.ROC(as_f64(close, "close"), timeperiod=check_period(period))
