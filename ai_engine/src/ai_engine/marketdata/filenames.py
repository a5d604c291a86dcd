"""What a Binance file name and its folders say: symbol, kind of data, interval, market.

Binance names its archives ``BTCUSDT-1m-2023-03.zip`` (klines), ``BTCUSDT-trades-2024-08-08.zip``,
``BTCUSDT-aggTrades-2024-08-08.zip`` and ``BTCUSDT-fundingRate-2024-01.zip``; mark-price klines
have kline names in a ``markPriceKlines`` folder (``data/futures/um/monthly/markPriceKlines/
BTCUSDT/1m/BTCUSDT-1m-2024-01.zip``), so that folder decides them. Copies often carry a suffix
(``-excerpt``, ``-from-ws``) or a date range, which is ignored. The folders of Binance's
download tree (``data/spot/...``, ``data/futures/um/...``) or of a local mirror (``spot/``,
``usdm/``) hint at the market; the file's header, read later, may decide it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.series import DataKind

_NAME = re.compile(
    r"^(?P<symbol>[A-Za-z0-9]{2,30})-(?:"
    r"(?P<interval>[1-9][0-9]{0,3}[smhdw])|(?P<trades>trades)|(?P<funding>fundingRate)"
    r"|(?P<agg>aggTrades)"
    r"|(?P<other>markPrice|indexPrice|premiumIndex|markPriceKlines|indexPriceKlines"
    r"|premiumIndexKlines|bookTicker|bookDepth|metrics|[1-9][0-9]*mo|1M|BVOLIndex|EOHSummary))"
    r"(?:-|$)"
)
_EXTENSIONS = (".zip", ".gz", ".csv")
_SPOT_FOLDERS = frozenset({"spot"})
_MARK_FOLDER = "markpriceklines"  # Binance's archive folder of mark-price klines
_USDM_FOLDERS = frozenset({"um", "usdm", "futures_um", "futures-um", "usd-m", "usdt-m", "futures"})


@dataclass(frozen=True)
class FileName:
    """What the path says; ``None`` where it says nothing."""

    symbol: str | None
    kind: DataKind | None
    interval: str | None
    market: MarketType | None


def parse_file_name(path: Path) -> FileName:
    """Read symbol, kind and interval from ``path``'s name and a market hint from its folders."""
    stem = path.name
    while stem.lower().endswith(_EXTENSIONS):
        stem = stem[: stem.rindex(".")]
    match = _NAME.match(stem)
    market = _market_hint(path)
    if match is None:
        return FileName(symbol=None, kind=None, interval=None, market=market)
    if match.group("other"):
        raise BadMarketData(
            f"{match.group('other')} files are not supported "
            "(supported: klines, markPriceKlines, trades, aggTrades, fundingRate)",
            source=str(path),
        )
    symbol = match.group("symbol").upper()
    if match.group("interval"):
        marked = any(folder.lower() == _MARK_FOLDER for folder in path.parent.parts)
        kind = DataKind.MARK_PRICE if marked else DataKind.BARS
        return FileName(symbol, kind, match.group("interval"), market)
    if match.group("agg"):
        return FileName(symbol, DataKind.AGG_TRADES, None, market)
    kind = DataKind.TRADES if match.group("trades") else DataKind.FUNDING
    return FileName(symbol, kind, None, market)


def _market_hint(path: Path) -> MarketType | None:
    for folder in path.parent.parts[::-1]:
        name = folder.lower()
        if name in _SPOT_FOLDERS:
            return MarketType.SPOT
        if name in _USDM_FOLDERS:
            return MarketType.USDM
    return None
