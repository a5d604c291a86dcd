from __future__ import annotations

import numpy as np

from ai_engine.marketdata.gaps import NO_GAPS, funding_step_ms, id_gaps, step_gaps
from ai_engine.marketdata.intervals import iso

MINUTE = 60_000
HOUR = 3_600_000


def minutes(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64) * MINUTE + 1679616000000  # 2023-03-24T00:00Z


def test_no_gaps() -> None:
    assert step_gaps(minutes(0, 1, 2, 3), MINUTE) == NO_GAPS
    assert step_gaps(minutes(0), MINUTE) == NO_GAPS


def test_gaps_count_largest_first() -> None:
    report = step_gaps(minutes(0, 1, 5, 6, 8, 100, 101), MINUTE)
    assert (report.count, report.missing) == (3, 3 + 1 + 91)
    assert [gap.missing for gap in report.largest] == [91, 3, 1]
    biggest = report.largest[0]
    assert iso(biggest.start_ms) == "2023-03-24T00:09:00Z"
    assert iso(biggest.end_ms) == "2023-03-24T01:40:00Z"
    assert biggest.duration.total_seconds() == 91 * 60


def test_top_limits_the_list_not_the_count() -> None:
    report = step_gaps(minutes(*range(0, 40, 2)), MINUTE, top=3)
    assert report.count == 19
    assert len(report.largest) == 3


def test_jittered_funding_times() -> None:
    times = np.array([0, 8 * HOUR + 3, 16 * HOUR + 17, 40 * HOUR + 1], dtype=np.int64)
    assert funding_step_ms(times) == 8 * HOUR
    report = step_gaps(times, 8 * HOUR)
    assert (report.count, report.missing) == (1, 2)


def test_trade_id_gaps() -> None:
    ids = np.array([10, 11, 12, 20, 21], dtype=np.int64)
    times = np.array([1, 2, 3, 4, 5], dtype=np.int64)
    report = id_gaps(ids, times)
    assert (report.count, report.missing) == (1, 7)
    assert (report.largest[0].start_ms, report.largest[0].end_ms) == (3, 4)
