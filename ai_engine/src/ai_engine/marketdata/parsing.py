"""One downloaded file -> validated rows of one series, or ``BadMarketData`` naming file and line.

Nothing here touches the store. Rows keep file order; row ``i`` is on line ``first_line + i``
so later steps (merging duplicates across files) can still name the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ai_engine.domain.enums import MarketType, Venue
from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.csvtable import CsvText, read_typed, sniff
from ai_engine.marketdata.filenames import FileName, parse_file_name
from ai_engine.marketdata.intervals import bucket_starts, divides_day, interval_ms
from ai_engine.marketdata.layouts import FUNDING_ARCHIVE, Layout, choose_layout
from ai_engine.marketdata.schema import SPECS
from ai_engine.marketdata.series import BAR_KINDS, DataKind, SeriesKey, normalise_symbol
from ai_engine.marketdata.sources import read_source
from ai_engine.marketdata.timestamps import epoch_divisor
from ai_engine.marketdata.validation import (
    Problem,
    agg_trade_problem,
    bar_problem,
    first_problem,
    funding_problem,
    order_problem,
    trade_problem,
)


@dataclass(frozen=True)
class Overrides:
    """What the user said on the command line; wins over the file name and header."""

    symbol: str | None = None
    market: MarketType | None = None
    interval: str | None = None


@dataclass(frozen=True)
class ParsedFile:
    source: str
    key: SeriesKey
    table: pa.Table  # in-memory schema of ``key.kind`` (int64 ms times), file order
    first_line: int  # the file line of row 0

    @property
    def lines(self) -> np.ndarray[Any, np.dtype[np.int64]]:
        return np.arange(self.first_line, self.first_line + self.table.num_rows, dtype=np.int64)


def parse_file(
    path: Path, overrides: Overrides | None = None, *, venue: Venue = Venue.BINANCE
) -> ParsedFile:
    """Read, type, normalise (ms timestamps) and validate one file."""
    overrides = overrides or Overrides()
    source = str(path)
    name = parse_file_name(path)
    text = sniff(read_source(path), source)
    layout = choose_layout(name.kind, text.header, text.field_count, source)
    key = _series_key(layout, name, overrides, venue, source)
    raw = read_typed(text, layout)
    values: dict[str, Any] = {n: raw.column(n).to_numpy() for n in raw.column_names}
    divisor = epoch_divisor([(n, values[n]) for n in layout.epochs])
    if isinstance(divisor, Problem):
        _raise_at(divisor, text)
    elif divisor != 1:
        for column in layout.epochs:
            values[column] = values[column] // divisor
    if key.kind in BAR_KINDS:
        values = _bars(values, str(key.interval), text)
    elif key.kind is DataKind.TRADES:
        _raise_at(order_problem(values["id"], "trade id", allow_equal=True, is_time=False), text)
        _raise_at(trade_problem(values), text)
    elif key.kind is DataKind.AGG_TRADES:
        _raise_at(
            order_problem(values["id"], "aggregate trade id", allow_equal=True, is_time=False), text
        )
        _raise_at(agg_trade_problem(values), text)
    else:
        values = _funding(values, layout, text)
    spec = SPECS[key.kind]
    table = pa.table({n: values[n] for n in spec.names}, schema=spec.memory_schema)
    return ParsedFile(source=source, key=key, table=table, first_line=text.first_data_line)


def _series_key(
    layout: Layout, name: FileName, overrides: Overrides, venue: Venue, source: str
) -> SeriesKey:
    symbol = overrides.symbol or name.symbol
    if symbol is None:
        raise BadMarketData(
            "cannot tell the symbol from the file name; pass --symbol", source=source
        )
    market = overrides.market or layout.market or name.market or MarketType.SPOT
    if layout.kind is DataKind.FUNDING and market is not MarketType.USDM:
        raise BadMarketData(f"funding rates exist for futures only, not {market}", source=source)
    if layout.kind is DataKind.MARK_PRICE and market is not MarketType.USDM:
        raise BadMarketData(f"mark prices exist for futures only, not {market}", source=source)
    interval = None
    if layout.kind in BAR_KINDS:
        interval = overrides.interval or name.interval
        if interval is None:
            raise BadMarketData(
                "cannot tell the kline interval from the file name; pass --interval",
                source=source,
            )
        try:
            interval_ms(interval)
        except ValueError as exc:
            raise BadMarketData(str(exc), source=source) from exc
    return SeriesKey(layout.kind, venue, market, normalise_symbol(symbol), interval)


def _bars(values: dict[str, Any], interval: str, text: CsvText) -> dict[str, Any]:
    opens = values["open_time"]
    step = interval_ms(interval)
    if "close_time" not in values:  # freqtrade's 6 columns (layouts.FREQTRADE_OHLCV)
        values = _unknown_as_zero(values, step)
    # A bar closes at open + interval - 1 ms, or earlier when trading halted inside it (the
    # 2023-03-24 12:39 spot bar closed at 12:39:41.646); later means another interval.
    since_open = values["close_time"] - opens
    rules = [
        (
            (since_open < 0) | (since_open > step - 1),
            lambda i: (
                f"close_time {values['close_time'][i]} is not within a {interval} bar opening "
                f"at {opens[i]}: wrong --interval or damaged row"
            ),
        )
    ]
    if divides_day(interval):
        rules.append(
            (
                bucket_starts(opens, interval) != opens,
                lambda i: f"open_time {opens[i]} is not on a {interval} boundary",
            )
        )
    _raise_at(first_problem(rules), text)
    _raise_at(order_problem(opens, "open_time", allow_equal=True), text)
    values["trades"] = values.pop("count")
    _raise_at(bar_problem(values), text)
    return values


def _unknown_as_zero(values: dict[str, Any], step: int) -> dict[str, Any]:
    """What a 6-column candle file does not say: close time = open + interval - 1 ms (a whole
    bar); quote volume, taker volumes and trade count 0 (not known, never estimated)."""
    zeros = np.zeros(len(values["open_time"]), dtype=np.float64)
    return {
        **values,
        "close_time": values["open_time"] + (step - 1),
        "quote_volume": zeros,
        "taker_buy_volume": zeros,
        "taker_buy_quote_volume": zeros,
        "count": np.zeros(len(zeros), dtype=np.int64),
    }


def _funding(values: dict[str, Any], layout: Layout, text: CsvText) -> dict[str, Any]:
    if layout is FUNDING_ARCHIVE:
        # funding_interval_hours is not kept: the times already show the cadence, and the
        # rate per event is what a backtest applies.
        values = {
            "funding_time": values["calc_time"],
            "funding_rate": values["last_funding_rate"],
        }
    _raise_at(order_problem(values["funding_time"], "funding_time", allow_equal=True), text)
    _raise_at(funding_problem(values), text)
    return values


def _raise_at(problem: Problem | None, text: CsvText) -> None:
    if problem is not None:
        raise BadMarketData(
            problem.message, source=text.source, row=text.first_data_line + problem.index
        )
