"""A raw Binance WebSocket capture (``*.jsonl.gz``) -> rows of up to three stored series: its
trades (the ``trades`` kind, as Binance's trade dumps hold them), its depth snapshot and diffs
(the ``depth`` kind, ``marketdata.depth``) and, for USD-M, its mark prices (the ``mark_price``
kind at interval ``1s``). ``importer.import_files`` merges and writes them like any other file:
all or nothing, idempotent, duplicates checked against the store.

Rules:

* The capture is read strictly (``captures.read_capture(strict=True)``): a malformed line stops
  the import, naming file and line. Book tickers are not stored.
* Symbol: the one the events name (``--symbol`` must agree). Market: ``--market`` if given,
  else USD-M when the diffs carry ``pu`` or mark prices are present, else spot. Two symbols in
  one capture are refused.
* A trade row is ``id = t``, ``time = T`` (trade time), ``price``, ``qty``, ``quote_qty =
  price x qty`` (exact, rounded to 8 decimals as Binance's dumps print it) and
  ``is_buyer_maker = m``: the same row a trade dump derived from the same stream holds, so the
  two import over each other without conflict.
* Mark prices (``@markPrice@1s``): one 1 s mark-price kline per second that has an event,
  ``open_time`` = the event time ``E`` floored to the second (Binance computes the mark on the
  second and sends it a few ms later), open/close = the first/last mark of that second (there
  is one), high/low their extremes, volumes and trade count 0 as in Binance's mark-price klines.
  The index price, the estimated settle price and the funding estimate of the events are not
  kept (the kind has bar columns only); the funding rate comes from the ``funding`` kind.
* Rows are numbered by event (the n-th event of the file is "row n"; captures have no blank
  lines, so that is its line).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ai_engine.domain.enums import MarketType, Venue
from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.captures import (
    DepthDiff,
    DepthSnapshot,
    MarkPriceEvent,
    TradeEvent,
    read_capture,
)
from ai_engine.marketdata.depth import depth_problem, rows_of
from ai_engine.marketdata.parsing import Overrides, ParsedFile
from ai_engine.marketdata.schema import BARS, DEPTH, MARK_PRICE, TRADES
from ai_engine.marketdata.series import DataKind, SeriesKey, normalise_symbol
from ai_engine.marketdata.validation import Problem, bar_problem, order_problem, trade_problem

_QUOTE_STEP = Decimal("1e-8")
MARK_INTERVAL = "1s"  # the interval mark prices are stored at


def is_capture(path: Path) -> bool:
    """Whether ``path`` names a raw WebSocket capture (``.jsonl`` or ``.jsonl.gz``)."""
    return path.name.lower().endswith((".jsonl", ".jsonl.gz"))


@dataclass(frozen=True)
class CaptureRows(ParsedFile):
    """Rows of one series taken from a capture; ``lines`` are the events' ordinals."""

    ordinals: npt.NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))

    @property
    def lines(self) -> npt.NDArray[np.int64]:
        return self.ordinals


def parse_capture(
    path: Path, overrides: Overrides | None = None, *, venue: Venue = Venue.BINANCE
) -> list[ParsedFile]:
    """The trades and depth rows of the capture at ``path`` (one ``ParsedFile`` each, only
    for what it holds); ``BadMarketData`` naming file and row for anything wrong."""
    overrides = overrides or Overrides()
    source = str(path)
    trades: list[tuple[TradeEvent, int]] = []
    depth: list[tuple[DepthSnapshot | DepthDiff, int]] = []
    marks: list[tuple[MarkPriceEvent, int]] = []
    symbols: set[str] = set()
    futures = False
    for ordinal, event in enumerate(read_capture(path, strict=True), 1):
        if isinstance(event, TradeEvent):
            trades.append((event, ordinal))
            symbols.add(event.symbol)
        elif isinstance(event, DepthDiff | DepthSnapshot):
            depth.append((event, ordinal))
            if isinstance(event, DepthDiff):
                symbols.add(event.symbol)
                futures |= event.prev_final_id is not None
        elif isinstance(event, MarkPriceEvent):
            marks.append((event, ordinal))
            symbols.add(event.symbol)
            futures = True
    if not trades and not depth:
        raise BadMarketData("the capture holds no trades and no depth events", source=source)
    symbol = _symbol(symbols, overrides, source)
    market = overrides.market or (MarketType.USDM if futures else MarketType.SPOT)
    if futures and market is MarketType.SPOT:
        raise BadMarketData("the capture holds futures events (pu, markPrice)", source=source)
    parsed: list[ParsedFile] = []
    if trades:
        key = SeriesKey(DataKind.TRADES, venue, market, symbol)
        parsed.append(_trade_rows(trades, key, source))
    if depth:
        key = SeriesKey(DataKind.DEPTH, venue, market, symbol)
        parsed.append(_depth_rows(depth, key, source))
    if marks:
        key = SeriesKey(DataKind.MARK_PRICE, venue, market, symbol, MARK_INTERVAL)
        parsed.append(_mark_rows(marks, key, source))
    return parsed


