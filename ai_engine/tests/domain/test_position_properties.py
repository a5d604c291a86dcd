"""Position accounting against plain cash-flow accounting, for random fill sequences."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ai_engine.domain import (
    Fill,
    Instrument,
    InstrumentId,
    LiquiditySide,
    MarketType,
    Money,
    OrderSide,
    Position,
    Price,
    Quantity,
    Venue,
)
from ai_engine.domain.instrument_examples import (
    alpaca_stock,
    binance_spot_btcusdt,
    binance_usdm_btcusdt,
    oanda_pair,
)

from .factories import PROPERTY_SETTINGS, at

INSTRUMENTS = [
    binance_spot_btcusdt(),
    binance_usdm_btcusdt(),
    oanda_pair("USD", "JPY"),
    alpaca_stock("AAPL"),
    Instrument(
        id=InstrumentId(Venue.SIM, MarketType.USDM, "QUARTER"),
        base_asset="BTC",
        quote_asset="USD",
        settlement_asset="USD",
        tick_size=Decimal("0.25"),
        lot_step=Decimal(3),
        min_quantity=Decimal(3),
        contract_multiplier=Decimal("0.01"),
    ),
]
FEE_UNIT = Decimal("0.00000001")


@dataclass(frozen=True)
class Step:
    side: OrderSide
    lots: int
    ticks: int
    fee_units: int  # negative: a maker rebate
    funding_units: int  # 0: no funding payment at this step
    mark_ticks: int


steps = st.builds(
    Step,
    side=st.sampled_from(list(OrderSide)),
    lots=st.integers(min_value=1, max_value=5_000),
    ticks=st.integers(min_value=1, max_value=10_000_000),
    fee_units=st.integers(min_value=-1_000, max_value=10**7),
    funding_units=st.one_of(st.just(0), st.integers(min_value=-(10**6), max_value=10**6)),
    mark_ticks=st.integers(min_value=1, max_value=10_000_000),
)


def fill_for(
    instrument: Instrument, side: OrderSide, qty: Decimal, px: Decimal, fee: Decimal, n: int
) -> Fill:
    return Fill(
        client_order_id=f"o{n}",
        venue_order_id=None,
        trade_id=f"t{n}",
        instrument_id=instrument.id,
        side=side,
        price=Price(px),
        quantity=Quantity(qty),
        fee=Money(fee, instrument.settlement_asset),
        liquidity=LiquiditySide.MAKER if fee < 0 else LiquiditySide.TAKER,
        ts=at(n),
    )


@PROPERTY_SETTINGS
@given(
    instrument=st.sampled_from(INSTRUMENTS),
    script=st.lists(steps, min_size=1, max_size=30),
    exit_ticks=st.integers(min_value=1, max_value=10_000_000),
    exit_fee_units=st.integers(min_value=0, max_value=10**6),
)
def test_realised_plus_unrealised_equals_cash_flow(
    instrument: Instrument, script: list[Step], exit_ticks: int, exit_fee_units: int
) -> None:
    mult = instrument.contract_multiplier
    position = Position.flat(instrument)
    sell_proceeds = buy_costs = fees = funding = Decimal(0)
    net_quantity = Decimal(0)
    for n, step in enumerate(script):
        qty, px = instrument.lot_step * step.lots, instrument.tick_size * step.ticks
        fee = FEE_UNIT * step.fee_units
        position = position.apply_fill(fill_for(instrument, step.side, qty, px, fee, n))
        if step.side is OrderSide.BUY:
            buy_costs += qty * px * mult
            net_quantity += qty
        else:
            sell_proceeds += qty * px * mult
            net_quantity -= qty
        fees += fee
        if step.funding_units:
            payment = FEE_UNIT * step.funding_units
            position = position.apply_funding(Money(payment, instrument.settlement_asset), at(n))
            funding += payment

        assert position.signed_quantity == net_quantity
        mark = instrument.tick_size * step.mark_ticks
        cash = sell_proceeds - buy_costs - fees + funding
        books = position.realised_pnl_net + position.unrealised_pnl(Price(mark))
        assert books == cash + net_quantity * mark * mult  # exact Decimal equality

    if net_quantity:  # close what is left, then the books must equal the cash, exactly
        side = OrderSide.SELL if net_quantity > 0 else OrderSide.BUY
        qty, px = abs(net_quantity), instrument.tick_size * exit_ticks
        fee = FEE_UNIT * exit_fee_units
        position = position.apply_fill(fill_for(instrument, side, qty, px, fee, len(script)))
        if side is OrderSide.BUY:
            buy_costs += qty * px * mult
        else:
            sell_proceeds += qty * px * mult
        fees += fee
    assert position.is_flat
    assert position.cost_basis == 0
    assert position.realised_pnl_net == sell_proceeds - buy_costs - fees + funding
    assert position.realised_pnl_gross == sell_proceeds - buy_costs


@PROPERTY_SETTINGS
@given(
    entries=st.lists(
        st.tuples(st.integers(1, 1000), st.integers(1, 10**6)), min_size=1, max_size=8
    ),
    exits=st.lists(st.integers(1, 1000), min_size=1, max_size=8),
)
def test_partial_closes_keep_the_average_entry_price(
    entries: list[tuple[int, int]], exits: list[int]
) -> None:
    instrument = INSTRUMENTS[1]
    position = Position.flat(instrument)
    for n, (lots, ticks) in enumerate(entries):
        fill = fill_for(
            instrument,
            OrderSide.BUY,
            instrument.lot_step * lots,
            instrument.tick_size * ticks,
            Decimal(0),
            n,
        )
        position = position.apply_fill(fill)
    average = position.avg_entry_price
    assert average is not None
    for n, lots in enumerate(exits, start=len(entries)):
        qty = min(instrument.lot_step * lots, position.quantity.value)
        if qty == position.quantity.value:
            break
        position = position.apply_fill(
            fill_for(instrument, OrderSide.SELL, qty, Price("1").value, Decimal(0), n)
        )
        current = position.avg_entry_price
        assert current is not None
        assert abs(current - average) < Decimal("1e-12")  # pro-rata rounding stays invisible
