"""The USD-M adapter against the real sim exchange: orders, positions, leverage and margin,
protective stops through the algo service, the dead-man switch and the refusals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import aiohttp
import pytest

from ai_engine.domain import (
    InstrumentId,
    MarketType,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    Price,
    RejectedError,
    TimeInForce,
    Venue,
)
from ai_engine.execution import (
    Accepted,
    Canceled,
    CanceledAll,
    Duplicate,
    FuturesExecutionVenue,
    MarginType,
    NotFound,
    OrderReport,
    Rejected,
)
from ai_engine.simexchange import RunningSim
from ai_engine.simexchange.futures.symbols import USDM_SYMBOLS
from ai_engine.venues.binance import BinanceUsdmVenue
from venues.conftest import PERP_BTC, WALLET, advance, make_order

D = Decimal
TICK = D("0.1")


async def last_price(sim: RunningSim) -> Decimal:
    async with aiohttp.ClientSession() as session:
        url = f"{sim.base_url}/fapi/v1/ticker/price?symbol=BTCUSDT"
        async with session.get(url) as answer:
            return D((await answer.json())["price"])


def on_tick(value: Decimal) -> str:
    return str((value / TICK).to_integral_value() * TICK)


def accepted(outcome: object) -> OrderReport:
    assert isinstance(outcome, Accepted), outcome
    return outcome.order


def perp(client_id: str, **fields: object) -> object:
    return make_order(client_id, instrument_id=PERP_BTC, **fields)  # type: ignore[arg-type]


async def open_long(usdm: BinanceUsdmVenue, quantity: str = "0.01") -> OrderReport:
    report = accepted(
        await usdm.place_order(perp("long-1", order_type=OrderType.MARKET, quantity=quantity))
    )
    assert report.status is OrderStatus.FILLED
    return report


async def test_the_adapter_implements_the_futures_port(usdm: BinanceUsdmVenue) -> None:
    assert isinstance(usdm, FuturesExecutionVenue)


async def test_market_order_opens_a_position_with_its_fee(usdm: BinanceUsdmVenue) -> None:
    entry = await open_long(usdm)
    assert entry.filled_quantity.value == D("0.01")
    (position,) = await usdm.positions()
    assert (position.instrument_id, position.side, position.quantity.value) == (
        PERP_BTC, PositionSide.LONG, D("0.01"),
    )  # fmt: skip
    assert position.entry_price is not None
    assert position.entry_price.value == entry.avg_fill_price
    assert (position.leverage, position.margin_type) == (20, MarginType.CROSS)
    (fill,) = await usdm.trades_since(PERP_BTC, entry.created_at)
    assert (fill.client_order_id, fill.venue_order_id, fill.fee.asset) == (
        "long-1", entry.venue_order_id, "USDT",
    )  # fmt: skip
    assert fill.quote_amount() == entry.filled_notional
    usdt = (await usdm.account()).balance("USDT")
    assert usdt.total == WALLET - fill.fee.amount


async def test_limit_order_rests_is_listed_and_cancels(
    usdm: BinanceUsdmVenue, usdm_sim: RunningSim
) -> None:
    price = on_tick(await last_price(usdm_sim) * D("0.98"))
    resting = accepted(await usdm.place_order(perp("lim-1", price=price)))
    assert (resting.status, resting.is_conditional) == (OrderStatus.ACCEPTED, False)
    assert [o.client_order_id for o in await usdm.open_orders(PERP_BTC)] == ["lim-1"]
    canceled = await usdm.cancel_order(PERP_BTC, "lim-1")
    assert isinstance(canceled, Canceled)
    assert canceled.order is not None
    assert canceled.order.status is OrderStatus.CANCELED
    assert await usdm.open_orders() == []


async def test_reduce_only_protective_stop_goes_to_the_algo_service_and_closes_the_position(
    usdm: BinanceUsdmVenue, usdm_sim: RunningSim
) -> None:
    await open_long(usdm)
    trigger = on_tick(await last_price(usdm_sim) * D("0.999"))
    stop = perp("stop-1", side=OrderSide.SELL, order_type=OrderType.STOP_MARKET,
                stop_price=trigger, reduce_only=True)  # fmt: skip
    report = accepted(await usdm.place_order(stop))
    assert (report.is_conditional, report.reduce_only, report.venue_order_id[:5]) == (
        True, True, "algo-",
    )  # fmt: skip
    assert [(o.client_order_id, o.is_conditional) for o in await usdm.open_orders()] == [
        ("stop-1", True)
    ]
    for _ in range(1440):  # a day of replayed minutes at most: the price dips 0.1 % long before
        advance(usdm_sim, 1)
        if not await usdm.positions():
            break
    assert await usdm.positions() == []
    fired = await usdm.query_order(PERP_BTC, "stop-1")
    assert fired is not None
    assert fired.status is OrderStatus.FILLED
    fills = [f for f in await usdm.trades_since(PERP_BTC, report.created_at) if f.side is
             OrderSide.SELL]  # fmt: skip
    assert [f.client_order_id for f in fills] == ["stop-1"] * len(fills)
    assert sum(f.quantity.value for f in fills) == D("0.01")


async def test_close_position_stop_carries_no_quantity_and_cancels_through_the_algo_path(
    usdm: BinanceUsdmVenue, usdm_sim: RunningSim
) -> None:
    await open_long(usdm)
    trigger = on_tick(await last_price(usdm_sim) * D("0.9"))
    order = perp("cp-1", side=OrderSide.SELL, order_type=OrderType.STOP_MARKET,
                 stop_price=trigger)  # fmt: skip
    report = accepted(await usdm.place_close_position(order))
    assert (report.close_position, report.quantity, report.stop_price) == (
        True, None, Price(trigger),
    )  # fmt: skip
    canceled = await usdm.cancel_order(PERP_BTC, "cp-1")
    assert isinstance(canceled, Canceled)
    assert canceled.order is not None
    assert canceled.order.status is OrderStatus.CANCELED
    queried = await usdm.query_order(PERP_BTC, "cp-1")
    assert queried is not None
    assert (queried.status, queried.is_conditional) == (OrderStatus.CANCELED, True)


async def test_trailing_stop_is_a_conditional_order(
    usdm: BinanceUsdmVenue,
) -> None:
    await open_long(usdm)
    order = perp("trail-1", side=OrderSide.SELL, order_type=OrderType.TRAILING_STOP_MARKET,
                 callback_rate=D(1), reduce_only=True)  # fmt: skip
    report = accepted(await usdm.place_order(order))
    assert (report.order_type, report.is_conditional) == (OrderType.TRAILING_STOP_MARKET, True)


async def test_cancel_all_cancels_regular_and_conditional_orders(
    usdm: BinanceUsdmVenue, usdm_sim: RunningSim
) -> None:
    await open_long(usdm)
    price = await last_price(usdm_sim)
    accepted(await usdm.place_order(perp("ca-1", price=on_tick(price * D("0.98")))))
    stop = perp("ca-2", side=OrderSide.SELL, order_type=OrderType.STOP_MARKET,
                stop_price=on_tick(price * D("0.9")), reduce_only=True)  # fmt: skip
    accepted(await usdm.place_order(stop))
    assert len(await usdm.open_orders(PERP_BTC)) == 2
    assert await usdm.cancel_all(PERP_BTC) == CanceledAll(PERP_BTC)
    assert await usdm.open_orders(PERP_BTC) == []
    assert await usdm.cancel_all(PERP_BTC) == CanceledAll(PERP_BTC)


async def test_duplicate_client_ids_regular_and_conditional(
    usdm: BinanceUsdmVenue, usdm_sim: RunningSim
) -> None:
    price = await last_price(usdm_sim)
    limit = perp("dup-1", price=on_tick(price * D("0.98")))
    first = accepted(await usdm.place_order(limit))
    again = await usdm.place_order(limit)
    assert isinstance(again, Duplicate)
    assert again.existing is not None
    assert again.existing.venue_order_id == first.venue_order_id
    await open_long(usdm)
    stop = perp("dup-2", side=OrderSide.SELL, order_type=OrderType.STOP_MARKET,
                stop_price=on_tick(price * D("0.9")), reduce_only=True)  # fmt: skip
    accepted(await usdm.place_order(stop))
    algo_again = await usdm.place_order(stop)
    assert isinstance(algo_again, Duplicate)
    assert algo_again.existing is not None
    assert algo_again.existing.is_conditional
    assert sorted(o.client_order_id for o in await usdm.open_orders()) == ["dup-1", "dup-2"]


async def test_leverage_and_margin_type(usdm: BinanceUsdmVenue) -> None:
    assert await usdm.set_leverage(PERP_BTC, 10) == 10
    await usdm.set_margin_type(PERP_BTC, MarginType.ISOLATED)
    await usdm.set_margin_type(PERP_BTC, MarginType.ISOLATED)  # unchanged: still success
    await open_long(usdm)
    (position,) = await usdm.positions(PERP_BTC)
    assert (position.leverage, position.margin_type) == (10, MarginType.ISOLATED)
    assert position.isolated_margin > 0
    with pytest.raises(RejectedError, match="-4028"):
        await usdm.set_leverage(PERP_BTC, 200)
    with pytest.raises(RejectedError, match="-4048"):  # a position is open
        await usdm.set_margin_type(PERP_BTC, MarginType.CROSS)


async def test_dead_man_switch_cancels_open_orders_unless_rearmed(
    usdm: BinanceUsdmVenue, usdm_sim: RunningSim
) -> None:
    price = on_tick(await last_price(usdm_sim) * D("0.98"))
    accepted(await usdm.place_order(perp("dm-1", price=price)))
    await usdm.arm_dead_man_switch(PERP_BTC, timedelta(minutes=1))
    await usdm.arm_dead_man_switch(PERP_BTC, timedelta(0))  # disarmed
    advance(usdm_sim, 2)
    assert [o.client_order_id for o in await usdm.open_orders()] == ["dm-1"]
    await usdm.arm_dead_man_switch(PERP_BTC, timedelta(minutes=1))
    advance(usdm_sim, 2)  # no heartbeat for two replayed minutes
    assert await usdm.open_orders() == []
    gone = await usdm.query_order(PERP_BTC, "dm-1")
    assert gone is not None
    assert gone.status is OrderStatus.CANCELED


@pytest.mark.parametrize(
    ("fields", "code", "smaller", "message"),
    [
        ({"order_type": OrderType.MARKET, "quantity": "5"}, -2019, True, "Margin is insufficient"),
        ({"order_type": OrderType.MARKET, "quantity": "0.0001"}, -1111, False, "Precision"),
        ({"order_type": OrderType.MARKET, "quantity": "0.0005"}, -1111, False, "Precision"),
        ({"quantity": "0.001", "price": "95000"}, -4164, False, "notional"),
        ({"order_type": OrderType.MARKET, "reduce_only": True}, -2022, False, "ReduceOnly"),
        ({"instrument_id": InstrumentId(Venue.SIM, MarketType.USDM, "NOPEUSDT"),
          "order_type": OrderType.MARKET}, -1121, False, "Invalid symbol"),
        ({"order_type": OrderType.LIMIT, "price": "200000", "time_in_force": TimeInForce.GTX},
         -4016, False, "higher than"),
    ],
)  # fmt: skip
async def test_refusals_are_rejected_with_code_reason_and_size_hint(
    usdm: BinanceUsdmVenue, fields: dict[str, object], code: int, smaller: bool, message: str
) -> None:
    order = make_order("ref-1", **{"instrument_id": PERP_BTC, **fields})  # type: ignore[arg-type]
    outcome = await usdm.place_order(order)
    assert isinstance(outcome, Rejected), outcome
    assert (outcome.code, outcome.retriable_with_smaller_size) == (code, smaller)
    assert message in outcome.reason
    assert await usdm.open_orders() == []


async def test_post_only_that_would_take_is_rejected(
    usdm: BinanceUsdmVenue, usdm_sim: RunningSim
) -> None:
    price = on_tick(await last_price(usdm_sim) * D("1.01"))
    outcome = await usdm.place_order(perp("gtx-1", order_type=OrderType.LIMIT_MAKER, price=price))
    assert isinstance(outcome, Rejected)
    assert outcome.code == -5022


async def test_unknown_order_query_is_none_and_cancel_is_not_found(
    usdm: BinanceUsdmVenue,
) -> None:
    assert await usdm.query_order(PERP_BTC, "never-sent") is None
    assert isinstance(await usdm.cancel_order(PERP_BTC, "never-sent"), NotFound)


async def test_instruments_and_stream_keys(usdm: BinanceUsdmVenue) -> None:
    assert await usdm.instruments() == [USDM_SYMBOLS["BTCUSDT"].instrument]
    key = await usdm.start_user_stream()
    await usdm.keepalive_user_stream(key)
    await usdm.close_user_stream(key)
    with pytest.raises(RejectedError, match="-1125"):
        await usdm.keepalive_user_stream(key)
