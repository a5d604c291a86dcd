"""The exit manager's orders on the real sim exchange (USD-M and spot, through the Binance
adapter): the protective stop rests at the exchange as soon as the entry fills, the take
profits beside it, a stop moved by cancel + replace, and a stop that fires closes the
position and the manager cancels what is left. Nothing here is simulated by the test: the
actions become domain orders (``exit_order``) and the venue's fills come back through
``trades_since``."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import aiohttp
from simexchange.conftest import KEY
from venues.conftest import (  # noqa: F401 - the sim and adapter fixtures, by their names
    PERP_BTC,
    SPOT_BTC,
    advance,
    make_order,
    spot,
    spot_sim,
    usdm,
    usdm_sim,
    venue_futures_store,
    venue_spot_store,
)

from ai_engine.domain import (
    InstrumentId,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    Price,
    Quantity,
)
from ai_engine.execution import Accepted, Canceled, NotFound, Rejected
from ai_engine.execution.exits import (
    CancelExit,
    Distance,
    ExitAction,
    ExitManager,
    ExitPlan,
    ExitReason,
    ExitTag,
    MarketExit,
    MoveStop,
    TakeProfitLevel,
    exit_order,
)
from ai_engine.simexchange import RunningSim
from ai_engine.venues.binance import BinanceSpotVenue, BinanceUsdmVenue

from .exit_factories import T0

D = Decimal
BOT = "exit-bot"


async def deposit(sim: RunningSim, asset: str, amount: Decimal) -> None:
    url = f"{sim.base_url}/sim/accounts/{KEY}/deposit"
    body = {"asset": asset, "amount": str(amount)}
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as answer:
        assert answer.status == 200, await answer.text()


async def execute(venue: Any, manager: ExitManager, actions: list[ExitAction],
                  instrument: InstrumentId, *, missing_ok: bool = False) -> None:  # fmt: skip
    """What the trader does with actions: in order, a cancel for a cancel, an order for the
    rest. ``missing_ok``: a cancel may find the order gone (it fired as we moved)."""
    answers = (Canceled, NotFound) if missing_ok else (Canceled,)
    state = manager.state
    assert state is not None
    for action in actions:
        if isinstance(action, CancelExit | MoveStop):
            tag = action.tag if isinstance(action, CancelExit) else action.cancel
            cid = tag.client_order_id(bot_id=BOT, anchor=state.anchor, symbol="BTCUSDT")
            if isinstance(action, MoveStop) and action.place_first:
                await place(venue, manager, action, instrument, missing_ok)
                assert isinstance(await venue.cancel_order(instrument, cid), answers)
                continue
            assert isinstance(await venue.cancel_order(instrument, cid), answers)
            if isinstance(action, CancelExit):
                continue
        await place(venue, manager, action, instrument, missing_ok)


async def place(venue: Any, manager: ExitManager, action: ExitAction,
                instrument: InstrumentId, missing_ok: bool = False) -> None:  # fmt: skip
    state = manager.state
    assert state is not None
    order = exit_order(action, bot_id=BOT, anchor=state.anchor, instrument_id=instrument,
                       created_at=T0, reduce_only=manager.plan.reduce_only_venue)  # fmt: skip
    assert order is not None
    outcome = await venue.place_order(order)
    if missing_ok and isinstance(outcome, Rejected):  # reduce-only with nothing left to reduce
        await venue_refused(manager, action)
        return
    assert isinstance(outcome, Accepted), outcome


async def venue_refused(manager: ExitManager, action: ExitAction) -> None:
    place = action.place if isinstance(action, MoveStop) else action
    assert not isinstance(place, CancelExit)
    manager.on_exit_failed(tag=place.tag, detail="refused")


async def test_usdm_stop_rests_at_once_moves_and_fires(
    usdm: BinanceUsdmVenue,  # noqa: F811 - the imported fixture
    usdm_sim: RunningSim,  # noqa: F811
) -> None:
    await usdm.set_leverage(PERP_BTC, 5)
    buy = make_order("exit-entry", instrument_id=PERP_BTC, order_type=OrderType.MARKET,
                     quantity="0.02")  # fmt: skip
    entry = await usdm.place_order(buy)
    assert isinstance(entry, Accepted)
    report = entry.order
    average = report.avg_fill_price
    assert average is not None
    plan = ExitPlan(
        stop=Distance.percent("0.002"),
        take_profits=(TakeProfitLevel(Distance.r(3), D("0.5")),),
        maker_fee_rate=D("0.0002"), taker_fee_rate=D("0.0004"), reduce_only_venue=True,
    )  # fmt: skip
    [instrument] = await usdm.instruments(["BTCUSDT"])
    manager = ExitManager(plan, instrument)
    first = manager.on_entry_filled(side=PositionSide.LONG, price=Price(average),
                                    quantity=Quantity("0.02"), fee=D(0), ts=report.created_at,
                                    anchor=T0)  # fmt: skip
    await execute(usdm, manager, first, PERP_BTC)
    listed = {o.client_order_id: o for o in await usdm.open_orders(PERP_BTC)}
    state = manager.state
    assert state is not None and state.stop is not None  # noqa: PT018
    stop_id = state.stop.tag.client_order_id(bot_id=BOT, anchor=T0, symbol="BTCUSDT")
    assert listed[stop_id].is_conditional
    assert listed[stop_id].order_type is OrderType.STOP_MARKET
    assert listed[stop_id].reduce_only
    assert len(listed) == 2  # the stop and the take profit (a resting reduce-only LIMIT)
    # More of the entry fills: the manager re-sizes the stop (USD-M: new one first, then
    # cancel the old), and the venue then holds exactly one stop for the whole position.
    buy_more = make_order("exit-entry-2", instrument_id=PERP_BTC, order_type=OrderType.MARKET,
                          quantity="0.01")  # fmt: skip
    more = await usdm.place_order(buy_more)
    assert isinstance(more, Accepted)
    grown = manager.on_entry_filled(side=PositionSide.LONG, price=Price(more.order.avg_fill_price
                                    or average), quantity=Quantity("0.01"), fee=D(0),
                                    ts=more.order.created_at, anchor=T0)  # fmt: skip
    assert [type(a) for a in grown] == [MoveStop]
    await execute(usdm, manager, grown, PERP_BTC)
    stops = [o for o in await usdm.open_orders(PERP_BTC) if o.is_conditional]
    assert [(o.quantity, o.status) for o in stops] == [(Quantity("0.03"), OrderStatus.ACCEPTED)]
    # The market moves; every exit fill goes to the manager as it happens and its actions go
    # to the venue at once (a take-profit fill shrinks the stop; the stop closes the rest).
    seen: set[str] = set()
    since = report.created_at - timedelta(minutes=1)
    for _ in range(1440):  # a day of replayed minutes at most: BTC moves 0.2 % long before
        advance(usdm_sim, 1)
        for fill in await usdm.trades_since(PERP_BTC, since):
            if fill.trade_id in seen or fill.client_order_id.startswith("exit-entry"):
                continue
            seen.add(fill.trade_id)
            tag = ExitTag.of_client_order_id(fill.client_order_id)
            assert tag is not None
            actions = manager.on_fill(tag=tag, quantity=fill.quantity, price=fill.price,
                                      ts=fill.ts)  # fmt: skip
            await execute(usdm, manager, actions, PERP_BTC, missing_ok=True)
        state = manager.state
        assert state is not None
        if state.closed:
            break
    assert state.closed
    assert state.close_reason in (ExitReason.STOP_LOSS, ExitReason.TAKE_PROFIT)
    assert seen, "the position closed through the exit orders"
    assert await usdm.positions() == []
    assert await usdm.open_orders(PERP_BTC) == []  # nothing left resting


async def test_spot_frees_the_base_asset_before_it_sells(
    spot: BinanceSpotVenue,  # noqa: F811 - the imported fixture
    spot_sim: RunningSim,  # noqa: F811
) -> None:
    """On spot the stop locks the BTC; a reversal must cancel it before the market sell, or
    the venue refuses the sell for want of balance (the account holds only what it bought)."""
    start = (await spot.account()).balance("BTC").total
    await deposit(spot_sim, "BTC", -start)  # withdraw: the bot's BTC is all there is
    entry = await spot.place_order(make_order("spot-entry", order_type=OrderType.MARKET,
                                              quantity="0.01"))  # fmt: skip
    assert isinstance(entry, Accepted)
    fee = sum((f.fee.amount for f in entry.order.fills if f.fee.asset == "BTC"), D(0))
    [instrument] = await spot.instruments(["BTCUSDT"])
    held = instrument.round_quantity(D("0.01") - fee)
    # the sim's spot has no STOP_LOSS (market stop): a stop-limit 0.5 % beyond the trigger
    plan = ExitPlan(stop=Distance.percent("0.01"), reduce_only_venue=False,
                    stop_limit_offset=D("0.005"))  # fmt: skip
    manager = ExitManager(plan, instrument)
    average = entry.order.avg_fill_price
    assert average is not None
    await execute(spot, manager, manager.on_entry_filled(
        side=PositionSide.LONG, price=Price(average), quantity=held, fee=fee * average,
        ts=entry.order.created_at, anchor=T0), SPOT_BTC)  # fmt: skip
    [stop] = await spot.open_orders(SPOT_BTC)
    assert (stop.order_type, stop.quantity) == (OrderType.STOP_LIMIT, held)
    balance = (await spot.account()).balance("BTC")
    assert balance.locked >= held.value  # the stop holds the BTC
    sell_first = make_order("spot-no-cancel", side=OrderSide.SELL, order_type=OrderType.MARKET,
                            quantity=str(held.value))  # fmt: skip
    refused = await spot.place_order(sell_first)  # what selling without the cancel would do
    assert isinstance(refused, Rejected)
    assert refused.code == -2010
    actions = manager.on_signal(side=OrderSide.SELL, score=None, ts=entry.order.created_at)
    assert [type(a) for a in actions] == [CancelExit, MarketExit]
    await execute(spot, manager, actions, SPOT_BTC)
    assert await spot.open_orders(SPOT_BTC) == []
    sells = [f for f in await spot.trades_since(SPOT_BTC, entry.order.created_at)
             if f.side is OrderSide.SELL]  # fmt: skip
    for fill in sells:
        tag = ExitTag.of_client_order_id(fill.client_order_id)
        assert tag is not None
        manager.on_fill(tag=tag, quantity=fill.quantity, price=fill.price, ts=fill.ts)
    state = manager.state
    assert state is not None and state.closed  # noqa: PT018
    assert state.close_reason is ExitReason.SIGNAL
    assert (await spot.account()).balance("BTC").total == D("0.01") - fee - held.value
