"""The nine components of seed 001's composite score, as votes in ``[-1, +1]`` (+1 bullish).

Weights are seed 001's ("Phase 2: Signal Scoring System"): RSI 0.15, MACD 0.15, Bollinger 0.10,
EMA crossovers 0.10, VWAP 0.10, order flow 0.15, price action 0.10, liquidity 0.05, tick
momentum 0.10 (they add up to 1). Each vote reads the plan's rule for its indicator; the scale
at which a vote saturates is ours, set near the 90th percentile of the indicator on real 1m
BTCUSDT/ETHUSDT bars (``ai_engine/sample_data``):

* ``rsi`` (RSI 14, seed 001 1.1, mean reversion: "RSI < 30 ... = STRONG BUY"):
  ``(50 - rsi) / 20`` (RSI 30 = +1, RSI 70 = -1).
* ``macd`` (3/7/2, seed 001 1.2, "histogram expansion = strong trend"): histogram / (0.1 ATR).
* ``bollinger`` (20, 2.0, seed 001 1.3, mean reversion): ``1 - 2 %B`` (lower band = +1).
* ``ema_cross`` (3/7, 5/15, 10/30, seed 001 1.4, "all 3 pairs agree = high confidence"): the
  mean of the three spreads' signs (all up = +1).
* ``vwap`` (rolling 15 bars, seed 001 1.5, "price > VWAP + high volume = bullish"): deviation
  / 0.15 %, halved when the bar's volume is below its 20-bar average.
* ``order_flow`` (seed 001 1.6, cumulative delta from taker-buy volume): net taker volume of
  the last 20 bars over their volume, / 0.12; 0 (abstain) where the data has no taker split.

A vote that is undefined after the warm-up (an empty volume window, a window without a price
change) counts as 0: the component abstains rather than blanking the score. (``Strategy.run``
applies the same rule to every strategy; it is applied here already because the entry and
exit rules read the score inside ``compute``.)
* ``price_action`` (seed 001 1.7): ``0.5 structure + 0.5 break-of-structure + 0.5 (double
  bottom - double top)`` (HH/HL uptrend = +0.5).
* ``liquidity`` (seed 001 1.8, "fade the move"): +1 on a bullish sweep, -1 on a bearish one.
* ``tick_momentum`` (seed 001 1.9, bar proxy): share of rising closes over 20 bars, ``(x - 0.5)
  / 0.15``.
"""

from __future__ import annotations

import numpy as np

from ai_engine.features.composite import FeatureSet
from ai_engine.strategies import rules
from ai_engine.strategies.inputs import MarketInput
from ai_engine.strategies.signals import F64, Component

# Bars before every component is defined (EMA 30 is the longest lookback: 29 bars).
WARMUP = 40

WEIGHTS: dict[str, float] = {
    "rsi": 0.15,
    "macd": 0.15,
    "bollinger": 0.10,
    "ema_cross": 0.10,
    "vwap": 0.10,
    "order_flow": 0.15,
    "price_action": 0.10,
    "liquidity": 0.05,
    "tick_momentum": 0.10,
}


def components(data: MarketInput, f: FeatureSet) -> tuple[Component, ...]:
    """The nine components (see module docstring), in the plan's order."""
    clip, scaled = rules.clip_vote, rules.scaled_vote
    flow = _flow(data, f)
    ema_signs = (
        np.sign(f["ema_cross_fast"]) + np.sign(f["ema_cross_mid"]) + np.sign(f["ema_cross_slow"])
    ) / 3.0
    volume_weight = np.where(f["volume_ratio"] >= 1.0, 1.0, 0.5)
    structure = 0.5 * f["structure"] + 0.5 * f["bos"] + 0.5 * (f["double_bottom"] - f["double_top"])
    half_band = (f["bb_upper"] - f["bb_lower"]) / 2.0
    parts: dict[str, tuple[F64, F64, str]] = {
        "rsi": (f["rsi"], clip((50.0 - f["rsi"]) / 20.0), "RSI(14)"),
        "macd": (
            f["macd_fast_hist"],
            scaled(f["macd_fast_hist"], 0.1 * f["atr"]),
            "MACD(3,7,2) histogram",
        ),
        "bollinger": (
            f["bb_pct_b"],
            scaled(f["bb_middle"] - data.close, half_band),
            "%B of Bollinger(20, 2)",
        ),
        "ema_cross": (ema_signs, ema_signs, "mean sign of EMA 3/7, 5/15, 10/30 spreads"),
        "vwap": (
            f["vwap_medium_dev"],
            clip(f["vwap_medium_dev"] / 0.15) * volume_weight,
            "close vs 15-bar VWAP, %",
        ),
        "order_flow": (flow, clip(flow / 0.12), "net taker volume / volume, last 20 bars"),
        "price_action": (f["structure"], clip(structure), "swing structure (+1 HH/HL, -1 LH/LL)"),
        "liquidity": (f["sweep"], f["sweep"], "liquidity sweep (+1 bullish, -1 bearish)"),
        "tick_momentum": (
            f["tick_updown"],
            clip((f["tick_updown"] - 0.5) / 0.15),
            "share of rising closes, last 20 bars",
        ),
    }
    return tuple(
        Component(name, WEIGHTS[name], value, rules.abstain_after(vote, WARMUP), doc)
        for name, (value, vote, doc) in parts.items()
    )


def model_component(
    data: MarketInput, weight: float, center: float, scale: float
) -> Component | None:
    """The served model's P(up) (``data.model_prob``) as a vote, ``(p - center) / scale``
    clipped; ``None`` when no model is served. NaN probabilities abstain (0) after warm-up."""
    if data.model_prob is None:
        return None
    prob = data.model_prob
    vote = rules.abstain_after(rules.clip_vote((prob - center) / scale), WARMUP)
    return Component("model", weight, prob, vote, "calibrated P(up) of the served model")


def _flow(data: MarketInput, f: FeatureSet) -> F64:
    if not data.has_taker_volume:
        return np.full(len(data), np.nan)
    return rules.ratio(f["cvd"], rules.rolling_sum(data.volume, 20))
