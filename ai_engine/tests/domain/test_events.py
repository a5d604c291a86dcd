from __future__ import annotations

import json
from datetime import datetime

import pytest

from ai_engine.domain import (
    DomainValueError,
    OrderAccepted,
    OrderFilled,
    OrderRejected,
    Position,
    PositionChanged,
)
from ai_engine.domain.instrument_examples import binance_spot_btcusdt

from .factories import T0, make_fill


def test_order_filled_renders_decimals_as_strings_and_times_as_iso() -> None:
    fill = make_fill(price="65000.10", quantity="0.00150", fee="0.0975", venue_order_id="889")
    event = OrderFilled(client_order_id="ord-1", fill=fill, ts=T0, event_id="e-1")
    body = event.to_dict()
    assert body == {
        "type": "OrderFilled",
        "ts": "2024-03-04T14:30:00+00:00",
        "event_id": "e-1",
        "client_order_id": "ord-1",
        "fill": {
            "client_order_id": "ord-1",
            "venue_order_id": "889",
            "trade_id": "t-1",
            "instrument_id": "binance:spot:BTCUSDT",
            "side": "buy",
            "price": "65000.10",
            "quantity": "0.00150",
            "fee": {"amount": "0.0975", "asset": "USDT"},
            "liquidity": "taker",
            "ts": "2024-03-04T14:30:00+00:00",
        },
    }
    assert json.loads(json.dumps(body)) == body  # plain JSON all the way down


def test_position_changed_is_serialisable() -> None:
    position = Position.flat(binance_spot_btcusdt()).apply_fill(make_fill())
    body = PositionChanged(position=position, ts=T0).to_dict()
    assert body["position"]["side"] == "long"
    assert body["position"]["cost_basis"] == "100"
    assert body["position"]["opened_at"] == "2024-03-04T14:30:00+00:00"
    json.dumps(body)


def test_events_get_distinct_ids_and_refuse_naive_times() -> None:
    first = OrderAccepted(client_order_id="a", venue_order_id="1", ts=T0)
    second = OrderAccepted(client_order_id="a", venue_order_id="1", ts=T0)
    assert first.event_id != second.event_id
    with pytest.raises(DomainValueError, match="naive"):
        OrderRejected(client_order_id="a", reason="x", ts=datetime(2024, 1, 1))  # noqa: DTZ001


def test_fill_event_must_belong_to_its_order() -> None:
    with pytest.raises(DomainValueError, match="belongs to"):
        OrderFilled(client_order_id="other", fill=make_fill(), ts=T0)


def test_events_are_immutable() -> None:
    event = OrderRejected(client_order_id="a", reason="x", ts=T0)
    with pytest.raises(AttributeError):
        event.reason = "y"  # type: ignore[misc]