def _symbol(found: set[str], overrides: Overrides, source: str) -> str:
    if len(found) > 1:
        raise BadMarketData(f"the capture mixes symbols {sorted(found)}", source=source)
    named = normalise_symbol(overrides.symbol) if overrides.symbol else None
    if found:
        (symbol,) = found
        if named is not None and named != symbol:
            raise BadMarketData(f"the capture is {symbol}, not {named}", source=source)
        return normalise_symbol(symbol)
    if named is None:
        raise BadMarketData("the capture names no symbol; pass --symbol", source=source)
    return named


def _trade_rows(events: list[tuple[TradeEvent, int]], key: SeriesKey, source: str) -> ParsedFile:
    events = sorted(events, key=lambda pair: pair[0].trade_id)
    values: dict[str, Any] = {
        "id": np.array([e.trade_id for e, _ in events], np.int64),
        "time": np.array([e.trade_ms for e, _ in events], np.int64),
        "price": np.array([float(e.price) for e, _ in events]),
        "qty": np.array([float(e.qty) for e, _ in events]),
        "quote_qty": np.array([_quote(e) for e, _ in events]),
        "is_buyer_maker": np.array([e.buyer_is_maker for e, _ in events], np.bool_),
    }
    ordinals = np.array([ordinal for _, ordinal in events], np.int64)
    _raise_at(trade_problem(values), ordinals, source)
    table = pa.table({n: values[n] for n in TRADES.names}, schema=TRADES.memory_schema)
    return CaptureRows(source=source, key=key, table=table, first_line=1, ordinals=ordinals)


def _quote(event: TradeEvent) -> float:
    try:
        return float((Decimal(event.price) * Decimal(event.qty)).quantize(_QUOTE_STEP))
    except ArithmeticError:
        return float("nan")  # trade_problem names the row


def _depth_rows(
    events: list[tuple[DepthSnapshot | DepthDiff, int]], key: SeriesKey, source: str
) -> ParsedFile:
    try:
        columns, row_ordinals = rows_of(events)
    except ValueError as exc:
        raise BadMarketData(str(exc), source=source) from None
    ordinals = np.array(row_ordinals, np.int64)
    order = np.argsort(columns["seq"], kind="stable")
    columns = {name: values[order] for name, values in columns.items()}
    ordinals = ordinals[order]
    _raise_at(depth_problem(columns), ordinals, source)
    times: npt.NDArray[np.int64] = columns["time"].astype(np.int64)
    _raise_at(order_problem(times, "time", allow_equal=True), ordinals, source)
    table = pa.table({n: columns[n] for n in DEPTH.names}, schema=DEPTH.memory_schema)
    return CaptureRows(source=source, key=key, table=table, first_line=1, ordinals=ordinals)


def _mark_rows(events: list[tuple[MarkPriceEvent, int]], key: SeriesKey, source: str) -> ParsedFile:
    events = sorted(events, key=lambda pair: pair[0].event_ms)
    seconds = np.array([e.event_ms for e, _ in events], np.int64) // 1_000 * 1_000
    try:
        marks = np.array([float(e.mark) for e, _ in events])
    except ValueError:
        bad = next(n for e, n in events if not _is_number(e.mark))
        raise BadMarketData("mark price is not a number", source=source, row=bad) from None
    starts = np.flatnonzero(np.concatenate(([True], seconds[1:] != seconds[:-1])))
    ends = np.concatenate((starts[1:], [len(events)])) - 1
    zeros = np.zeros(len(starts))
    values: dict[str, Any] = {
        "open_time": seconds[starts],
        "open": marks[starts],
        "high": np.maximum.reduceat(marks, starts),
        "low": np.minimum.reduceat(marks, starts),
        "close": marks[ends],
        "volume": zeros,
        "quote_volume": zeros,
        "taker_buy_volume": zeros,
        "taker_buy_quote_volume": zeros,
        "trades": np.zeros(len(starts), np.int64),
    }
    ordinals = np.array([events[i][1] for i in starts], np.int64)
    _raise_at(bar_problem(values), ordinals, source)
    table = pa.table({n: values[n] for n in BARS.names}, schema=MARK_PRICE.memory_schema)
    return CaptureRows(source=source, key=key, table=table, first_line=1, ordinals=ordinals)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _raise_at(problem: Problem | None, ordinals: npt.NDArray[np.int64], source: str) -> None:
    if problem is not None:
        raise BadMarketData(problem.message, source=source, row=int(ordinals[problem.index]))
