"""Spot commissions paid in BNB (matching/bnb.py, settlement.py): when, how much, what moves.

The venue lists BTCUSDT and a BNBUSDT market whose last close is the BNB price. Books from
``factories.PARAMS``: a BTCUSDT close of 20000 gives asks 20001, 20003, ... of 1 BTC each.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ai_engine.domain import Instrument, InstrumentId, LiquiditySide, MarketType, OrderSide, Venue
from ai_engine.matching import FeeRates, MatchingEngine, OrderRejected
from ai_engine.matching.bnb import bnb_price
from ai_engine.matching.market import Market

from .factories import BTC, PARAMS, bar, close_ms, limit, market

D = Decimal
EIGHT = D("0.00000001")
# A test instrument: the engine needs its grid, not Binance's real BNBUSDT filters.
BNBUSDT = Instrument(
    id=InstrumentId(Venue.SIM, MarketType.SPOT, "BNBUSDT"),
    base_asset="BNB",
    quote_asset="USDT",
    settlement_asset="USDT",
    tick_size=D("0.01"),
    lot_step=D("0.001"),
    min_quantity=D("0.001"),
    max_quantity=D("100000"),
    min_notional=D("5"),
)
SPOT_BNB = FeeRates().with_bnb(D("0.25"))


def venue(
    *, bnb: str = "1", fees: FeeRates = SPOT_BNB, bnb_close: str | None = "300"
) -> MatchingEngine:
    engine = MatchingEngine([BTC, BNBUSDT], PARAMS)
    engine.open_account("acct", {"USDT": D(1_000_000), "BTC": D(10), "BNB": D(bnb)}, fees)
    if bnb_close is not None:
        engine.on_bar("BNBUSDT", bar(0, bnb_close, instrument=BNBUSDT))
    engine.on_bar("BTCUSDT", bar(0, "20000"))
    return engine


def in_bnb(price: str, quantity: str, rate: str, bnb: str, discount: str = "0.25") -> Decimal:
    """The expected amount, computed here from the rule's words."""
    value = D(price) * D(quantity) * D(rate) * (1 - D(discount))
    return (value / D(bnb)).quantize(EIGHT, rounding=ROUND_HALF_EVEN)


def test_a_taker_buy_pays_discounted_commission_in_bnb_and_receives_all_its_base() -> None:
    engine = venue()
    (fill,) = engine.submit(market(OrderSide.BUY, "1"), close_ms(0)).fills
    expected = in_bnb("20001", "1", "0.001", "300")
    assert expected == D("0.05000250")  # 20.001 USDT x 0.75 / 300
    assert (fill.commission, fill.commission_asset) == (expected, "BNB")
    ledger = engine.ledger("acct")
    assert ledger.free("BTC") == D(11)  # nothing kept back from the base received
    assert ledger.free("BNB") == 1 - expected
    assert ledger.free("USDT") == D(1_000_000) - D(20001)


def test_a_sell_and_a_maker_fill_pay_in_bnb_at_their_own_rate() -> None:
    rates = FeeRates(maker=D("0.0004"), taker=D("0.0006"), bnb_discount=D("0.25"))
    engine = venue(fees=rates)
    (sold,) = engine.submit(market(OrderSide.SELL, "1"), close_ms(0)).fills
    assert sold.price == D("19999")
    assert (sold.commission, sold.commission_asset) == (
        in_bnb("19999", "1", "0.0006", "300"),
        "BNB",
    )
    assert engine.ledger("acct").free("USDT") == D(1_000_000) + D(19999)  # quote in full
    engine.submit(limit(OrderSide.BUY, "19990", "0.5"), close_ms(0))
    (made,) = engine.on_bar("BTCUSDT", bar(1, "19980", low="19980"))
    assert made.liquidity is LiquiditySide.MAKER
    assert made.commission == in_bnb("19990", "0.5", "0.0004", "300")
    total = sum((f.commission for f in engine.fills if f.commission_asset == "BNB"), D(0))
    assert engine.ledger("acct").free("BNB") == 1 - total


