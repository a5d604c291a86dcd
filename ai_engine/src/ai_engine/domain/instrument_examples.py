"""Ready-made instruments with real-looking filters, for tests, demos and docs.

The numbers are what each venue published for these symbols when this was written; live code
must load current filters from the venue (they change) instead of using these.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from ai_engine.domain.enums import MarketType, Venue
from ai_engine.domain.instruments import Instrument, InstrumentId
from ai_engine.domain.trading_hours import FOREX_HOURS, NYSE_REGULAR_HOURS


def binance_spot_btcusdt() -> Instrument:
    return Instrument(
        id=InstrumentId(Venue.BINANCE, MarketType.SPOT, "BTCUSDT"),
        base_asset="BTC",
        quote_asset="USDT",
        settlement_asset="USDT",
        tick_size=Decimal("0.01000000"),  # as sent in exchangeInfo; tidied to 0.01
        lot_step=Decimal("0.00001000"),
        min_quantity=Decimal("0.00001"),
        max_quantity=Decimal("9000"),
        min_notional=Decimal("5"),
    )


def binance_usdm_btcusdt() -> Instrument:
    """The USDT-margined BTCUSDT perpetual: linear, one contract = 1 BTC, P&L in USDT."""
    return Instrument(
        id=InstrumentId(Venue.BINANCE, MarketType.USDM, "BTCUSDT"),
        base_asset="BTC",
        quote_asset="USDT",
        settlement_asset="USDT",
        tick_size=Decimal("0.10"),
        lot_step=Decimal("0.001"),
        min_quantity=Decimal("0.001"),
        max_quantity=Decimal("1000"),
        min_notional=Decimal("100"),
    )


def oanda_pair(base: str, quote: str) -> Instrument:
    """An OANDA spot-forex pair: integer units, pip 0.0001 (0.01 when JPY is the quote)."""
    jpy = quote == "JPY"
    return Instrument(
        id=InstrumentId(Venue.OANDA, MarketType.FOREX, f"{base}_{quote}"),
        base_asset=base,
        quote_asset=quote,
        settlement_asset=quote,
        tick_size=Decimal("0.001") if jpy else Decimal("0.00001"),  # fractional pips
        lot_step=Decimal(1),
        min_quantity=Decimal(1),
        pip_size=Decimal("0.01") if jpy else Decimal("0.0001"),
        trading_hours=FOREX_HOURS,
    )


def alpaca_stock(
    symbol: str, *, fractional: bool = True, holidays: frozenset[date] = frozenset()
) -> Instrument:
    """A US stock on Alpaca: cents, regular hours; fractional shares down to 1e-9 (min $1)."""
    hours = replace(NYSE_REGULAR_HOURS, closed_dates=holidays)
    return Instrument(
        id=InstrumentId(Venue.ALPACA, MarketType.STOCK, symbol),
        base_asset=symbol,
        quote_asset="USD",
        settlement_asset="USD",
        tick_size=Decimal("0.01"),
        lot_step=Decimal("0.000000001") if fractional else Decimal(1),
        min_quantity=Decimal("0.000000001") if fractional else Decimal(1),
        min_notional=Decimal(1) if fractional else Decimal(0),
        trading_hours=hours,
    )
