from __future__ import annotations

import pytest

from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.layouts import (
    FUNDING_ARCHIVE,
    FUNDING_EVENTS,
    SPOT_KLINES,
    SPOT_TRADES,
    USDM_KLINES,
    USDM_TRADES,
    Layout,
    choose_layout,
)
from ai_engine.marketdata.series import DataKind

KLINE_HEADER = (
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_volume",
    "count",
    "taker_buy_volume",
    "taker_buy_quote_volume",
    "ignore",
)


@pytest.mark.parametrize(
    ("kind", "header", "width", "layout"),
    [
        (DataKind.BARS, None, 12, SPOT_KLINES),
        (DataKind.BARS, KLINE_HEADER, 12, USDM_KLINES),
        (None, KLINE_HEADER, 12, USDM_KLINES),
        (DataKind.TRADES, None, 7, SPOT_TRADES),
        (None, None, 7, SPOT_TRADES),
        (
            DataKind.TRADES,
            ("id", "price", "qty", "quote_qty", "time", "is_buyer_maker"),
            6,
            USDM_TRADES,
        ),
        (
            DataKind.FUNDING,
            ("calc_time", "funding_interval_hours", "last_funding_rate"),
            3,
            FUNDING_ARCHIVE,
        ),
        (DataKind.FUNDING, ("funding_time", "funding_rate"), 2, FUNDING_EVENTS),
        (DataKind.FUNDING, ("funding_time(ms)", "funding_rate"), 2, FUNDING_EVENTS),
    ],
)
def test_layouts(
    kind: DataKind | None, header: tuple[str, ...] | None, width: int, layout: Layout
) -> None:
    assert choose_layout(kind, header, width, "f.csv") is layout


def test_header_implies_usdm_and_spot_is_undecided() -> None:
    assert USDM_KLINES.market is MarketType.USDM
    assert SPOT_KLINES.market is None


def test_unknown_header_lists_expected_ones() -> None:
    with pytest.raises(BadMarketData, match="unknown header 'time,price'") as caught:
        choose_layout(DataKind.FUNDING, ("time", "price"), 2, "f.csv")
    assert caught.value.row == 1
    assert "funding_time,funding_rate" in caught.value.message


def test_wrong_width_for_the_kind() -> None:
    with pytest.raises(BadMarketData, match=r"expected 12 .*got 7") as caught:
        choose_layout(DataKind.BARS, None, 7, "f.csv")
    assert caught.value.row == 1
