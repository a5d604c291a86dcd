"""exchangeInfo (spot ``/api/v3``, USD-M ``/fapi/v1``) into domain ``Instrument``s.

Filters read: ``PRICE_FILTER.tickSize``, ``LOT_SIZE.stepSize/minQty/maxQty`` and the minimum
notional -- spot ``NOTIONAL.minNotional`` (or the older ``MIN_NOTIONAL.minNotional``), USD-M
``MIN_NOTIONAL.notional``. ``MARKET_LOT_SIZE`` (a lower cap for market orders) and the price
band filters are not part of ``Instrument``; the venue enforces them and answers -1013/-4005.
Symbols whose status is not TRADING are left out. A malformed symbol entry raises
``BadVenueAnswer`` naming it: filters are what every order is rounded to, so guessing is worse
than stopping.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from ai_engine.domain import Instrument, InstrumentId, MarketType, Venue
from ai_engine.venues.binance.wire import BadVenueAnswer, Reader


def parse_exchange_info(
    body: object,
    *,
    venue: Venue,
    market: MarketType,
    symbols: Collection[str] | None = None,
    endpoint: str = "exchangeInfo",
) -> list[Instrument]:
    info = Reader(body, endpoint)
    entries = info.raw("symbols")
    if not isinstance(entries, list):
        raise info.fail("'symbols' should be a list")
    wanted = None if symbols is None else set(symbols)
    found = []
    for entry in entries:
        row = Reader(entry, endpoint)
        name = row.text("symbol")
        if wanted is not None and name not in wanted:
            continue
        if row.text("status") != "TRADING":
            continue
        found.append(_instrument(row, name, venue, market))
    return found


def _instrument(row: Reader, name: str, venue: Venue, market: MarketType) -> Instrument:
    where = Reader(row.body, f"{row.endpoint} symbol {name}")
    filters = _filters(where)
    price = Reader(filters.get("PRICE_FILTER"), f"{where.endpoint} PRICE_FILTER")
    lot = Reader(filters.get("LOT_SIZE"), f"{where.endpoint} LOT_SIZE")
    quote = where.text("quoteAsset")
    settlement = where.text("marginAsset") if market is MarketType.USDM else quote
    max_qty = lot.decimal("maxQty")
    try:
        return Instrument(
            id=InstrumentId(venue, market, name),
            base_asset=where.text("baseAsset"),
            quote_asset=quote,
            settlement_asset=settlement,
            tick_size=price.decimal("tickSize"),
            lot_step=lot.decimal("stepSize"),
            min_quantity=lot.decimal("minQty"),
            max_quantity=max_qty if max_qty > 0 else None,
            min_notional=_min_notional(filters, where.endpoint),
        )
    except ValueError as exc:
        raise BadVenueAnswer(str(exc), endpoint=where.endpoint) from None


def _filters(row: Reader) -> dict[str, Any]:
    raw = row.raw("filters")
    if not isinstance(raw, list):
        raise row.fail("'filters' should be a list")
    return {item["filterType"]: item for item in raw if isinstance(item, dict)}


def _min_notional(filters: dict[str, Any], endpoint: str) -> Decimal:
    for name, field in (("NOTIONAL", "minNotional"), ("MIN_NOTIONAL", "minNotional")):
        if name in filters and field in filters[name]:
            return Reader(filters[name], f"{endpoint} {name}").decimal(field)
    if "MIN_NOTIONAL" in filters:
        return Reader(filters["MIN_NOTIONAL"], f"{endpoint} MIN_NOTIONAL").decimal("notional")
    return Decimal(0)
