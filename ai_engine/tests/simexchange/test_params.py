"""The parsing boundary: malformed input gets Binance's code, good input typed values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ai_engine.domain import OrderSide, OrderType, TimeInForce
from ai_engine.simexchange import params
from ai_engine.simexchange.errors import BinanceError
from ai_engine.simexchange.params import RawParams

KNOWN = {"BTCUSDT", "ETHUSDT"}


def new_order(query: str) -> params.NewOrder:
    return params.new_order(RawParams(query, ""), KNOWN, "acct", lambda: "generated")


def parse_all(query: str) -> None:
    raw = RawParams(query, "")
    params.new_order(raw, KNOWN, "acct", lambda: "generated")
    raw.finish()


def code_of(query: str) -> int:
    with pytest.raises(BinanceError) as caught:
        parse_all(query)
    return caught.value.code


def test_a_limit_order_becomes_typed_values() -> None:
    parsed = new_order(
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=0.001&price=27000.5"
    )
    order = parsed.order
    assert (order.side, order.order_type, order.time_in_force) == (
        OrderSide.BUY,
        OrderType.LIMIT,
        TimeInForce.IOC,
    )
    assert (order.quantity, order.price) == (Decimal("0.001"), Decimal("27000.5"))
    assert order.client_order_id == "generated"
    assert parsed.response_type == "FULL"


def test_stop_orders_default_to_ack_and_keep_the_client_id() -> None:
    parsed = new_order(
        "symbol=ETHUSDT&side=SELL&type=STOP_LOSS_LIMIT&timeInForce=GTC&quantity=1"
        "&price=1500&stopPrice=1510&newClientOrderId=my-id_1"
    )
    assert parsed.order.order_type is OrderType.STOP_LIMIT
    assert parsed.order.client_order_id == "my-id_1"
    assert parsed.response_type == "ACK"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("side=BUY&type=MARKET&quantity=1", -1102),  # no symbol
        ("symbol=btcusdt&side=BUY&type=MARKET&quantity=1", -1100),  # illegal characters
        ("symbol=XRPUSDT&side=BUY&type=MARKET&quantity=1", -1121),
        ("symbol=BTCUSDT&side=HOLD&type=MARKET&quantity=1", -1117),
        ("symbol=BTCUSDT&side=BUY&type=TAKE_PROFIT&quantity=1", -1116),
        ("symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=1", -1102),  # no timeInForce
        ("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=DAY&quantity=1&price=1", -1115),
        ("symbol=BTCUSDT&side=BUY&type=MARKET", -1102),  # neither quantity nor quoteOrderQty
        ("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1&quoteOrderQty=5", -1106),
        ("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1&price=5", -1106),
        ("symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=1&price=5&timeInForce=GTC", -1106),
        ("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1e-5", -1100),
        ("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=-1", -1100),
        ("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.000000001", -1111),
        ("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0", -1013),
        ("symbol=BTCUSDT&symbol=ETHUSDT&side=BUY&type=MARKET&quantity=1", -1101),
        ("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1&newOrderRespType=ALL", -1100),
        ("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1&newClientOrderId=bad%20id", -1100),
        ("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1&icebergQty=1", -1104),
        ("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1\n", -1100),
    ],
)
def test_malformed_orders_get_binance_codes(query: str, code: int) -> None:
    assert code_of(query) == code


def test_too_many_parameters() -> None:
    with pytest.raises(BinanceError) as caught:
        RawParams("&".join(f"p{i}=1" for i in range(100)), "")
    assert caught.value.code == -1101


def test_signed_parameters() -> None:
    signed = params.signed(RawParams("timestamp=5&signature=ab", ""))
    assert (signed.timestamp, signed.recv_window) == (5, 5000)
    with pytest.raises(BinanceError) as caught:
        params.signed(RawParams("timestamp=5&recvWindow=60001&signature=ab", ""))
    assert caught.value.code == -1131


def test_symbols_list_and_limits() -> None:
    raw = RawParams('symbols=["BTCUSDT","ETHUSDT"]', "")
    assert params.symbols_list(raw, KNOWN) == ("BTCUSDT", "ETHUSDT")
    for bad in ("symbols=BTCUSDT", 'symbols=["BTCUSDT",1]', "symbols=[]"):
        with pytest.raises(BinanceError):
            params.symbols_list(RawParams(bad, ""), KNOWN)
    assert params.depth(RawParams("symbol=BTCUSDT&limit=99999", ""), KNOWN).limit == 5000
    with pytest.raises(BinanceError) as caught:
        params.depth(RawParams("symbol=BTCUSDT&limit=0", ""), KNOWN)
    assert caught.value.code == -1130
    assert params.depth_weight(RawParams("limit=500", "")) == 25
    assert params.depth_weight(RawParams("limit=junk", "")) == 5
