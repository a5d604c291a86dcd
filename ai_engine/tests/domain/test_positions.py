from __future__ import annotations

from decimal import Decimal

import pytest

from ai_engine.domain import (
    DomainValueError,
    Instrument,
    InstrumentId,
    MarketType,
    Money,
    OrderSide,
    Position,
    PositionSide,
    Price,
    Venue,
)
from ai_engine.domain.instrument_examples import binance_spot_btcusdt, binance_usdm_btcusdt

from .factories import at, make_fill

PERP = binance_usdm_btcusdt()
BUY, SELL = OrderSide.BUY, OrderSide.SELL


def trade(
    position: Position,
    side: OrderSide,
    quantity: str,
    price: str,
    fee: str = "0",
    *,
    second: int = 0,
    instrument: Instrument = PERP,
) -> Position:
    fill = make_fill(
        instrument=instrument,
        side=side,
        quantity=quantity,
        price=price,
        fee=fee,
        trade_id=f"t{second}",
        ts=at(second),
    )
    return position.apply_fill(fill)


def test_open_increase_partial_close_and_close_a_long() -> None:
    pos = trade(Position.flat(PERP), BUY, "1", "100", "0.1", second=1)
    assert pos.side is PositionSide.LONG
    assert pos.quantity.value == 1
    assert pos.avg_entry_price == 100
    assert pos.realised_pnl_net == Decimal("-0.1")  # the entry fee is already a cost
    assert pos.opened_at == at(1)

    pos = trade(pos, BUY, "1", "110", "0.1", second=2)
    assert pos.quantity.value == 2
    assert pos.avg_entry_price == 105
    assert pos.opened_at == at(1)  # adding does not restart the leg

    pos = trade(pos, SELL, "0.5", "120", second=3)
    assert pos.realised_pnl_gross == Decimal("7.5")  # 0.5 * (120 - 105)
    assert pos.avg_entry_price == 105
    assert pos.unrealised_pnl(Price("100")) == Decimal("-7.5")  # 1.5 * (100 - 105)

    pos = trade(pos, SELL, "1.5", "100", second=4)
    assert pos.is_flat
    assert pos.cost_basis == 0
    assert pos.avg_entry_price is None
    assert pos.opened_at is None
    assert pos.realised_pnl_gross == 0  # +7.5 then -7.5
    assert pos.realised_pnl_net == Decimal("-0.2")
    assert pos.unrealised_pnl(Price("1")) == 0


def test_short_profits_when_price_falls() -> None:
    pos = trade(Position.flat(PERP), SELL, "2", "90")
    assert pos.side is PositionSide.SHORT
    assert pos.signed_quantity == -2
    assert pos.unrealised_pnl(Price("80")) == 20
    pos = trade(pos, BUY, "2", "85", second=1)
    assert pos.is_flat
    assert pos.realised_pnl_gross == 10


def test_flip_through_zero_in_one_fill() -> None:
    pos = trade(Position.flat(PERP), BUY, "1", "100", second=1)
    pos = trade(pos, SELL, "3", "90", "0.27", second=2)
    assert pos.side is PositionSide.SHORT
    assert pos.quantity.value == 2
    assert pos.avg_entry_price == 90  # the new leg is entered at the flip price
    assert pos.cost_basis == 180
    assert pos.realised_pnl_gross == -10  # only the closing 1 realises
    assert pos.fees_paid == Decimal("0.27")
    assert pos.opened_at == at(2)  # a new leg
    pos = trade(pos, BUY, "4", "95", second=3)
    assert pos.side is PositionSide.LONG
    assert pos.realised_pnl_gross == -20  # -10 + 2 * (90 - 95)
    assert pos.cost_basis == 190


def test_partial_close_of_an_uneven_average_still_adds_up_exactly() -> None:
    pos = trade(Position.flat(PERP), BUY, "1", "10", second=1)
    pos = trade(pos, BUY, "2", "11", second=2)  # cost 32 for 3: average 10.666...
    pos = trade(pos, SELL, "1", "12", second=3)
    assert pos.realised_pnl_gross == Decimal("1.333333333333333333")
    pos = trade(pos, SELL, "2", "12", second=4)
    assert pos.realised_pnl_gross == 4  # 36 - 32, to the last digit


def test_funding_is_part_of_net_realised_pnl() -> None:
    pos = trade(Position.flat(PERP), BUY, "0.01", "60000", "0.24")
    pos = pos.apply_funding(Money("-0.06", "USDT"), at(8 * 3600))
    pos = pos.apply_funding(Money("0.02", "USDT"), at(16 * 3600))
    assert pos.funding == Decimal("-0.04")
    assert pos.realised_pnl_net == Decimal("-0.28")  # 0 - 0.24 + (-0.04)
    assert pos.updated_at == at(16 * 3600)
    with pytest.raises(DomainValueError, match="BTC"):
        pos.apply_funding(Money("0.01", "BTC"), at(9))


def test_fees_in_another_asset_need_a_settlement_value() -> None:
    spot = binance_spot_btcusdt()
    bnb_fee = make_fill(instrument=spot, fee="0.0002", fee_asset="BNB")
    with pytest.raises(DomainValueError, match="fee_in_settlement"):
        Position.flat(spot).apply_fill(bnb_fee)
    pos = Position.flat(spot).apply_fill(bnb_fee, fee_in_settlement=Decimal("0.12"))
    assert pos.fees_paid == Decimal("0.12")
    rebate = make_fill(instrument=spot, fee="-0.01", trade_id="t2", side=SELL)
    assert pos.apply_fill(rebate).fees_paid == Decimal("0.11")


def test_fill_for_another_instrument_is_refused() -> None:
    with pytest.raises(DomainValueError, match="applied to"):
        Position.flat(PERP).apply_fill(make_fill(instrument=binance_spot_btcusdt()))


def test_contract_multiplier_scales_pnl() -> None:
    contract = Instrument(
        id=InstrumentId(Venue.SIM, MarketType.USDM, "BTC-0.01"),
        base_asset="BTC",
        quote_asset="USD",
        settlement_asset="USD",
        tick_size=Decimal("0.5"),
        lot_step=Decimal(1),
        min_quantity=Decimal(1),
        contract_multiplier=Decimal("0.01"),
    )
    pos = trade(Position.flat(contract), BUY, "10", "60000", instrument=contract)
    assert pos.avg_entry_price == 60000
    assert pos.unrealised_pnl(Price("61000")) == 100  # 10 contracts * 0.01 BTC * 1000
    pos = trade(pos, SELL, "10", "59000", second=1, instrument=contract)
    assert pos.realised_pnl_gross == -100


def test_inconsistent_positions_cannot_be_built() -> None:
    with pytest.raises(DomainValueError):
        Position(instrument_id=PERP.id, settlement_asset="USDT", side=PositionSide.LONG)
