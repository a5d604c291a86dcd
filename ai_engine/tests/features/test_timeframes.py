"""Higher-timeframe alignment: a bar sees only higher-timeframe bars closed by its own close."""

from __future__ import annotations

import numpy as np
import pytest

from ai_engine.features import timeframes
from ai_engine.marketdata import resample
from ai_engine.marketdata.frames import Bars

MINUTE = 60_000
T10 = 1679565600000  # 2023-03-23 10:00 UTC


def test_alignment_rule_hand_worked() -> None:
    # 5m bars 09:55, 10:00, 10:05 carry the values 0, 1, 2; 1m bars 10:00 .. 10:09
    htf_open = np.array([T10 - 5 * MINUTE, T10, T10 + 5 * MINUTE])
    base = T10 + MINUTE * np.arange(10)
    got = timeframes.align_higher(base, htf_open, [0.0, 1.0, 2.0], "5m")
    # 10:00 closes 10:01 -> sees 09:55 (closed 10:00); 10:04 closes 10:05 -> sees 10:00 (closed
    # 10:05, made of 10:00..10:04, all closed); 10:05..10:08 -> 10:00; 10:09 -> 10:05
    assert got.tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 1, 2]
    early = timeframes.align_higher([T10 - 10 * MINUTE], htf_open, [0.0, 1.0, 2.0], "5m")
    assert np.isnan(early[0])


@pytest.mark.parametrize("interval", ["5m", "15m", "1h", "4h", "1d"])
def test_htf_close_equals_marketdata_resample_on_real_bars(btc: Bars, interval: str) -> None:
    # 2023-03-24 holds the 80-minute halt: buckets with missing minutes still close on the last
    # bar that exists, exactly as marketdata.resample builds them
    ht, hc = timeframes.htf_close(btc.open_time, btc.close, interval)
    want = resample(btc, interval)
    np.testing.assert_array_equal(ht, want.open_time)
    np.testing.assert_array_equal(hc, want.close)


def test_align_higher_equals_a_plain_loop_on_real_bars(btc: Bars) -> None:
    htf = resample(btc, "15m")
    got = timeframes.align_higher(btc.open_time, htf.open_time, htf.close, "15m")
    for i in (0, 13, 14, 15, 29, 2127, 2128, len(btc) - 1):
        close_i = btc.open_time[i] + MINUTE
        seen = np.flatnonzero(htf.open_time + 15 * MINUTE <= close_i)
        want = htf.close[seen[-1]] if len(seen) else np.nan
        assert got[i] == pytest.approx(want, nan_ok=True), i


def test_intervals() -> None:
    assert timeframes.interval_ms("5m") == 300_000
    assert timeframes.interval_ms("1w") == 7 * 86_400_000
    assert timeframes.interval_ms(60_000) == 60_000
    with pytest.raises(ValueError, match="unknown interval"):
        timeframes.interval_ms("1mo")
    with pytest.raises(ValueError, match="strictly increasing"):
        timeframes.align_higher([0], [5, 5], [1.0, 2.0], "1m")


def test_bucket_start_weeks_open_on_monday() -> None:
    # 2023-03-23 (a Thursday) 10:00 -> the week of Monday 2023-03-20 00:00 UTC
    assert timeframes.bucket_start(T10, "1w") == 1679270400000
    assert timeframes.bucket_start(T10 + 7 * MINUTE, "5m") == T10 + 5 * MINUTE
