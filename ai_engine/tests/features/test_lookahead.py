"""The lookahead gate, applied to every feature, and proof that it catches leaking features.

Every check cuts the real data after ``t`` rows for several ``t`` (seeded random ones, the
first and last, plus the edges that matter: UTC midnight, the end of 5m buckets, the trading
halt) and requires the values for rows ``0..t-1`` to equal, exactly, those on the full data.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from ai_engine.features import (
    ALL,
    FeatureParams,
    book,
    compute_features,
    indicators,
    levels,
    liquidity,
    orderflow,
    price_action,
    regime,
    ticks,
    timeframes,
    trade_flow,
    volume_profile,
    vwap,
)
from ai_engine.features._arrays import FloatArray, shift
from ai_engine.features.lookahead import (
    Outputs,
    assert_no_lookahead,
    cut_points,
    find_lookahead,
)
from ai_engine.marketdata import resample
from ai_engine.marketdata.frames import Bars, Funding, Trades

MINUTE = 60_000


def bar_cuts(bars: Bars) -> list[int]:
    """Random cuts plus: the bar after UTC midnight, the ends of 5m buckets, the halt's edges."""
    t = bars.open_time
    n = len(t)
    special = [int(i) + 1 for i in np.flatnonzero(t % 86_400_000 == 0)]  # keep midnight bar
    special += [int(i) + 1 for i in np.flatnonzero((t + MINUTE) % 300_000 == 0)[:3]]
    special += [int(i) + 1 for i in np.flatnonzero(np.diff(t) > MINUTE)]  # last bar before a gap
    special += [int(i) + 2 for i in np.flatnonzero(np.diff(t) > MINUTE)]  # first bar after it
    return sorted({*cut_points(n, 40, start=2), *(s for s in special if 0 < s <= n)})


def bars_gate(bars: Bars, fn: Callable[[Bars], Outputs]) -> None:
    assert_no_lookahead(lambda stop: fn(bars.take(slice(0, stop))), len(bars), bar_cuts(bars))


@pytest.mark.parametrize("group", sorted(ALL - {"funding"}))
@pytest.mark.parametrize("data", ["btc", "avax"])
def test_every_composite_group_passes(
    request: pytest.FixtureRequest, data: str, group: str
) -> None:
    bars: Bars = request.getfixturevalue(data)
    bars_gate(bars, lambda b: compute_features(b, groups={group}))


def test_the_whole_set_with_funding_passes(btc_perp: Bars, funding_2025: Funding) -> None:
    events = (funding_2025.funding_time, funding_2025.funding_rate)
    out = compute_features(btc_perp, groups=ALL, funding_events=events)
    assert {"funding_rate", "funding_bias", "funding_extreme", "htf_rsi", "vpoc"} <= set(out)
    bars_gate(btc_perp, lambda b: compute_features(b, groups=ALL, funding_events=events))


def test_other_parameters_pass(avax: Bars) -> None:
    p = FeatureParams(swing_k=5, vwap_windows=(3, 30, 240), htf_interval="15m", profile_bins=10)
    bars_gate(avax, lambda b: compute_features(b, groups=ALL, params=p))


def _bar_functions(b: Bars) -> dict[str, FloatArray]:
    """Every public bar-level function with non-default parameters (those not in the set)."""
    h, lo, c, v = b.high, b.low, b.close, b.volume
    tp = vwap.typical_price(h, lo, c)
    s = price_action.price_structure(h, lo, c, k=1, tolerance_pct=0.5)
    vp = volume_profile.volume_profile(h, lo, c, v, window=30, bins=12, value_area=0.5)
    r, sup = levels.range_levels(h, lo, 7)
    up, down = vwap.sigma_bands(vwap.rolling_vwap(tp, v, 10), vwap.rolling_vwap_sigma(tp, v, 10), 2)
    stoch_k, stoch_d = indicators.stochastic(h, lo, c, 5, 2, 2)
    return {
        "obv": indicators.obv(c, v),
        "mfi_7": indicators.mfi(h, lo, c, v, 7),
        "stoch_k": stoch_k,
        "stoch_d": stoch_d,
        "sma_3": indicators.sma(c, 3),
        "band_up": up,
        "band_down": down,
        "pct_band": vwap.percent_bands(vwap.session_vwap(b.open_time, tp, v), 1.0)[0],
        "cvd_full": orderflow.cumulative_delta(orderflow.kline_delta(v, b.taker_buy_volume)),
        "double_top": s.double_top,
        "structure": s.structure,
        "bos": s.bos,
        "vpoc": vp.vpoc,
        "vah": vp.vah,
        "val": vp.val,
        "breakout": levels.breakout(c, r, sup),
        "sweep": liquidity.liquidity_sweep(h, lo, c, v, 3, 1.0),
        "pct": regime.past_percentile(indicators.atr(h, lo, c, 5), 50),
        "persistence": ticks.persistence(ticks.direction(c)),
    }


def test_standalone_bar_functions_pass(btc: Bars) -> None:
    bars_gate(btc, _bar_functions)


