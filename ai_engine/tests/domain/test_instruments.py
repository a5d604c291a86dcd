from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ai_engine.domain import (
    DomainValueError,
    FilterViolation,
    Instrument,
    InstrumentId,
    MarketType,
    OrderFilter,
    OrderSide,
    Price,
    Quantity,
    RejectedError,
    Rounding,
    Venue,
)
from ai_engine.domain.instrument_examples import (
    alpaca_stock,
    binance_spot_btcusdt,
    binance_usdm_btcusdt,
    oanda_pair,
)

SPOT = binance_spot_btcusdt()
PERP = binance_usdm_btcusdt()


@pytest.mark.parametrize(
    ("raw", "rounding", "expected"),
    [
        ("65000.017", Rounding.DOWN, "65000.01"),
        ("65000.011", Rounding.UP, "65000.02"),
        ("65000.014", Rounding.NEAREST, "65000.01"),
        ("65000.015", Rounding.NEAREST, "65000.02"),
        ("65000.01", Rounding.UP, "65000.01"),  # already on the grid: unchanged
        ("65000.01", Rounding.DOWN, "65000.01"),
    ],
)
def test_price_rounds_to_tick_in_the_asked_direction(
    raw: str, rounding: Rounding, expected: str
) -> None:
    rounded = SPOT.round_price(Price(raw), rounding)
    assert rounded == Price(expected)
    assert str(rounded) == expected  # tick "0.01000000" was tidied: no trailing zeros


def test_limit_prices_round_passively() -> None:
    assert SPOT.round_limit_price(Price("100.019"), OrderSide.BUY) == Price("100.01")
    assert SPOT.round_limit_price(Price("100.011"), OrderSide.SELL) == Price("100.02")
    assert PERP.round_limit_price(Decimal("64999.95"), OrderSide.BUY) == Price("64999.9")


def test_price_below_one_tick_cannot_round_down_to_zero() -> None:
    with pytest.raises(DomainValueError, match="below one tick"):
        SPOT.round_price(Price("0.004"), Rounding.DOWN)
    assert SPOT.round_price(Price("0.004"), Rounding.UP) == Price("0.01")


@pytest.mark.parametrize(
    ("instrument", "raw", "expected"),
    [
        (SPOT, "0.123456789", "0.12345"),
        (PERP, "1.9999", "1.999"),
        (oanda_pair("EUR", "USD"), "1500.9", "1500"),
        (alpaca_stock("AAPL", fractional=False), "3.99", "3"),
        (alpaca_stock("AAPL"), "0.1234567899", "0.123456789"),
    ],
)
def test_quantity_always_rounds_down_to_the_lot_step(
    instrument: Instrument, raw: str, expected: str
) -> None:
    assert instrument.round_quantity(Quantity(raw)) == Quantity(expected)


@pytest.mark.parametrize(
    ("price", "quantity", "failed"),
    [
        ("65000.005", "0.001", OrderFilter.TICK_SIZE),
        ("65000.00", "0.000015", OrderFilter.LOT_STEP),
        ("65000.00", "0", OrderFilter.MIN_QUANTITY),
        ("65000.00", "9000.00001", OrderFilter.MAX_QUANTITY),
        ("100.00", "0.0001", OrderFilter.MIN_NOTIONAL),  # 0.01 USDT < 5 USDT
    ],
)
def test_check_order_names_the_failed_filter(
    price: str, quantity: str, failed: OrderFilter
) -> None:
    with pytest.raises(FilterViolation) as caught:
        SPOT.check_order(Price(price), Quantity(quantity))
    assert caught.value.filter is failed
    assert failed.value in str(caught.value)
    assert isinstance(caught.value, RejectedError)  # the retry policy: do not retry as is


def test_check_order_passes_a_good_order_and_skips_notional_without_price() -> None:
    SPOT.check_order(Price("65000.01"), Quantity("0.0001"))  # 6.5 USDT >= 5
    SPOT.check_order(None, Quantity("0.00001"))  # market order without a reference price
    with pytest.raises(FilterViolation, match="min_notional"):
        PERP.check_order(Price("65000.0"), Quantity("0.001"))  # 65 USDT < 100


