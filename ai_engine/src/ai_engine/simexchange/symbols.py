"""The one table of symbols the simulated exchange lists, with Binance's own filter values.

Values are Binance spot's published ``exchangeInfo`` filters for these symbols (2024-2025);
only symbols whose real values are known belong here.
``MARKET_LOT_SIZE`` is published with our lot step, so what exchangeInfo says is what the
matching engine enforces. Add a row to list another symbol (its data must be in the store).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain import Instrument, InstrumentId, MarketType, Venue

ASSET_PRECISION = 8  # base/quote asset precision of every listed symbol, as on Binance


@dataclass(frozen=True, slots=True, kw_only=True)
class SymbolSpec:
    instrument: Instrument
    min_price: Decimal
    max_price: Decimal
    market_max_quantity: Decimal
    max_notional: Decimal

    @property
    def symbol(self) -> str:
        return self.instrument.symbol


def _spot(
    base: str,
    quote: str,
    *,
    tick: str,
    step: str,
    min_qty: str,
    max_qty: str,
    market_max_qty: str,
    min_notional: str = "5",
    max_price: str = "1000000",
) -> SymbolSpec:
    instrument = Instrument(
        id=InstrumentId(Venue.SIM, MarketType.SPOT, base + quote),
        base_asset=base,
        quote_asset=quote,
        settlement_asset=quote,
        tick_size=Decimal(tick),
        lot_step=Decimal(step),
        min_quantity=Decimal(min_qty),
        max_quantity=Decimal(max_qty),
        min_notional=Decimal(min_notional),
    )
    return SymbolSpec(
        instrument=instrument,
        min_price=Decimal(tick),
        max_price=Decimal(max_price),
        market_max_quantity=Decimal(market_max_qty),
        max_notional=Decimal(9_000_000),
    )


SPOT_SYMBOLS: dict[str, SymbolSpec] = {
    spec.symbol: spec
    for spec in (
        _spot(
            "BTC",
            "USDT",
            tick="0.01",
            step="0.00001",
            min_qty="0.00001",
            max_qty="9000",
            market_max_qty="100",
        ),
        _spot(
            "ETH",
            "USDT",
            tick="0.01",
            step="0.0001",
            min_qty="0.0001",
            max_qty="9000",
            market_max_qty="2000",
        ),
        _spot(
            "SOL",
            "USDT",
            tick="0.01",
            step="0.001",
            min_qty="0.001",
            max_qty="9000000",
            market_max_qty="30000",  # an estimate: check against a live exchangeInfo
            max_price="10000",
        ),
        # The USDT pairs of the shared data's USD-M perpetual candles (benchmarks/soak_trader.py
        # serves them as spot bars). Tick, step and minimum quantity as Binance spot lists them
        # (2024-2025), written from its published filters without a live exchangeInfo at hand:
        # check before relying on them; the market maximums are estimates, as SOL's.
        _spot(
            "ADA",
            "USDT",
            tick="0.0001",
            step="0.1",
            min_qty="0.1",
            max_qty="9000000",
            market_max_qty="500000",
        ),
        _spot(
            "BNB",
            "USDT",
            tick="0.01",
            step="0.001",
            min_qty="0.001",
            max_qty="9000",
            market_max_qty="1000",
        ),
        _spot(
            "DOGE",
            "USDT",
            tick="0.00001",
            step="1",
            min_qty="1",
            max_qty="9000000",
            market_max_qty="5000000",
        ),
        _spot(
            "DOT",
            "USDT",
            tick="0.001",
            step="0.01",
            min_qty="0.01",
            max_qty="9000000",
            market_max_qty="100000",
        ),
        _spot(
            "LTC",
            "USDT",
            tick="0.01",
            step="0.001",
            min_qty="0.001",
            max_qty="90000",
            market_max_qty="10000",
        ),
        _spot(
            "XRP",
            "USDT",
            tick="0.0001",
            step="0.1",
            min_qty="0.1",
            max_qty="9000000",
            market_max_qty="500000",
        ),
    )
}


def spec_for(symbol: str) -> SymbolSpec:
    """The row for ``symbol``; ``KeyError`` naming what is listed if there is none."""
    try:
        return SPOT_SYMBOLS[symbol]
    except KeyError:
        raise KeyError(f"{symbol} is not in the symbol table ({', '.join(SPOT_SYMBOLS)})") from None