def test_higher_timeframe_bars_from_marketdata_resample_pass(btc: Bars) -> None:
    # The way a strategy does it: resample the bars it has, compute on them, align back.
    def mtf(b: Bars) -> dict[str, FloatArray]:
        h1 = resample(b, "1h")
        rsi = indicators.rsi(h1.close, 5)
        return {
            "h1_close": timeframes.align_higher(b.open_time, h1.open_time, h1.close, "1h"),
            "h1_rsi": timeframes.align_higher(b.open_time, h1.open_time, rsi, "1h"),
        }

    bars_gate(btc, mtf)


def test_trade_features_pass(usdm_trades: Trades) -> None:
    tr = usdm_trades
    n = len(tr)

    def on_trades(stop: int) -> dict[str, FloatArray]:
        q, m, p, t = tr.qty[:stop], tr.is_buyer_maker[:stop], tr.price[:stop], tr.time[:stop]
        d = ticks.direction(p)
        return {
            "signed": trade_flow.signed_qty(q, m),
            "cvd": trade_flow.trade_cumulative_delta(q, m),
            "large": trade_flow.large_trades(q, 50, 2.0).astype(np.float64),
            "updown": ticks.updown_ratio(d, 20),
            "persistence": ticks.persistence(d),
            "velocity": ticks.velocity(t, 1_000),
        }

    assert_no_lookahead(on_trades, n, cut_points(n, 10))


def test_trade_delta_per_bar_passes(spot_trades: Trades) -> None:
    # cut after bar t = the trades published by the close of bar t-1
    opens = np.arange(spot_trades.time[0] // 1000 * 1000, spot_trades.time[-1] + 1, 1000)
    signed = trade_flow.signed_qty(spot_trades.qty, spot_trades.is_buyer_maker)

    def per_second(stop: int) -> FloatArray:
        known = spot_trades.time < opens[stop - 1] + 1000
        return trade_flow.bar_sums(spot_trades.time[known], signed[known], opens[:stop], 1000)

    assert_no_lookahead(per_second, len(opens), cut_points(len(opens), 10))


def test_book_imbalance_passes() -> None:
    rng = np.random.default_rng(5)
    bids, asks = rng.exponential(1.0, (200, 5)), rng.exponential(1.0, (200, 5))
    assert_no_lookahead(lambda s: book.book_imbalance(bids[:s], asks[:s], levels=3), 200)


# --- the gate can fail -------------------------------------------------------------------------


def _leaks(bars: Bars, fn: Callable[[Bars], FloatArray]) -> list[object]:
    return list(
        find_lookahead(lambda stop: fn(bars.take(slice(0, stop))), len(bars), bar_cuts(bars))
    )


def test_a_feature_shifted_by_minus_one_is_caught(btc: Bars) -> None:
    def next_close(b: Bars) -> FloatArray:
        out = np.full(len(b), np.nan)
        out[:-1] = b.close[1:]  # tomorrow's close today
        return out

    found = _leaks(btc, next_close)
    assert found, "the gate must catch a shift of -1"
    with pytest.raises(AssertionError, match="lookahead detected"):
        bars_gate(btc, next_close)
    # and the honest version of the same feature passes
    bars_gate(btc, lambda b: shift(b.close, 1))


@pytest.mark.parametrize(
    "leak",
    [
        # a centred moving average uses the bar after
        lambda b: (shift(b.close, 1) + b.close + np.append(b.close[1:], np.nan)) / 3,
        # normalising by the maximum of the whole series
        lambda b: b.close / b.close.max(),
        # a swing high reported at its own bar instead of at its confirmation bar
        lambda b: np.append(price_action.swing_highs(b.high, 3), np.full(3, np.nan))[3:],
        # a 5m bar shown to the 1m bars inside it (open <= t instead of closed by t's close)
        lambda b: timeframes.align_higher(
            b.open_time + 4 * MINUTE, *timeframes.htf_close(b.open_time, b.close, "5m"), "5m"
        ),
    ],
    ids=["centred-ma", "global-max", "unconfirmed-swing", "open-htf-bar"],
)
def test_other_leaks_are_caught(btc: Bars, leak: Callable[[Bars], object]) -> None:
    assert _leaks(btc, lambda b: np.asarray(leak(b), dtype=np.float64))


def test_gate_reports_and_refuses_nonsense() -> None:
    x = np.arange(10.0)
    # x / (number of rows): bar 1 is 1/10 on the full series but 1/5 when cut after 5 rows
    found = find_lookahead(lambda s: x[:s] / s, 10, [5])
    assert [v.bar for v in found] == [1, 2, 3, 4]
    assert str(found[0]) == (
        "value: bar 1 is 0.1 on the full series but 0.2 on the series cut after 5 rows"
    )
    with pytest.raises(ValueError, match="5 values for 10 rows"):
        find_lookahead(lambda s: x[:5], 10, [4])
    with pytest.raises(ValueError, match="3 values for 4 rows"):
        find_lookahead(lambda s: x[: s - 1] if s < 10 else x, 10, [4])
    with pytest.raises(ValueError, match="outside"):
        find_lookahead(lambda s: x[:s], 10, [11])
    with pytest.raises(ValueError, match="no cut points"):
        assert_no_lookahead(lambda s: x[:s], 1, [])
    assert cut_points(10, 4, start=1)[0] == 1
    assert cut_points(10, 4)[-1] == 9
