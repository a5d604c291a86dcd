"""Binance's JSON shapes for spot market data (exchangeInfo, klines, depth, tickers).

Decimals print with 8 decimals, as Binance does ("27901.01000000"); times are epoch ms;
``serverTime`` is wall time. Field names and order follow Binance's documentation. Orders,
trades and the account are in ``wire_orders``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ai_engine.domain import OrderSide
from ai_engine.marketdata import Bars
from ai_engine.matching import SyntheticBook
from ai_engine.simexchange.symbols import ASSET_PRECISION, SymbolSpec

Json = dict[str, Any]

# What exchangeInfo lists (Binance's names); the order types this slice supports.
ORDER_TYPES = [
    "LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT",
]  # fmt: skip


def num(value: Decimal) -> str:
    return f"{value:.8f}"


def flt(value: float) -> str:
    return f"{value:.8f}"


# -- market data -----------------------------------------------------------------------------


def exchange_info(specs: list[SymbolSpec], server_ms: int, rate_limits: list[Json]) -> Json:
    return {
        "timezone": "UTC",
        "serverTime": server_ms,
        "rateLimits": rate_limits,
        "exchangeFilters": [],
        "symbols": [symbol_info(spec) for spec in specs],
    }


def rate_limits(weight: int, per_10s: int, per_day: int) -> list[Json]:
    return [
        {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": weight,
        },
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": per_10s},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": per_day},
    ]


def symbol_info(spec: SymbolSpec) -> Json:
    inst = spec.instrument
    zero = num(Decimal(0))
    return {
        "symbol": inst.symbol,
        "status": "TRADING",
        "baseAsset": inst.base_asset,
        "baseAssetPrecision": ASSET_PRECISION,
        "quoteAsset": inst.quote_asset,
        "quotePrecision": ASSET_PRECISION,
        "quoteAssetPrecision": ASSET_PRECISION,
        "baseCommissionPrecision": ASSET_PRECISION,
        "quoteCommissionPrecision": ASSET_PRECISION,
        "orderTypes": list(ORDER_TYPES),
        "icebergAllowed": False,
        "ocoAllowed": True,
        "otoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": False,
        "amendAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": num(spec.min_price),
                "maxPrice": num(spec.max_price),
                "tickSize": num(inst.tick_size),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": num(inst.min_quantity),
                "maxQty": num(inst.max_quantity or Decimal(0)),
                "stepSize": num(inst.lot_step),
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": zero,
                "maxQty": num(spec.market_max_quantity),
                "stepSize": zero,
            },
            {
                "filterType": "NOTIONAL",
                "minNotional": num(inst.min_notional),
                "applyMinToMarket": True,
                "maxNotional": num(spec.max_notional),
                "applyMaxToMarket": False,
                "avgPriceMins": 5,
            },
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "NONE",
        "allowedSelfTradePreventionModes": ["NONE"],
    }


def kline_rows(bars: Bars, step_ms: int) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for i in range(len(bars)):
        opened = int(bars.open_time[i])
        rows.append(
            [
                opened,
                flt(bars.open[i]),
                flt(bars.high[i]),
                flt(bars.low[i]),
                flt(bars.close[i]),
                flt(bars.volume[i]),
                opened + step_ms - 1,
                flt(bars.quote_volume[i]),
                int(bars.trades[i]),
                flt(bars.taker_buy_volume[i]),
                flt(bars.taker_buy_quote_volume[i]),
                "0",
            ]
        )
    return rows


def depth(book: SyntheticBook, limit: int, update_id: int) -> Json:
    bids, asks = book.depth(limit)
    return {
        "lastUpdateId": update_id,
        "bids": [[num(level.price), num(level.quantity)] for level in bids],
        "asks": [[num(level.price), num(level.quantity)] for level in asks],
    }


def price_ticker(symbol: str, price: Decimal) -> Json:
    return {"symbol": symbol, "price": num(price)}


def book_ticker(symbol: str, book: SyntheticBook) -> Json:
    bid, ask = book.best(OrderSide.BUY), book.best(OrderSide.SELL)
    zero = Decimal(0)
    return {
        "symbol": symbol,
        "bidPrice": num(bid.price if bid else zero),
        "bidQty": num(bid.quantity if bid else zero),
        "askPrice": num(ask.price if ask else zero),
        "askQty": num(ask.quantity if ask else zero),
    }


def empty_book_ticker(symbol: str) -> Json:
    zero = num(Decimal(0))
    return {"symbol": symbol, "bidPrice": zero, "bidQty": zero, "askPrice": zero, "askQty": zero}


def empty_ticker_24hr(symbol: str) -> Json:
    """Before the first bar closed: every figure zero, ids -1 (as Binance for idle symbols)."""
    zero = num(Decimal(0))
    body: Json = dict.fromkeys(_TICKER_DECIMALS, zero)
    body["priceChangePercent"] = "0.000"
    return {
        "symbol": symbol,
        **body,
        "openTime": 0,
        "closeTime": 0,
        "firstId": -1,
        "lastId": -1,
        "count": 0,
    }


_TICKER_DECIMALS = (
    "priceChange", "priceChangePercent", "weightedAvgPrice", "prevClosePrice", "lastPrice",
    "lastQty", "bidPrice", "bidQty", "askPrice", "askQty", "openPrice", "highPrice", "lowPrice",
    "volume", "quoteVolume",
)  # fmt: skip


def ticker_24hr(
    symbol: str, window: Bars, previous_close: float | None, book: SyntheticBook
) -> Json:
    """Rolling statistics over ``window`` (the last 1440 closed 1m bars)."""
    first_open, last = float(window.open[0]), float(window.close[-1])
    volume, quote = float(window.volume.sum()), float(window.quote_volume.sum())
    change = last - first_open
    top = book_ticker(symbol, book)
    return {
        "symbol": symbol,
        "priceChange": flt(change),
        "priceChangePercent": f"{(change / first_open * 100) if first_open else 0.0:.3f}",
        "weightedAvgPrice": flt(quote / volume if volume else 0.0),
        "prevClosePrice": flt(previous_close if previous_close is not None else first_open),
        "lastPrice": flt(last),
        "lastQty": flt(0.0),
        "bidPrice": top["bidPrice"],
        "bidQty": top["bidQty"],
        "askPrice": top["askPrice"],
        "askQty": top["askQty"],
        "openPrice": flt(first_open),
        "highPrice": flt(float(window.high.max())),
        "lowPrice": flt(float(window.low.min())),
        "volume": flt(volume),
        "quoteVolume": flt(quote),
        "openTime": int(window.open_time[0]),
        "closeTime": int(window.open_time[-1]) + 60_000 - 1,
        "firstId": -1,
        "lastId": -1,
        "count": int(window.trades.sum()),
    }
