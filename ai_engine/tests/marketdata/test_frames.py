from __future__ import annotations

import numpy as np
import pytest

from ai_engine.marketdata.frames import Bars, Funding


def test_columns_must_have_equal_length() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        Funding(funding_time=np.zeros(2, np.int64), funding_rate=np.zeros(3))


def test_len_take_and_names() -> None:
    funding = Funding(funding_time=np.arange(5, dtype=np.int64), funding_rate=np.linspace(0, 1, 5))
    assert len(funding) == 5
    tail = funding.take(slice(3, None))
    assert len(tail) == 2
    assert tail.funding_time.tolist() == [3, 4]
    assert Funding.column_names() == ("funding_time", "funding_rate")


def test_empty_bars() -> None:
    bars = Bars.empty()
    assert len(bars) == 0
    assert bars.open_time.dtype == np.int64
    assert bars.trades.dtype == np.int64
    assert bars.close.dtype == np.float64
