"""USD-M commissions by VIP tier and paid in BNB from the futures wallet (futures/account.py).

The venue lists the BTCUSDT perpetual and a BNBUSDT one whose last close is the BNB price.
Books from ``factories.PARAMS``: a close of 20000 gives asks 20001.0, 20003.0, ... of 1 BTC.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from ai_engine.domain import Instrument, InstrumentId, MarketType, Venue
from ai_engine.matching.fee_tiers import usdm_rates
from ai_engine.matching.futures import FuturesEngine, IncomeType
from matching.factories import PARAMS, bar

from .factories import ACCOUNT, BTC, SYMBOL, at, fbar, order

D = Decimal
EIGHT = D("0.00000001")
BNB_PERP = Instrument(  # a test grid, not Binance's published BNBUSDT filters
    id=InstrumentId(Venue.SIM, MarketType.USDM, "BNBUSDT"),
    base_asset="BNB",
    quote_asset="USDT",
    settlement_asset="USDT",
    tick_size=D("0.01"),
    lot_step=D("0.01"),
    min_quantity=D("0.01"),
    max_quantity=D("100000"),
    min_notional=D("5"),
)


def venue(*, tier: int = 0, bnb: bool = True, bnb_held: str = "2") -> FuturesEngine:
    engine = FuturesEngine([BTC, BNB_PERP], PARAMS)
    engine.open_account(ACCOUNT, D(100_000), usdm_rates(tier, bnb=bnb))
    engine.account(ACCOUNT).deposit_bnb(D(bnb_held))
    engine.on_bar("BNBUSDT", bar(0, "650", instrument=BNB_PERP))
    engine.on_bar(SYMBOL, fbar(0))
    return engine


def rounded(value: Decimal) -> Decimal:
    return value.quantize(EIGHT, rounding=ROUND_HALF_EVEN)


def test_a_tier_sets_the_usdt_commission() -> None:
    engine = venue(tier=4, bnb=False)
    (trade,) = engine.submit(order("buy", "1"), at(0)).trades
    assert (trade.commission, trade.commission_asset) == (rounded(D(20001) * D("0.0003")), "USDT")
    account = engine.account(ACCOUNT)
    assert account.wallet == D(100_000) - trade.commission
    assert account.bnb == D(2)


def test_bnb_pays_ten_percent_less_and_leaves_the_usdt_wallet_alone() -> None:
    engine = venue()
    (trade,) = engine.submit(order("buy", "1"), at(0)).trades
    expected = rounded(D(20001) * D("0.0005") * D("0.9") / D(650))
    assert (trade.commission, trade.commission_asset) == (expected, "BNB")
    account = engine.account(ACCOUNT)
    assert account.wallet == D(100_000)  # only P&L and USDT commission move it
    assert account.bnb == D(2) - expected == account.bnb_start - account.bnb_commission
    assert account.expected_wallet() == account.wallet
    (income,) = [i for i in engine.incomes(ACCOUNT) if i.income_type is IncomeType.COMMISSION]
    assert (income.amount, income.asset) == (-expected, "BNB")
    state = engine.settings(ACCOUNT, SYMBOL)  # the position books the fee's USDT value
    assert state.position.fees_paid == rounded(D(20001) * D("0.0005") * D("0.9"))


def test_closing_with_bnb_keeps_the_wallet_invariant() -> None:
    engine = venue()
    engine.submit(order("buy", "1"), at(0))
    engine.on_bar(SYMBOL, fbar(1, "20100"))
    (close,) = engine.submit(order("sell", "1", reduce_only=True), at(1)).trades
    assert close.commission_asset == "BNB"
    assert close.realised_pnl == close.price - D("20001")
    assert close.realised_pnl > 0
    account = engine.account(ACCOUNT)
    assert account.wallet == D(100_000) + close.realised_pnl == account.expected_wallet()


def test_without_enough_bnb_or_a_bnb_price_usdt_is_charged_in_full() -> None:
    short = venue(bnb_held="0.0001")  # needs 0.01384757 BNB
    (trade,) = short.submit(order("buy", "1"), at(0)).trades
    assert (trade.commission, trade.commission_asset) == (rounded(D(20001) * D("0.0005")), "USDT")
    assert short.account(ACCOUNT).bnb == D("0.0001")
    unpriced = FuturesEngine([BTC], PARAMS)  # no BNBUSDT market: no BNB price
    unpriced.open_account(ACCOUNT, D(100_000), usdm_rates(0, bnb=True))
    unpriced.account(ACCOUNT).deposit_bnb(D(5))
    unpriced.on_bar(SYMBOL, fbar(0))
    (trade,) = unpriced.submit(order("buy", "1"), at(0)).trades
    assert trade.commission_asset == "USDT"