def test_the_bnb_price_follows_the_bnb_market() -> None:
    engine = venue()
    engine.on_bar("BNBUSDT", bar(1, "250", instrument=BNBUSDT))
    engine.on_bar("BTCUSDT", bar(1, "20000"))
    (fill,) = engine.submit(market(OrderSide.BUY, "1"), close_ms(1)).fills
    assert fill.commission == in_bnb("20001", "1", "0.001", "250")


def test_not_enough_bnb_falls_back_to_the_standard_commission() -> None:
    engine = venue(bnb="0.05")  # the fill needs 0.0500025 BNB
    (fill,) = engine.submit(market(OrderSide.BUY, "1"), close_ms(0)).fills
    assert (fill.commission, fill.commission_asset) == (D("0.001"), "BTC")
    assert engine.ledger("acct").free("BTC") == D(11) - D("0.001")
    assert engine.ledger("acct").free("BNB") == D("0.05")  # untouched


def test_no_bnb_at_all_no_bnb_market_or_no_discount_means_the_standard_commission() -> None:
    for engine in (
        venue(bnb="0"),  # nothing to pay with
        venue(bnb_close=None),  # BNBUSDT listed but no bar yet: no price
        venue(fees=FeeRates()),  # the account does not pay in BNB
    ):
        (fill,) = engine.submit(market(OrderSide.BUY, "1"), close_ms(0)).fills
        assert (fill.commission, fill.commission_asset) == (D("0.001"), "BTC")
    unlisted = MatchingEngine([BTC], PARAMS)  # no BNBUSDT market at all
    unlisted.open_account("acct", {"USDT": D(100_000), "BNB": D(5)}, SPOT_BNB)
    unlisted.on_bar("BTCUSDT", bar(0, "20000"))
    (fill,) = unlisted.submit(market(OrderSide.BUY, "1"), close_ms(0)).fills
    assert fill.commission_asset == "BTC"


def test_bnb_price_lookup() -> None:
    markets = {"BNBUSDT": Market(BNBUSDT)}
    assert bnb_price(markets, "USDT") is None  # listed, never traded
    assert bnb_price(markets, "BNB") == 1
    assert bnb_price(markets, "BTC") is None  # BNBBTC not listed
    markets["BNBUSDT"].last_bar = bar(0, "312.5", instrument=BNBUSDT)
    assert bnb_price(markets, "USDT") == D("312.5")
    markets["BNBUSDT"].last_price = D("313")  # a market replayed from ticks: its last trade
    assert bnb_price(markets, "USDT") == D(313)


START = {"USDT": D(1_000_000), "BTC": D(10)}
sides = st.sampled_from([OrderSide.BUY, OrderSide.SELL])
quantities = st.integers(1, 300).map(lambda n: str(D(n) / 100))  # 0.01 .. 3 BTC
bnb_closes = st.integers(100, 700).map(str)


@given(st.lists(st.tuples(sides, quantities, bnb_closes), min_size=1, max_size=25),
       st.sampled_from(["0", "0.05", "0.3", "50"]))  # fmt: skip
@settings(max_examples=60, deadline=None)
def test_balances_add_up_whether_bnb_pays_or_runs_out(
    steps: list[tuple[OrderSide, str, str]], bnb: str
) -> None:
    engine = venue(bnb=bnb)
    for minute, (side, quantity, bnb_close) in enumerate(steps, start=1):
        engine.on_bar("BNBUSDT", bar(minute, bnb_close, instrument=BNBUSDT))
        engine.on_bar("BTCUSDT", bar(minute, "20000"))
        with contextlib.suppress(OrderRejected):
            engine.submit(market(side, quantity), close_ms(minute))
    moved: dict[str, Decimal] = defaultdict(Decimal)
    for fill in engine.fills:
        sign = 1 if fill.side is OrderSide.BUY else -1
        moved["BTC"] += sign * fill.quantity
        moved["USDT"] -= sign * fill.quote_quantity
        moved[fill.commission_asset] -= fill.commission
    ledger = engine.ledger("acct")
    for asset, start in {**START, "BNB": D(bnb)}.items():
        assert ledger.total(asset) == start + moved[asset]
        assert ledger.free(asset) >= 0