def test_min_notional_uses_the_contract_multiplier() -> None:
    contract = Instrument(
        id=InstrumentId(Venue.SIM, MarketType.USDM, "XBT100"),
        base_asset="BTC",
        quote_asset="USD",
        settlement_asset="USD",
        tick_size=Decimal("0.5"),
        lot_step=Decimal(1),
        min_quantity=Decimal(1),
        min_notional=Decimal(100),
        contract_multiplier=Decimal("0.01"),
    )
    contract.check_order(Price("10000"), Quantity(1))  # 1 contract = 100 USD
    with pytest.raises(FilterViolation, match="min_notional"):
        contract.check_order(Price("9999.5"), Quantity(1))
    with pytest.raises(FilterViolation, match="tick_size"):
        contract.check_order(Price("10000.2"), Quantity(1))


@pytest.mark.parametrize(
    ("pair", "pip", "tick"),
    [(("EUR", "USD"), "0.0001", "0.00001"), (("USD", "JPY"), "0.01", "0.001")],
)
def test_forex_pairs_have_pip_sizes_and_integer_units(
    pair: tuple[str, str], pip: str, tick: str
) -> None:
    instrument = oanda_pair(*pair)
    assert instrument.symbol == f"{pair[0]}_{pair[1]}"
    assert instrument.pip_size == Decimal(pip)
    assert instrument.tick_size == Decimal(tick)
    assert not instrument.allows_fractional
    assert instrument.from_pips(15) == Decimal(pip) * 15
    assert instrument.to_pips(Decimal(pip) * 12) == 12
    with pytest.raises(FilterViolation, match="lot_step"):
        instrument.check_order(None, Quantity("1000.5"))
    instrument.check_order(None, Quantity(1))


def test_pips_need_a_pip_size() -> None:
    with pytest.raises(DomainValueError, match="pip"):
        SPOT.to_pips(Decimal("0.01"))


def test_stocks_fractional_or_whole_shares() -> None:
    assert alpaca_stock("AAPL").allows_fractional
    whole = alpaca_stock("AAPL", fractional=False)
    assert not whole.allows_fractional
    with pytest.raises(FilterViolation, match="lot_step"):
        whole.check_order(Price("190.00"), Quantity("0.5"))
    with pytest.raises(FilterViolation, match="min_notional"):
        alpaca_stock("F").check_order(Price("12.00"), Quantity("0.05"))  # 0.60 USD < 1


def test_spot_and_perpetual_with_the_same_symbol_are_different_instruments() -> None:
    assert SPOT.symbol == PERP.symbol
    assert SPOT.id != PERP.id
    assert str(PERP.id) == "binance:usdm:BTCUSDT"
    assert InstrumentId.parse(str(PERP.id)) == PERP.id


@pytest.mark.parametrize(
    "bad",
    [{"tick_size": Decimal(0)}, {"lot_step": Decimal("-1")}, {"min_quantity": Decimal("-1")}],
)
def test_instrument_refuses_bad_filters(bad: dict[str, Decimal]) -> None:
    fields: dict[str, Any] = {
        "id": SPOT.id,
        "base_asset": "BTC",
        "quote_asset": "USDT",
        "settlement_asset": "USDT",
        "tick_size": Decimal("0.01"),
        "lot_step": Decimal("0.001"),
        "min_quantity": Decimal("0.001"),
    }
    with pytest.raises(DomainValueError):
        Instrument(**(fields | bad))


def test_instrument_refuses_float_filters() -> None:
    with pytest.raises(TypeError):
        Instrument(
            id=SPOT.id,
            base_asset="BTC",
            quote_asset="USDT",
            settlement_asset="USDT",
            tick_size=0.01,  # type: ignore[arg-type]
            lot_step=Decimal("0.001"),
            min_quantity=Decimal("0.001"),
        )
