"""The CSV layouts Binance (and tools built on its data) publish, and how to tell them apart.

Spot archives have no header; USD-M futures archives (since 2022) start with one. The market a
layout implies is only a default: an explicit ``--market`` wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.series import DataKind

_I64 = pa.int64()
_F64 = pa.float64()
_BOOL = pa.bool_()


@dataclass(frozen=True)
class Layout:
    """One file layout: column names in file order, the types of the columns we keep."""

    kind: DataKind
    description: str
    names: tuple[str, ...]
    types: tuple[tuple[str, pa.DataType], ...]  # columns kept; others are checked for count only
    epochs: tuple[str, ...]  # epoch columns (milliseconds or microseconds)
    headers: tuple[tuple[str, ...], ...]  # accepted header rows (lower-case); () = headerless
    market: MarketType | None  # what the layout implies; None = cannot tell

    @property
    def has_header(self) -> bool:
        return bool(self.headers)


_KLINE_NAMES = (
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
_KLINE_TYPES = tuple(
    (name, _I64 if name in {"open_time", "close_time", "count"} else _F64)
    for name in _KLINE_NAMES[:-1]
)
_SPOT_TRADE_NAMES = ("id", "price", "qty", "quote_qty", "time", "is_buyer_maker", "is_best_match")
_TRADE_TYPES = (
    ("id", _I64),
    ("price", _F64),
    ("qty", _F64),
    ("quote_qty", _F64),
    ("time", _I64),
    ("is_buyer_maker", _BOOL),
)

SPOT_KLINES = Layout(
    kind=DataKind.BARS,
    description="Binance klines without header (spot archives)",
    names=_KLINE_NAMES,
    types=_KLINE_TYPES,
    epochs=("open_time", "close_time"),
    headers=(),
    market=None,
)
USDM_KLINES = Layout(
    kind=DataKind.BARS,
    description="Binance USD-M futures klines with header",
    names=_KLINE_NAMES,
    types=_KLINE_TYPES,
    epochs=("open_time", "close_time"),
    headers=(_KLINE_NAMES,),
    market=MarketType.USDM,
)
# freqtrade's candles (its feather files converted to CSV): six columns, a header row. The
# columns Binance adds (close time, quote and taker volumes, trade count) are not in the file;
# ``parsing`` fills them: close time = open + interval - 1 ms, the others 0 ("not known").
# The market is the folder's (freqtrade keeps spot and futures candles apart by folder only).
FREQTRADE_OHLCV = Layout(
    kind=DataKind.BARS,
    description="freqtrade candles with header (6 columns)",
    names=_KLINE_NAMES[:6],
    types=_KLINE_TYPES[:6],
    epochs=("open_time",),
    headers=(_KLINE_NAMES[:6], ("open_time(ms)", *_KLINE_NAMES[1:6])),
    market=None,
)
SPOT_TRADES = Layout(
    kind=DataKind.TRADES,
    description="Binance spot trades without header",
    names=_SPOT_TRADE_NAMES,
    types=(*_TRADE_TYPES, ("is_best_match", _BOOL)),
    epochs=("time",),
    headers=(),
    market=MarketType.SPOT,
)
USDM_TRADES = Layout(
    kind=DataKind.TRADES,
    description="Binance USD-M futures trades with header",
    names=_SPOT_TRADE_NAMES[:-1],
    types=_TRADE_TYPES,
    epochs=("time",),
    headers=(_SPOT_TRADE_NAMES[:-1],),
    market=MarketType.USDM,
)
USDM_TRADES_BARE = Layout(
    kind=DataKind.TRADES,
    description="Binance USD-M futures trades without header (older archives)",
    names=_SPOT_TRADE_NAMES[:-1],
    types=_TRADE_TYPES,
    epochs=("time",),
    headers=(),
    market=MarketType.USDM,
)
FUNDING_ARCHIVE = Layout(
    kind=DataKind.FUNDING,
    description="Binance fundingRate archive",
    names=("calc_time", "funding_interval_hours", "last_funding_rate"),
    types=(("calc_time", _I64), ("funding_interval_hours", _I64), ("last_funding_rate", _F64)),
    epochs=("calc_time",),
    headers=(("calc_time", "funding_interval_hours", "last_funding_rate"),),
    market=MarketType.USDM,
)
FUNDING_EVENTS = Layout(
    kind=DataKind.FUNDING,
    description="funding events (funding_time, funding_rate)",
    names=("funding_time", "funding_rate"),
    types=(("funding_time", _I64), ("funding_rate", _F64)),
    epochs=("funding_time",),
    headers=(("funding_time", "funding_rate"), ("funding_time(ms)", "funding_rate")),
    market=MarketType.USDM,
)
# Mark-price klines: Binance's kline columns (volumes "0"), with or without its header row.
MARK_KLINES = Layout(
    kind=DataKind.MARK_PRICE,
    description="Binance USD-M mark-price klines with header",
    names=_KLINE_NAMES,
    types=_KLINE_TYPES,
    epochs=("open_time", "close_time"),
    headers=(_KLINE_NAMES,),
    market=MarketType.USDM,
)
MARK_KLINES_BARE = Layout(
    kind=DataKind.MARK_PRICE,
    description="Binance USD-M mark-price klines without header",
    names=_KLINE_NAMES,
    types=_KLINE_TYPES,
    epochs=("open_time", "close_time"),
    headers=(),
    market=MarketType.USDM,
)
_AGG_NAMES = ("id", "price", "qty", "first_id", "last_id", "time", "is_buyer_maker")
_AGG_TYPES = (
    ("id", _I64),
    ("price", _F64),
    ("qty", _F64),
    ("first_id", _I64),
    ("last_id", _I64),
    ("time", _I64),
    ("is_buyer_maker", _BOOL),
)
SPOT_AGG_TRADES = Layout(
    kind=DataKind.AGG_TRADES,
    description="Binance spot aggTrades without header",
    names=(*_AGG_NAMES, "is_best_match"),
    types=(*_AGG_TYPES, ("is_best_match", _BOOL)),
    epochs=("time",),
    headers=(),
    market=MarketType.SPOT,
)
USDM_AGG_TRADES = Layout(
    kind=DataKind.AGG_TRADES,
    description="Binance USD-M futures aggTrades with header",
    names=_AGG_NAMES,
    types=_AGG_TYPES,
    epochs=("time",),
    headers=(
        (
            "agg_trade_id",
            "price",
            "quantity",
            "first_trade_id",
            "last_trade_id",
            "transact_time",
            "is_buyer_maker",
        ),
    ),
    market=MarketType.USDM,
)
USDM_AGG_TRADES_BARE = Layout(
    kind=DataKind.AGG_TRADES,
    description="Binance USD-M futures aggTrades without header (older archives)",
    names=_AGG_NAMES,
    types=_AGG_TYPES,
    epochs=("time",),
    headers=(),
    market=MarketType.USDM,
)
LAYOUTS = (
    SPOT_KLINES,
    USDM_KLINES,
    FREQTRADE_OHLCV,
    SPOT_TRADES,
    USDM_TRADES,
    USDM_TRADES_BARE,
    FUNDING_ARCHIVE,
    FUNDING_EVENTS,
    MARK_KLINES,
    MARK_KLINES_BARE,
    SPOT_AGG_TRADES,
    USDM_AGG_TRADES,
    USDM_AGG_TRADES_BARE,
)


def choose_layout(
    kind: DataKind | None, header: tuple[str, ...] | None, field_count: int, source: str
) -> Layout:
    """The layout of a file from its kind (if the name told it), header and first-line width."""
    candidates = [layout for layout in LAYOUTS if kind is None or layout.kind is kind]
    if header is not None:
        for layout in candidates:
            if header in layout.headers:
                return layout
        expected = "; ".join(",".join(h) for layout in candidates for h in layout.headers)
        raise BadMarketData(
            f"unknown header {','.join(header)!r}; expected one of: {expected}",
            source=source,
            row=1,
        )
    for layout in candidates:
        if not layout.has_header and len(layout.names) == field_count:
            return layout
    widths = " or ".join(
        f"{len(layout.names)} ({layout.description})"
        for layout in candidates
        if not layout.has_header
    )
    what = f"{kind} file" if kind is not None else "file"
    raise BadMarketData(
        f"wrong column count for a {what}: expected {widths or 'a header row'}, got {field_count}",
        source=source,
        row=1,
    )
