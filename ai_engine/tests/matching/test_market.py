"""The market state both engines share: bars must arrive in time order."""

from __future__ import annotations

from typing import Any

import pytest

from ai_engine.domain import to_epoch_ms
from ai_engine.matching.market import Market

from .factories import BTC, bar, close_ms, engine
from .futures.factories import engine as futures_engine
from .futures.factories import fbar


def test_bar_times_are_the_bar_open_and_close_in_epoch_ms() -> None:
    market = Market(BTC)
    candle = bar(3)
    assert market.bar_times(candle) == (to_epoch_ms(candle.open_time), close_ms(3))
    assert market.symbol == "BTCUSDT"


@pytest.mark.parametrize(
    ("venue", "make_bar"),
    [(engine, bar), (futures_engine, fbar)],
    ids=["spot", "futures"],
)
@pytest.mark.parametrize("minute", [0, -1])
def test_both_engines_refuse_a_bar_that_is_not_after_the_last(
    venue: Any, make_bar: Any, minute: int
) -> None:
    made = venue()  # has the bar of minute 0
    with pytest.raises(ValueError, match="is not after"):
        made.on_bar("BTCUSDT", make_bar(minute))
    assert made.on_bar("BTCUSDT", make_bar(1)) == []
