"""The spot adapter against the real sim exchange: orders, fills, balances, reference data and
every refusal mapped to its typed outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import aiohttp
import pytest

from ai_engine.domain import (
    DomainValueError,
    InstrumentId,
    LiquiditySide,
    MarketType,
    Order,
    OrderSide,
    OrderStatus,
    OrderType,
    RejectedError,
    TimeInForce,
    Venue,
)
from ai_engine.execution import (
    Accepted,
    Canceled,
    CanceledAll,
    Duplicate,
    ExecutionVenue,
    FuturesExecutionVenue,
    NotFound,
    Rejected,
    UnsupportedOrder,
)
from ai_engine.simexchange import SPOT_SYMBOLS, RunningSim
from ai_engine.venues.binance import BinanceSpotVenue
from venues.conftest import PERP_BTC, SPOT_BTC, SPOT_ETH, START_BALANCES, advance, make_order

D = Decimal
NOPE = InstrumentId(Venue.SIM, MarketType.SPOT, "NOPEUSDT")


async def best_bid(sim: RunningSim, symbol: str = "BTCUSDT") -> Decimal:
    async with aiohttp.ClientSession() as session:
        url = f"{sim.api_url}/v3/ticker/bookTicker?symbol={symbol}"
        async with session.get(url) as answer:
            return D((await answer.json())["bidPrice"])


def accepted(outcome: object) -> Accepted:
    assert isinstance(outcome, Accepted), outcome
    return outcome


async def test_the_adapter_implements_the_spot_port(spot: BinanceSpotVenue) -> None:
    assert isinstance(spot, ExecutionVenue)
    assert not isinstance(spot, FuturesExecutionVenue)


async def test_limit_order_rests_then_fills_as_maker(
    spot: BinanceSpotVenue, spot_sim: RunningSim
) -> None:
    price = await best_bid(spot_sim) - 5
    placed = accepted(await spot.place_order(make_order("lim-1", quantity="0.1", price=str(price))))
    assert (placed.order.status, placed.order.fills) == (OrderStatus.ACCEPTED, ())
    assert [o.client_order_id for o in await spot.open_orders(SPOT_BTC)] == ["lim-1"]
    advance(spot_sim, 30)
    done = await spot.query_order(SPOT_BTC, "lim-1")
    assert done is not None
    assert (done.status, done.filled_quantity.value, done.avg_fill_price) == (
        OrderStatus.FILLED, D("0.1"), price,
    )  # fmt: skip
    fills = await spot.trades_since(SPOT_BTC, placed.order.created_at)
    assert [(f.client_order_id, f.liquidity, f.fee.asset) for f in fills] == [
        ("lim-1", LiquiditySide.MAKER, "BTC")
    ]
    assert await spot.open_orders(SPOT_BTC) == []
    btc = (await spot.account()).balance("BTC")
    assert btc.total == dict(START_BALANCES)["BTC"] + D("0.1") - fills[0].fee.amount


async def test_market_order_fills_from_the_answer_and_trades_agree(
    spot: BinanceSpotVenue,
) -> None:
    order = make_order(
        "mkt-1", instrument_id=SPOT_ETH, side=OrderSide.SELL, order_type=OrderType.MARKET,
        quantity="2",
    )  # fmt: skip
    placed = accepted(await spot.place_order(order)).order
    assert placed.status is OrderStatus.FILLED
    assert sum(f.quantity.value for f in placed.fills) == D(2)
    trades = await spot.trades_since(SPOT_ETH, placed.created_at - timedelta(minutes=1))
    assert [(t.trade_id, t.quantity, t.price, t.fee) for t in trades] == [
        (f.trade_id, f.quantity, f.price, f.fee) for f in placed.fills
    ]
    assert {t.client_order_id for t in trades} == {"mkt-1"}
    usdt = (await spot.account()).balance("USDT")
    assert usdt.total == dict(START_BALANCES)["USDT"] + placed.filled_notional - sum(
        t.fee.amount for t in trades
    )


async def test_cancel_then_cancel_again_is_not_found(spot: BinanceSpotVenue) -> None:
    accepted(await spot.place_order(make_order("can-1", side=OrderSide.SELL, price="99999")))
    canceled = await spot.cancel_order(SPOT_BTC, "can-1")
    assert isinstance(canceled, Canceled)
    assert canceled.order is not None
    assert (canceled.order.client_order_id, canceled.order.status) == (
        "can-1", OrderStatus.CANCELED,
    )  # fmt: skip
    again = await spot.cancel_order(SPOT_BTC, "can-1")
    assert again == NotFound(-2011, "HTTP 400 -2011: Unknown order sent.")
    queried = await spot.query_order(SPOT_BTC, "can-1")
    assert queried is not None
    assert queried.status is OrderStatus.CANCELED


async def test_cancel_all_cancels_every_open_order_and_nothing_open_is_success(
    spot: BinanceSpotVenue,
) -> None:
    for cid, price in (("all-1", "20000"), ("all-2", "20001")):
        accepted(await spot.place_order(make_order(cid, price=price)))
    assert await spot.cancel_all(SPOT_BTC) == CanceledAll(SPOT_BTC)
    assert await spot.open_orders() == []
    assert await spot.cancel_all(SPOT_BTC) == CanceledAll(SPOT_BTC)


async def test_duplicate_client_id_is_reported_as_duplicate_and_not_doubled(
    spot: BinanceSpotVenue,
) -> None:
    order = make_order("dup-1", price="20000")
    first = accepted(await spot.place_order(order)).order
    again = await spot.place_order(order)
    assert isinstance(again, Duplicate)
    assert again.existing is not None
    assert (again.existing.venue_order_id, again.existing.status) == (
        first.venue_order_id, OrderStatus.ACCEPTED,
    )  # fmt: skip
    assert [o.client_order_id for o in await spot.open_orders()] == ["dup-1"]


@pytest.mark.parametrize(
    ("order", "code", "smaller", "message"),
    [
        (make_order("r-bal", order_type=OrderType.MARKET, quantity="90"), -2010, True,
         "insufficient balance"),
        (make_order("r-lot", order_type=OrderType.MARKET, quantity="0.000015"), -1013, False,
         "LOT_SIZE"),
        (make_order("r-tick", price="20000.001"), -1013, False, "PRICE_FILTER"),
        (make_order("r-notional", quantity="0.0001", price="20000"), -1013, False, "NOTIONAL"),
        (make_order("r-sym", instrument_id=NOPE, order_type=OrderType.MARKET), -1121, False,
         "Invalid symbol"),
        (make_order("r-maker", order_type=OrderType.LIMIT_MAKER, price="99999"), -2010, False,
         "immediately match"),
    ],
)  # fmt: skip
async def test_refusals_are_rejected_with_code_reason_and_size_hint(
    spot: BinanceSpotVenue, order: Order, code: int, smaller: bool, message: str
) -> None:
    outcome = await spot.place_order(order)
    assert isinstance(outcome, Rejected), outcome
    assert (outcome.code, outcome.retriable_with_smaller_size) == (code, smaller)
    assert message in outcome.reason
    assert await spot.open_orders() == []


async def test_unknown_order_query_is_none_and_cancel_is_not_found(
    spot: BinanceSpotVenue,
) -> None:
    assert await spot.query_order(SPOT_BTC, "never-sent") is None
    assert isinstance(await spot.cancel_order(SPOT_BTC, "never-sent"), NotFound)


async def test_orders_spot_cannot_express_are_refused_before_sending(
    spot: BinanceSpotVenue,
) -> None:
    trailing = make_order(
        "u-1", order_type=OrderType.TRAILING_STOP_MARKET, callback_rate=D(1), stop_price=None
    )
    with pytest.raises(UnsupportedOrder, match="trailing"):
        await spot.place_order(trailing)
    with pytest.raises(UnsupportedOrder, match="reduce-only"):
        await spot.place_order(make_order("u-2", price="20000", reduce_only=True))
    with pytest.raises(UnsupportedOrder, match="gtx"):
        await spot.place_order(make_order("u-3", price="20000", time_in_force=TimeInForce.GTX))
    with pytest.raises(DomainValueError, match="not a sim:spot instrument"):
        await spot.place_order(make_order("u-4", instrument_id=PERP_BTC, price="20000"))
    assert await spot.open_orders() == []


async def test_instruments_are_the_venue_s_filters(spot: BinanceSpotVenue) -> None:
    assert await spot.instruments(["BTCUSDT"]) == [SPOT_SYMBOLS["BTCUSDT"].instrument]
    every = {i.symbol for i in await spot.instruments()}
    assert every == {"BTCUSDT", "ETHUSDT"}


async def test_account_lists_the_starting_balances(spot: BinanceSpotVenue) -> None:
    account = await spot.account()
    assert {b.asset: (b.total, b.available) for b in account.balances} == {
        asset: (amount, amount) for asset, amount in START_BALANCES
    }


async def test_server_time_is_the_venue_s_wall_clock(spot: BinanceSpotVenue) -> None:
    venue_now = await spot.server_time()
    assert abs(venue_now - datetime.now(UTC)) < timedelta(seconds=5)


async def test_user_stream_listen_key_lifecycle(spot: BinanceSpotVenue) -> None:
    key = await spot.start_user_stream()
    assert key
    await spot.keepalive_user_stream(key)
    await spot.close_user_stream(key)
    with pytest.raises(RejectedError, match="-1125"):
        await spot.keepalive_user_stream(key)
