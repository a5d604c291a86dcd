"""USD-M fee tiers and BNB payment through the simulated exchange: ``/fapi/v1/commissionRate``,
commissions of fills seen by python-binance, and the wire form of a BNB-paid fill."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
import requests
from binance import Client
from binance.exceptions import BinanceAPIException
from matching.factories import PARAMS, bar
from matching.futures.factories import BTC, SYMBOL, at, fbar, order

from ai_engine.domain import Instrument, InstrumentId, MarketType, Venue
from ai_engine.matching.fee_tiers import USDM_TIERS, usdm_rates
from ai_engine.matching.futures import FuturesEngine, OrderEvent
from ai_engine.simexchange import AccountSpec, SimConfig, ThreadedSimExchange
from ai_engine.simexchange.commission_api import plain
from ai_engine.simexchange.futures.symbols import futures_spec_for
from ai_engine.simexchange.futures.user_events import order_trade_update
from ai_engine.simexchange.futures.wire_orders import user_trade

from .conftest import KEY, SECRET

D = Decimal


def test_a_tier_sets_the_futures_rates_and_the_fills_commission(
    make_fconfig: Callable[..., SimConfig], fclient_for: Callable[..., Client]
) -> None:
    config = make_fconfig(accounts=(AccountSpec(api_key=KEY, secret=SECRET, vip_tier=6),))
    with ThreadedSimExchange(config) as sim:
        sim.advance(bars=3)
        client = fclient_for(sim.base_url)
        rates = client.futures_commission_rate(symbol="BTCUSDT")
        tier = USDM_TIERS[6]
        assert rates == {
            "symbol": "BTCUSDT",
            "makerCommissionRate": plain(tier.maker),
            "takerCommissionRate": plain(tier.taker),
            "rpiCommissionRate": plain(tier.maker),
        }
        assert (D(rates["makerCommissionRate"]), D(rates["takerCommissionRate"])) == (
            D("0.00006"), D("0.00025"),
        )  # fmt: skip
        client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
        (trade,) = client.futures_account_trades(symbol="BTCUSDT")
        expected = (D(trade["price"]) * D("0.01") * tier.taker).quantize(
            D("0.00000001"), rounding=ROUND_HALF_EVEN
        )
        assert (D(trade["commission"]), trade["commissionAsset"]) == (expected, "USDT")


def test_futures_bnb_without_a_bnb_perpetual_pays_usdt_and_keeps_its_bnb(
    make_fconfig: Callable[..., SimConfig], fclient_for: Callable[..., Client]
) -> None:
    spec = AccountSpec(api_key=KEY, secret=SECRET, bnb_discount=True, futures_bnb=D(3))
    with ThreadedSimExchange(make_fconfig(accounts=(spec,))) as sim:
        sim.advance(bars=3)
        view = requests.get(f"{sim.base_url}/sim/accounts/{KEY}", timeout=5).json()
        assert (view["bnbDiscount"], view["futures"]["bnb"]) == (True, "3.00000000")
        client = fclient_for(sim.base_url)
        rates = client.futures_commission_rate(symbol="BTCUSDT")
        assert D(rates["takerCommissionRate"]) == USDM_TIERS[0].taker  # BNB: the asset only
        client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
        (trade,) = client.futures_account_trades(symbol="BTCUSDT")
        # The sim lists no BNBUSDT perpetual, so there is no BNB price: USDT, undiscounted.
        assert trade["commissionAsset"] == "USDT"
        assert D(trade["commission"]) == (D(trade["price"]) * D("0.01") * D("0.0005")).quantize(
            D("0.00000001"), rounding=ROUND_HALF_EVEN
        )
        after = requests.get(f"{sim.base_url}/sim/accounts/{KEY}", timeout=5).json()
        assert after["futures"]["bnb"] == "3.00000000"


def test_an_admin_account_gets_its_futures_bnb(fsim: ThreadedSimExchange) -> None:
    made = requests.post(
        f"{fsim.base_url}/sim/accounts",
        json={"apiKey": "fb", "secretKey": "s", "bnbDiscount": True, "futuresBnb": "2.5"},
        timeout=5,
    )
    assert made.status_code == 201, made.text
    assert made.json()["futures"]["bnb"] == "2.50000000"
    account = fsim.call(lambda ex: ex.futures.engine.account("fb"))
    assert account.fees == usdm_rates(0, bnb=True)
    assert account.bnb == account.bnb_start == D("2.5")


def test_the_commission_rate_endpoint_refuses_bad_symbols(
    fsim: ThreadedSimExchange, fclient: Client
) -> None:
    for params, code in (({"symbol": "NOPEUSDT"}, -1121), ({}, -1102)):
        with pytest.raises(BinanceAPIException) as caught:
            fclient.futures_commission_rate(**params)
        assert caught.value.code == code


def test_a_bnb_paid_fill_says_bnb_on_the_wire() -> None:
    bnb_perp = Instrument(  # a test grid, not Binance's BNBUSDT filters
        id=InstrumentId(Venue.SIM, MarketType.USDM, "BNBUSDT"),
        base_asset="BNB",
        quote_asset="USDT",
        settlement_asset="USDT",
        tick_size=D("0.01"),
        lot_step=D("0.01"),
        min_quantity=D("0.01"),
    )
    engine = FuturesEngine([BTC, bnb_perp], PARAMS)
    engine.open_account("acct", D(10_000), usdm_rates(0, bnb=True))
    engine.account("acct").deposit_bnb(D(1))
    engine.on_bar("BNBUSDT", bar(0, "600", instrument=bnb_perp))
    engine.on_bar(SYMBOL, fbar(0))
    (trade,) = engine.submit(order("buy", "0.1"), at(0)).trades
    spec = futures_spec_for("BTCUSDT")
    row = user_trade(spec, trade)
    assert (row["commissionAsset"], D(row["commission"])) == ("BNB", trade.commission)
    (event,) = [e for e in engine.drain_events() if isinstance(e, OrderEvent) and e.trade]
    body = order_trade_update(event, spec)["o"]
    assert (body["N"], D(body["n"])) == ("BNB", trade.commission)
