"""Recovery when the answer to an order is lost: ask the venue by ``origClientOrderId``.

After a transport error the adapter cannot know whether the order was placed. The contract:
the order is findable by the client id it was sent with; if it is there, re-sending the same
open id is refused as a duplicate (never a second order); if it is not, re-sending is safe.
"""

from __future__ import annotations

import pytest
from binance.exceptions import BinanceAPIException

from .venue import VenueUnderTest

ORDER = {"symbol": "BTCUSDT", "quantity": "0.01", "price": "20000"}
ON_ORDERS = {"method": "POST", "path": "/api/v3/order", "times": 1}


def find(venue: VenueUnderTest, client_id: str) -> dict[str, object] | None:
    try:
        found: dict[str, object] = venue.client.get_order(
            symbol="BTCUSDT", origClientOrderId=client_id
        )
    except BinanceAPIException as exc:
        if exc.code != -2013:  # only "Order does not exist." means absent
            raise
        return None
    return found


def send(venue: VenueUnderTest, client_id: str) -> None:
    venue.client.order_limit_buy(newClientOrderId=client_id, **ORDER)


def test_dropped_response_order_is_found_and_not_doubled(venue: VenueUnderTest) -> None:
    venue.inject({"action": "drop_response", **ON_ORDERS})
    with pytest.raises(venue.transport_errors):
        send(venue, "r-drop")
    found = find(venue, "r-drop")
    assert found is not None
    assert found["status"] == "NEW"
    with pytest.raises(BinanceAPIException) as caught:
        send(venue, "r-drop")
    assert caught.value.code == -2010
    assert [o["clientOrderId"] for o in venue.client.get_open_orders()] == ["r-drop"]


def test_timeout_after_applying_is_found(venue: VenueUnderTest) -> None:
    hold_ms = int(venue.request_timeout * 1000) + 500
    venue.inject({"action": "timeout", "ms": hold_ms, "apply": True, **ON_ORDERS})
    with pytest.raises(venue.transport_errors):
        send(venue, "r-late")
    assert find(venue, "r-late") is not None


def test_order_lost_before_the_venue_is_absent_and_safe_to_resend(
    venue: VenueUnderTest,
) -> None:
    venue.inject({"action": "status", "status": 503, **ON_ORDERS})
    with pytest.raises(BinanceAPIException) as caught:
        send(venue, "r-503")
    assert caught.value.status_code == 503
    assert find(venue, "r-503") is None
    send(venue, "r-503")
    found = find(venue, "r-503")
    assert found is not None
    assert found["status"] == "NEW"


def test_cancel_with_a_lost_answer_is_settled_by_a_query(venue: VenueUnderTest) -> None:
    send(venue, "r-cancel")
    venue.inject({"action": "drop_response", "method": "DELETE", "path": "/api/v3/order",
                  "times": 1})  # fmt: skip
    # aiohttp re-sends an idempotent DELETE once on a dropped keep-alive connection, so the
    # async client meets -2011 "Unknown order sent." for an order its first try canceled.
    with pytest.raises((*venue.transport_errors, BinanceAPIException)):
        venue.client.cancel_order(symbol="BTCUSDT", origClientOrderId="r-cancel")
    found = find(venue, "r-cancel")
    assert found is not None
    assert found["status"] == "CANCELED"
