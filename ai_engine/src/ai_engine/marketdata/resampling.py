"""Resampling bars to a longer interval, vectorised (``np.ufunc.reduceat`` over buckets).

Buckets are aligned on UTC epoch boundaries (``intervals.bucket_starts``): 5m bars open at
:00, :05, ...; 4h bars at 00:00, 04:00, ... UTC; 1d bars at midnight UTC; 1w on Monday.
open = first, high = max, low = min, close = last; volumes and trade counts are summed.
A bucket with missing source bars (an exchange halt) still yields a bar from the bars that
exist; a bucket with none yields no bar (gaps stay gaps, nothing is invented).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ai_engine.domain.errors import DomainValueError
from ai_engine.marketdata.frames import Bars
from ai_engine.marketdata.intervals import bucket_starts, interval_ms


def resample(bars: Bars, interval: str, *, source_interval: str = "1m") -> Bars:
    """``bars`` of ``source_interval`` (sorted by open time) aggregated to ``interval``."""
    step, source_step = interval_ms(interval), interval_ms(source_interval)
    if step % source_step:
        raise DomainValueError(
            f"cannot resample {source_interval} bars to {interval}: not a whole multiple"
        )
    if len(bars) == 0 or step == source_step:
        return bars
    buckets = bucket_starts(bars.open_time, interval)
    starts = bucket_bounds(buckets)
    ends = np.append(starts[1:], len(buckets)) - 1
    return Bars(
        open_time=buckets[starts],
        open=bars.open[starts],
        high=np.maximum.reduceat(bars.high, starts),
        low=np.minimum.reduceat(bars.low, starts),
        close=bars.close[ends],
        volume=np.add.reduceat(bars.volume, starts),
        quote_volume=np.add.reduceat(bars.quote_volume, starts),
        taker_buy_volume=np.add.reduceat(bars.taker_buy_volume, starts),
        taker_buy_quote_volume=np.add.reduceat(bars.taker_buy_quote_volume, starts),
        trades=np.add.reduceat(bars.trades, starts),
    )


def bucket_bounds(buckets: npt.NDArray[np.int64]) -> npt.NDArray[np.intp]:
    """Index of the first row of each run of equal (sorted) bucket values."""
    return np.concatenate(([0], np.flatnonzero(buckets[1:] != buckets[:-1]) + 1)).astype(np.intp)
