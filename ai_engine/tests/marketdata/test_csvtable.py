from __future__ import annotations

from collections.abc import Callable

import pytest

from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.csvtable import read_typed, sniff
from ai_engine.marketdata.layouts import SPOT_KLINES, USDM_KLINES

from .samples import BTC_23, USDM_1M, lines, replace_field


def test_sniff_spot_has_no_header() -> None:
    text = sniff(b"".join(lines(BTC_23)), "spot.csv")
    assert text.header is None
    assert text.field_count == 12
    assert text.first_data_line == 1


def test_sniff_futures_header() -> None:
    text = sniff(b"".join(lines(USDM_1M)), "usdm.csv")
    assert text.header == SPOT_KLINES.names
    assert text.first_data_line == 2


def test_bom_and_trailing_blank_lines_are_tolerated() -> None:
    rows = lines(BTC_23)[:3]
    text = sniff(b"\xef\xbb\xbf" + b"".join(rows) + b"\n\r\n", "x.csv")
    assert read_typed(text, SPOT_KLINES).num_rows == 3


def test_typed_columns() -> None:
    table = read_typed(sniff(b"".join(lines(USDM_1M)), "usdm.csv"), USDM_KLINES)
    assert table.num_rows == 4320
    assert str(table.schema.field("open_time").type) == "int64"
    assert str(table.schema.field("volume").type) == "double"
    assert "ignore" not in table.column_names


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (lambda r: replace_field(r, 3, b"1e"), "column 4 (low): '1e' is not a number"),
        (lambda r: replace_field(r, 8, b"12.5"), "column 9 (count): '12.5' is not an integer"),
        (lambda r: replace_field(r, 1, b""), "column 2 (open): '' is empty"),
        (lambda r: r.replace(b",", b";"), "wrong column count: expected 12"),
        (lambda r: b"\n", "empty line"),
    ],
)
def test_bad_line_is_named_with_header_counted(row: Callable[[bytes], bytes], message: str) -> None:
    rows = lines(USDM_1M)[:10]
    rows[6] = row(rows[6])
    with pytest.raises(BadMarketData) as caught:
        read_typed(sniff(b"".join(rows), "usdm.csv"), USDM_KLINES)
    assert caught.value.row == 7
    assert message in caught.value.message


def test_header_only() -> None:
    with pytest.raises(BadMarketData, match="header only") as caught:
        read_typed(sniff(lines(USDM_1M)[0], "usdm.csv"), USDM_KLINES)
    assert caught.value.row == 2
