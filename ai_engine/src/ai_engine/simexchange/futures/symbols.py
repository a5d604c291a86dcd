"""The USD-M perpetuals the simulated exchange lists, with Binance's own filter values.

Values are Binance's published USD-M ``exchangeInfo`` filters and leverage brackets for these
symbols (2024-2025); a value that could not be checked says so, and the seven perpetuals
after BTCUSDT and ETHUSDT (``_recalled``) are recalled values, not checked against the
venue. Add a row to list another perpetual (its USD-M 1m bars, and ideally funding events,
must be in the store).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain import Instrument, InstrumentId, MarketType, Venue
from ai_engine.matching.futures import BTCUSDT_BRACKETS, BracketTable


@dataclass(frozen=True, slots=True, kw_only=True)
class FuturesSymbolSpec:
    instrument: Instrument
    brackets: BracketTable
    min_price: Decimal
    max_price: Decimal
    market_max_quantity: Decimal  # MARKET_LOT_SIZE
    price_precision: int  # decimals Binance prints prices with
    quantity_precision: int
    onboard_ms: int
    max_orders: int = 200  # MAX_NUM_ORDERS
    max_algo_orders: int = 10  # MAX_NUM_ALGO_ORDERS
    price_band: Decimal = Decimal("0.05")  # PERCENT_PRICE: multiplierUp 1.05 / Down 0.95
    liquidation_fee: Decimal = Decimal("0.0125")  # published; see docs for what we charge

    @property
    def symbol(self) -> str:
        return self.instrument.symbol


USDM_SYMBOLS: dict[str, FuturesSymbolSpec] = {
    "BTCUSDT": FuturesSymbolSpec(
        instrument=Instrument(
            id=InstrumentId(Venue.SIM, MarketType.USDM, "BTCUSDT"),
            base_asset="BTC",
            quote_asset="USDT",
            settlement_asset="USDT",
            tick_size=Decimal("0.10"),
            lot_step=Decimal("0.001"),
            min_quantity=Decimal("0.001"),
            max_quantity=Decimal("1000"),
            min_notional=Decimal("100"),
        ),
        brackets=BTCUSDT_BRACKETS,
        min_price=Decimal("556.80"),
        max_price=Decimal("4529764"),
        market_max_quantity=Decimal("120"),
        price_precision=2,
        quantity_precision=3,
        onboard_ms=1569398400000,  # 2019-09-25, the contract's listing
    ),
    "ETHUSDT": FuturesSymbolSpec(
        instrument=Instrument(
            id=InstrumentId(Venue.SIM, MarketType.USDM, "ETHUSDT"),
            base_asset="ETH",
            quote_asset="USDT",
            settlement_asset="USDT",
            tick_size=Decimal("0.01"),
            lot_step=Decimal("0.001"),
            min_quantity=Decimal("0.001"),
            max_quantity=Decimal("10000"),
            min_notional=Decimal("20"),
        ),
        # Binance's own ETHUSDT table is not at hand (it differs from BTCUSDT's above the
        # first brackets and changes over time); BTCUSDT's stands in until it is.
        brackets=BTCUSDT_BRACKETS,
        # PRICE_FILTER bounds as Binance listed them in 2020-2024 (they are revised now and
        # then); orders stay near the mark anyway (PERCENT_PRICE), so only the tick matters.
        min_price=Decimal("39.86"),
        max_price=Decimal("306177"),
        market_max_quantity=Decimal("8000"),  # MARKET_LOT_SIZE maxQty: unverified
        price_precision=2,
        quantity_precision=3,
        onboard_ms=1574812800000,  # 2019-11-27, the first ETHUSDT funding event in the data
    ),
}


def _recalled(
    symbol: str, tick: str, step: str, max_qty: str, notional: str, onboard_ms: int
) -> FuturesSymbolSpec:
    """A perpetual whose filters are Binance's published USD-M values **as recalled, not
    checked against a live exchangeInfo** (no network here): tick, lot step (= minimum
    quantity), LOT_SIZE maximum and MIN_NOTIONAL. Unverified: the PRICE_FILTER bounds (set
    wide: PERCENT_PRICE keeps orders near the mark anyway), MARKET_LOT_SIZE (= LOT_SIZE's) and
    the brackets (BTCUSDT's stand in). Good for replays and soaks of these symbols' real bars;
    check them against the venue before trusting a margin figure."""
    base = symbol.removesuffix("USDT")
    tick_size, lot_step = Decimal(tick), Decimal(step)
    return FuturesSymbolSpec(
        instrument=Instrument(
            id=InstrumentId(Venue.SIM, MarketType.USDM, symbol),
            base_asset=base,
            quote_asset="USDT",
            settlement_asset="USDT",
            tick_size=tick_size,
            lot_step=lot_step,
            min_quantity=lot_step,
            max_quantity=Decimal(max_qty),
            min_notional=Decimal(notional),
        ),
        brackets=BTCUSDT_BRACKETS,
        min_price=tick_size,
        max_price=Decimal(1_000_000),
        market_max_quantity=Decimal(max_qty),
        price_precision=max(0, -tick_size.normalize().as_tuple().exponent),  # type: ignore[operator]
        quantity_precision=max(0, -lot_step.normalize().as_tuple().exponent),  # type: ignore[operator]
        onboard_ms=onboard_ms,
    )


# The other perpetuals of the shared data's 2025 month (``make soak``), values as recalled.
USDM_SYMBOLS.update(
    {
        spec.symbol: spec
        for spec in (
            _recalled("ADAUSDT", "0.0001", "1", "10000000", "5", 1580428800000),  # 2020-01-31
            _recalled("BNBUSDT", "0.01", "0.01", "100000", "5", 1581292800000),  # 2020-02-10
            _recalled("DOGEUSDT", "0.00001", "1", "50000000", "5", 1594339200000),  # 2020-07-10
            _recalled("DOTUSDT", "0.001", "0.1", "1000000", "5", 1597968000000),  # 2020-08-21
            _recalled("LTCUSDT", "0.01", "0.001", "100000", "20", 1578528000000),  # 2020-01-09
            _recalled("SOLUSDT", "0.01", "1", "1000000", "5", 1600041600000),  # 2020-09-14
            _recalled("XRPUSDT", "0.0001", "0.1", "10000000", "5", 1578268800000),  # 2020-01-06
        )
    }
)


def futures_spec_for(symbol: str) -> FuturesSymbolSpec:
    """The row for ``symbol``; ``KeyError`` naming what is listed if there is none."""
    try:
        return USDM_SYMBOLS[symbol]
    except KeyError:
        listed = ", ".join(USDM_SYMBOLS)
        raise KeyError(f"{symbol} is not in the USD-M symbol table ({listed})") from None
