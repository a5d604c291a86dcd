"""Funding on bars: a bar sees only the events published by its close (real BTCUSDT events)."""

from __future__ import annotations

import numpy as np
import pytest

from ai_engine.features import alignment, funding
from ai_engine.marketdata.frames import Bars, Funding

MINUTE = 60_000


def test_event_stamped_after_the_bar_open_is_seen_from_that_bar(
    btc_perp: Bars, funding_2025: Funding
) -> None:
    # Real events: 2025-05-26 08:00:00.000 rate 0.0001, then 16:00:00.002 rate 9.782e-05.
    # The 15:59 bar closes at 15:59:59.999 -> still 0.0001; the 16:00 bar (closing 16:00:59.999)
    # sees the 16:00:00.002 event.
    rate = funding.funding_on_bars(
        btc_perp.open_time, MINUTE, funding_2025.funding_time, funding_2025.funding_rate
    )
    at_1559 = int(np.flatnonzero(btc_perp.open_time == 1748275140000)[0])
    assert rate[at_1559] == 0.0001
    assert rate[at_1559 + 1] == 9.782e-05
    assert rate[0] == 7.331e-05  # the 00:00:00.000 event is visible to the 00:00 bar itself


def test_before_the_first_event_is_nan(funding_2025: Funding) -> None:
    bars = np.array([1748217600000 - MINUTE])  # 2025-05-25 23:59
    rate = funding.funding_on_bars(
        bars, MINUTE, funding_2025.funding_time, funding_2025.funding_rate
    )
    assert np.isnan(rate[0])


def test_bias_and_extreme_hand_worked() -> None:
    # neutral 0.0001, extreme 0.0005: bias = -(rate - 0.0001) / 0.0004, clipped to [-1, 1]
    rate = np.array([0.0001, 0.0003, 0.0009, -0.0001, -0.0006, np.nan])
    bias = funding.funding_bias(rate)
    assert bias[:5].tolist() == pytest.approx([0.0, -0.5, -1.0, 0.5, 1.0])
    assert np.isnan(bias[5])
    assert funding.funding_extreme(rate)[:5].tolist() == [0, 0, 1, 0, -1]
    with pytest.raises(ValueError, match="extreme"):
        funding.funding_bias(rate, neutral=0.001, extreme=0.0005)


def test_real_2023_rates_produce_both_leans(funding_2023: Funding) -> None:
    bias = funding.funding_bias(funding_2023.funding_rate)
    assert (bias > 0).any()
    assert (bias == 0).any()


def test_asof_rules() -> None:
    times = np.array([10, 20, 30])
    assert alignment.asof_index(times, [9, 10, 29, 30, 99]).tolist() == [-1, 0, 1, 2, 2]
    got = alignment.asof(times, [1.0, 2.0, 3.0], [5, 25])
    assert np.isnan(got[0])
    assert got[1] == 2.0
    assert alignment.bar_close_ms([0, MINUTE], MINUTE).tolist() == [59_999, 119_999]
    with pytest.raises(ValueError, match="sorted"):
        alignment.asof_index([2, 1], [3])
