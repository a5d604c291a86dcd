"""Binance's USD-M JSON shapes for market data: exchangeInfo, premiumIndex, fundingRate,
tickers, depth, klines. Field names and order follow Binance's USD-M documentation.

Number formats, as ``fapi`` prints them: prices with the symbol's ``pricePrecision`` decimals,
quantities with its ``quantityPrecision``, USDT amounts with 8 decimals, rates with 8 decimals.
Klines reuse the spot rows (same 12 columns).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ai_engine.domain import OrderSide
from ai_engine.matching import SyntheticBook
from ai_engine.simexchange.futures.funding import FundingEvent
from ai_engine.simexchange.futures.symbols import FuturesSymbolSpec
from ai_engine.simexchange.wire import Json

ORDER_TYPES = [
    "LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
    "TRAILING_STOP_MARKET",
]  # fmt: skip
TIME_IN_FORCE = ["GTC", "IOC", "FOK", "GTX", "GTD"]
INTEREST_RATE = Decimal("0.0001")  # Binance's fixed 0.01 % per funding interval
_ZERO = Decimal(0)


def fixed(value: Decimal, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def usd(value: Decimal) -> str:
    return fixed(value, 8)


def price(spec: FuturesSymbolSpec, value: Decimal) -> str:
    return fixed(value, spec.price_precision)


def qty(spec: FuturesSymbolSpec, value: Decimal) -> str:
    return fixed(value, spec.quantity_precision)


def exchange_info(specs: list[FuturesSymbolSpec], server_ms: int, limits: list[Json]) -> Json:
    return {
        "timezone": "UTC",
        "serverTime": server_ms,
        "futuresType": "U_MARGINED",
        "rateLimits": limits,
        "exchangeFilters": [],
        "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
        "symbols": [symbol_info(spec) for spec in specs],
    }


def rate_limits(weight: int, per_10s: int, per_minute: int) -> list[Json]:
    return [
        {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": weight,
        },
        {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": per_minute},
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": per_10s},
    ]


def symbol_info(spec: FuturesSymbolSpec) -> Json:
    inst = spec.instrument
    band = spec.price_band
    return {
        "symbol": inst.symbol,
        "pair": inst.symbol,
        "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000,
        "onboardDate": spec.onboard_ms,
        "status": "TRADING",
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "baseAsset": inst.base_asset,
        "quoteAsset": inst.quote_asset,
        "marginAsset": inst.settlement_asset,
        "pricePrecision": spec.price_precision,
        "quantityPrecision": spec.quantity_precision,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": ["PoW"],
        "triggerProtect": "0.0500",
        "liquidationFee": fixed(spec.liquidation_fee, 6),
        "marketTakeBound": fixed(band, 2),
        "maxMoveOrderLimit": 10000,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": str(spec.min_price),
                "maxPrice": str(spec.max_price),
                "tickSize": str(inst.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": str(inst.min_quantity),
                "maxQty": str(inst.max_quantity),
                "stepSize": str(inst.lot_step),
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": str(inst.min_quantity),
                "maxQty": str(spec.market_max_quantity),
                "stepSize": str(inst.lot_step),
            },
            {"filterType": "MAX_NUM_ORDERS", "limit": spec.max_orders},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": spec.max_algo_orders},
            {"filterType": "MIN_NOTIONAL", "notional": str(inst.min_notional)},
            {
                "filterType": "PERCENT_PRICE",
                "multiplierUp": fixed(1 + band, 4),
                "multiplierDown": fixed(1 - band, 4),
                "multiplierDecimal": 4,
            },
        ],
        "orderTypes": list(ORDER_TYPES),
        "timeInForce": list(TIME_IN_FORCE),
    }


def premium_index(
    spec: FuturesSymbolSpec, mark: Decimal, last: FundingEvent | None, next_ms: int, now_ms: int
) -> Json:
    """Mark and index are both the last close (no index data); the funding rate is the last
    settled one (the live estimate would need the future)."""
    return {
        "symbol": spec.symbol,
        "markPrice": usd(mark),
        "indexPrice": usd(mark),
        "estimatedSettlePrice": usd(mark),
        "lastFundingRate": usd(last.rate if last else _ZERO),
        "interestRate": usd(INTEREST_RATE),
        "nextFundingTime": next_ms,
        "time": now_ms,
    }


def funding_row(spec: FuturesSymbolSpec, event: FundingEvent, mark: Decimal) -> Json:
    return {
        "symbol": spec.symbol,
        "fundingRate": usd(event.rate),
        "fundingTime": event.time_ms,
        "markPrice": usd(mark),
    }


def depth(
    spec: FuturesSymbolSpec, book: SyntheticBook, limit: int, update_id: int, now_ms: int
) -> Json:
    bids, asks = book.depth(limit)
    return {
        "lastUpdateId": update_id,
        "E": now_ms,
        "T": now_ms,
        "bids": [[price(spec, level.price), qty(spec, level.quantity)] for level in bids],
        "asks": [[price(spec, level.price), qty(spec, level.quantity)] for level in asks],
    }


def price_ticker(spec: FuturesSymbolSpec, last: Decimal, now_ms: int) -> Json:
    return {"symbol": spec.symbol, "price": price(spec, last), "time": now_ms}


def book_ticker(
    spec: FuturesSymbolSpec, book: SyntheticBook | None, update_id: int, now_ms: int
) -> Json:
    bid = book.best(OrderSide.BUY) if book else None
    ask = book.best(OrderSide.SELL) if book else None
    return {
        "lastUpdateId": update_id,
        "symbol": spec.symbol,
        "bidPrice": price(spec, bid.price if bid else _ZERO),
        "bidQty": qty(spec, bid.quantity if bid else _ZERO),
        "askPrice": price(spec, ask.price if ask else _ZERO),
        "askQty": qty(spec, ask.quantity if ask else _ZERO),
        "time": now_ms,
    }


def ticker_24hr(spec: FuturesSymbolSpec, window: Any, now_ms: int) -> Json:
    """Rolling statistics over ``window`` (``marketdata.Bars``: the last 1440 closed bars)."""
    if len(window) == 0:
        zero = price(spec, _ZERO)
        return {
            "symbol": spec.symbol, "priceChange": zero, "priceChangePercent": "0.000",
            "weightedAvgPrice": zero, "lastPrice": zero, "lastQty": qty(spec, _ZERO),
            "openPrice": zero, "highPrice": zero, "lowPrice": zero, "volume": qty(spec, _ZERO),
            "quoteVolume": "0.00", "openTime": 0, "closeTime": 0, "firstId": -1, "lastId": -1,
            "count": 0,
        }  # fmt: skip
    first, last = _dec(window.open[0]), _dec(window.close[-1])
    volume, quote = _dec(window.volume.sum()), _dec(window.quote_volume.sum())
    change = last - first
    return {
        "symbol": spec.symbol,
        "priceChange": price(spec, change),
        "priceChangePercent": fixed(change / first * 100 if first else _ZERO, 3),
        "weightedAvgPrice": price(spec, quote / volume if volume and quote else last),
        "lastPrice": price(spec, last),
        "lastQty": qty(spec, _ZERO),
        "openPrice": price(spec, first),
        "highPrice": price(spec, _dec(window.high.max())),
        "lowPrice": price(spec, _dec(window.low.min())),
        "volume": qty(spec, volume),
        "quoteVolume": fixed(quote, 2),
        "openTime": int(window.open_time[0]),
        "closeTime": int(window.open_time[-1]) + 60_000 - 1,
        "firstId": -1,
        "lastId": -1,
        "count": int(window.trades.sum()),
    }


def _dec(value: Any) -> Decimal:
    return Decimal(repr(float(value)))
