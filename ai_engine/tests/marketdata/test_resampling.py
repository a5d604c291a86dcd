from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from ai_engine.marketdata.frames import Bars
from ai_engine.marketdata.intervals import interval_ms
from ai_engine.marketdata.parsing import parse_file
from ai_engine.marketdata.resampling import resample
from ai_engine.marketdata.schema import bars_of

from .samples import BTC_23, BTC_24, BTC_25


@pytest.fixture(scope="module")
def minutes() -> Bars:
    """Three real days of BTCUSDT 1m, the 2023-03-24 halt included."""
    tables = [parse_file(path).table for path in (BTC_23, BTC_24, BTC_25)]
    return bars_of(pa.concat_tables(tables))


def reference(bars: Bars, interval: str) -> dict[int, tuple[float, ...]]:
    """Slow, obvious resampling: one Python dict entry per bucket."""
    step = interval_ms(interval)
    out: dict[int, list[float]] = {}
    for i in range(len(bars)):
        bucket = int(bars.open_time[i]) // step * step
        row = out.get(bucket)
        if row is None:
            out[bucket] = [
                bars.open[i],
                bars.high[i],
                bars.low[i],
                bars.close[i],
                bars.volume[i],
                bars.quote_volume[i],
                bars.taker_buy_volume[i],
                bars.taker_buy_quote_volume[i],
                bars.trades[i],
            ]
        else:
            row[1] = max(row[1], bars.high[i])
            row[2] = min(row[2], bars.low[i])
            row[3] = bars.close[i]
            for j, name in enumerate(
                ("volume", "quote_volume", "taker_buy_volume", "taker_buy_quote_volume", "trades"),
                4,
            ):
                row[j] += getattr(bars, name)[i]
    return {k: tuple(v) for k, v in out.items()}


@pytest.mark.parametrize("interval", ["3m", "5m", "15m", "1h", "4h", "1d"])
def test_matches_the_obvious_implementation(minutes: Bars, interval: str) -> None:
    result = resample(minutes, interval)
    expected = reference(minutes, interval)
    assert list(result.open_time) == list(expected)
    got = np.column_stack(
        [
            result.open,
            result.high,
            result.low,
            result.close,
            result.volume,
            result.quote_volume,
            result.taker_buy_volume,
            result.taker_buy_quote_volume,
            result.trades,
        ]
    )
    np.testing.assert_allclose(got, np.array(list(expected.values())), rtol=1e-12)


def test_halt_buckets(minutes: Bars) -> None:
    hours = resample(minutes, "1h")
    assert len(hours) == 72 - 1  # 13:00-13:59 on 2023-03-24 had no trading at all
    day = resample(minutes, "1d")
    assert list(day.trades) == [
        int(
            minutes.trades[
                (minutes.open_time >= start) & (minutes.open_time < start + 86_400_000)
            ].sum()
        )
        for start in day.open_time
    ]
    # The 12:00 hour of the halt day is built from the 40 minutes that exist.
    noon = int(np.flatnonzero(hours.open_time == 1679659200000)[0])
    assert hours.close[noon] == minutes.close[minutes.open_time == 1679661540000][0]


def test_same_interval_is_identity_and_empty_stays_empty(minutes: Bars) -> None:
    assert resample(minutes, "1m") is minutes
    assert len(resample(Bars.empty(), "5m")) == 0


def test_not_a_multiple() -> None:
    with pytest.raises(ValueError, match="not a whole multiple"):
        resample(Bars.empty(), "7m", source_interval="5m")
