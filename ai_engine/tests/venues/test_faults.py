"""Lost and refused answers, injected through the sim exchange's POST /sim/faults, and how each
outcome is resolved: Unknown by querying the client order id (never a blind re-send),
RateLimited by waiting, Duplicate as success. Every test ends by counting the venue's orders:
none is lost, none doubled."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from ai_engine.domain import OrderSide, OrderStatus, OrderType, RetryableError
from ai_engine.execution import (
    Accepted,
    Duplicate,
    NotFound,
    RateLimited,
    Unknown,
)
from ai_engine.simexchange import RunningSim
from ai_engine.venues.binance import BinanceSpotVenue, BinanceUsdmVenue
from venues.conftest import KEY, PERP_BTC, REQUEST_TIMEOUT_S, SPOT_BTC, inject, make_order

SPOT_ORDERS = {"method": "POST", "path": "/api/v3/order", "times": 1}
FUTURES_ORDERS = {"method": "POST", "path": "/fapi/v1/order", "times": 1}
HOLD_MS = int(REQUEST_TIMEOUT_S * 1000) + 500  # past the adapter's timeout


def resting(client_id: str) -> Any:
    return make_order(client_id, quantity="0.01", price="20000")


async def venue_orders(sim: RunningSim) -> list[str]:
    """Client ids of the account's open orders, as the venue holds them (admin API)."""
    url = f"{sim.base_url}/sim/accounts/{KEY}"
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        view = await answer.json()
    return [order["clientOrderId"] for order in view["openOrders"]]


async def test_dropped_answer_is_unknown_then_found_and_a_resend_is_a_duplicate(
    spot: BinanceSpotVenue, spot_sim: RunningSim
) -> None:
    await inject(spot_sim, {"action": "drop_response", **SPOT_ORDERS})
    outcome = await spot.place_order(resting("f-drop"))
    assert isinstance(outcome, Unknown)
    assert "connection" in outcome.reason
    found = await spot.query_order(SPOT_BTC, "f-drop")
    assert found is not None
    assert found.status is OrderStatus.ACCEPTED
    again = await spot.place_order(resting("f-drop"))  # what a confused caller might do
    assert isinstance(again, Duplicate)
    assert again.existing == found
    assert await venue_orders(spot_sim) == ["f-drop"]


async def test_5xx_after_applying_is_unknown_then_found(
    spot: BinanceSpotVenue, spot_sim: RunningSim
) -> None:
    await inject(spot_sim, {"action": "status", "status": 500, "apply": True, **SPOT_ORDERS})
    outcome = await spot.place_order(resting("f-500"))
    assert isinstance(outcome, Unknown)
    assert "HTTP 500 -1000" in outcome.reason
    assert await spot.query_order(SPOT_BTC, "f-500") is not None
    assert await venue_orders(spot_sim) == ["f-500"]


async def test_5xx_without_applying_is_unknown_then_absent_and_safe_to_resend_same_id(
    spot: BinanceSpotVenue, spot_sim: RunningSim
) -> None:
    await inject(spot_sim, {"action": "status", "status": 503, **SPOT_ORDERS})
    outcome = await spot.place_order(resting("f-503"))
    assert isinstance(outcome, Unknown)
    assert "HTTP 503 -1001" in outcome.reason
    assert await spot.query_order(SPOT_BTC, "f-503") is None
    resent = await spot.place_order(resting("f-503"))
    assert isinstance(resent, Accepted)
    assert resent.order.client_order_id == "f-503"
    assert await venue_orders(spot_sim) == ["f-503"]


@pytest.mark.parametrize(("apply", "placed"), [(True, ["f-late"]), (False, [])])
async def test_timeout_is_unknown_and_the_query_tells_whether_it_was_placed(
    spot: BinanceSpotVenue, spot_sim: RunningSim, apply: bool, placed: list[str]
) -> None:
    await inject(spot_sim, {"action": "timeout", "ms": HOLD_MS, "apply": apply, **SPOT_ORDERS})
    outcome = await spot.place_order(resting("f-late"))
    assert outcome == Unknown("timed out waiting for the answer")
    found = await spot.query_order(SPOT_BTC, "f-late")
    assert (found is not None) is apply
    assert await venue_orders(spot_sim) == placed


async def test_429_is_rate_limited_with_retry_after_and_nothing_is_placed(
    spot: BinanceSpotVenue, spot_sim: RunningSim
) -> None:
    await inject(spot_sim, {"action": "rate_limit", "retryAfter": 7, **SPOT_ORDERS})
    outcome = await spot.place_order(resting("f-429"))
    assert isinstance(outcome, RateLimited)
    assert outcome.retry_after_s == 7
    assert "HTTP 429 -1003" in outcome.reason
    assert await venue_orders(spot_sim) == []
    # Not waiting, as Binance punishes: the IP is banned (418) -- still RateLimited, and a
    # read says so with the wait attached.
    banned = await spot.place_order(resting("f-429"))
    assert isinstance(banned, RateLimited)
    assert banned.retry_after_s is not None
    assert "HTTP 418" in banned.reason
    with pytest.raises(RetryableError) as caught:
        await spot.account()
    assert caught.value.retry_after == banned.retry_after_s
    assert await venue_orders(spot_sim) == []


async def test_too_many_orders_is_rate_limited(
    spot: BinanceSpotVenue, spot_sim: RunningSim
) -> None:
    rule = {"action": "reject", "status": 429, "code": -1015,
            "msg": "Too many new orders; current limit is 100 orders per TEN_SECONDS."}  # fmt: skip
    await inject(spot_sim, {**rule, **SPOT_ORDERS})
    outcome = await spot.place_order(resting("f-1015"))
    assert isinstance(outcome, RateLimited)
    assert "-1015" in outcome.reason


async def test_a_cancel_whose_answer_is_lost_is_settled_by_a_query(
    spot: BinanceSpotVenue, spot_sim: RunningSim
) -> None:
    assert isinstance(await spot.place_order(resting("f-cancel")), Accepted)
    await inject(spot_sim, {"action": "drop_response", "method": "DELETE",
                            "path": "/api/v3/order", "times": 1})  # fmt: skip
    # aiohttp re-sends an idempotent DELETE once on a dropped keep-alive connection; the
    # first try canceled it, so the second meets -2011: NotFound, which means "not open".
    outcome = await spot.cancel_order(SPOT_BTC, "f-cancel")
    assert isinstance(outcome, NotFound), outcome
    found = await spot.query_order(SPOT_BTC, "f-cancel")
    assert found is not None
    assert found.status is OrderStatus.CANCELED
    assert await venue_orders(spot_sim) == []


async def test_reads_raise_retryable_errors_on_5xx(
    spot: BinanceSpotVenue, spot_sim: RunningSim
) -> None:
    await inject(spot_sim, {"action": "status", "status": 502, "path": "/api/v3/account",
                            "times": 1})  # fmt: skip
    with pytest.raises(RetryableError, match="HTTP 502") as caught:
        await spot.account()
    assert caught.value.retry_after is None
    assert (await spot.account()).balance("USDT").total > 0  # the next try goes through


async def test_futures_dropped_answer_is_found_and_a_resend_is_a_duplicate(
    usdm: BinanceUsdmVenue, usdm_sim: RunningSim
) -> None:
    order = make_order("ff-drop", instrument_id=PERP_BTC, order_type=OrderType.MARKET)
    await inject(usdm_sim, {"action": "drop_response", **FUTURES_ORDERS})
    assert isinstance(await usdm.place_order(order), Unknown)
    found = await usdm.query_order(PERP_BTC, "ff-drop")
    assert found is not None
    assert found.status is OrderStatus.FILLED
    (position,) = await usdm.positions()
    assert position.quantity == order.quantity  # placed once


async def test_futures_stop_with_a_dropped_answer_is_found_among_algo_orders(
    usdm: BinanceUsdmVenue, usdm_sim: RunningSim
) -> None:
    entry = make_order("ff-long", instrument_id=PERP_BTC, order_type=OrderType.MARKET)
    assert isinstance(await usdm.place_order(entry), Accepted)
    stop = make_order(
        "ff-stop", instrument_id=PERP_BTC, side=OrderSide.SELL, order_type=OrderType.STOP_MARKET,
        stop_price="90000", reduce_only=True,
    )  # fmt: skip
    await inject(usdm_sim, {"action": "drop_response", "method": "POST",
                            "path": "/fapi/v1/algoOrder", "times": 1})  # fmt: skip
    assert isinstance(await usdm.place_order(stop), Unknown)
    found = await usdm.query_order(PERP_BTC, "ff-stop")
    assert found is not None
    assert (found.is_conditional, found.status) == (True, OrderStatus.ACCEPTED)
    assert isinstance(await usdm.place_order(stop), Duplicate)
    assert [o.client_order_id for o in await usdm.open_orders()] == ["ff-stop"]
