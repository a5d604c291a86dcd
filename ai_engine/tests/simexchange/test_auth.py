from __future__ import annotations

import hashlib
import hmac

import pytest

from ai_engine.simexchange.auth import authenticate, signed_payload
from ai_engine.simexchange.errors import BinanceError
from ai_engine.simexchange.params import RawParams

SECRET = b"s3cret"
NOW = 1_700_000_000_000


def signed(payload: str, secret: bytes = SECRET) -> str:
    sig = hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}&signature={sig}"


def auth(query: str = "", body: str = "", key: str | None = "k", now: int = NOW) -> str:
    headers = {} if key is None else {"X-MBX-APIKEY": key}
    secrets = {"k": SECRET}
    return authenticate(RawParams(query, body), headers, secrets.get, now)


def code(**kwargs: object) -> int:
    with pytest.raises(BinanceError) as caught:
        auth(**kwargs)  # type: ignore[arg-type]
    return caught.value.code


def test_signature_over_the_query_or_the_body() -> None:
    assert auth(query=signed(f"symbol=BTCUSDT&timestamp={NOW}")) == "k"
    assert auth(body=signed(f"symbol=BTCUSDT&timestamp={NOW}&recvWindow=10000")) == "k"


def test_signature_over_percent_decoded_values_is_accepted() -> None:
    payload = f"newClientOrderId=a:b/c&timestamp={NOW}"
    sig = hmac.new(SECRET, payload.encode(), hashlib.sha256).hexdigest()
    body = f"newClientOrderId=a%3Ab%2Fc&timestamp={NOW}&signature={sig}"
    assert auth(body=body) == "k"


def test_failures_in_binance_order() -> None:
    good = signed(f"timestamp={NOW}")
    assert code(query=good, key=None) == -2014
    assert code(query=good, key="other") == -2015
    assert code(query="symbol=X&signature=ab") == -1102
    assert code(query=f"timestamp={NOW}") == -1102
    assert code(query=signed(f"timestamp={NOW}", b"wrong")) == -1022
    assert code(query=signed(f"timestamp={NOW - 5001}")) == -1021
    assert code(query=signed(f"timestamp={NOW + 1001}")) == -1021
    assert auth(query=signed(f"timestamp={NOW - 20000}&recvWindow=30000")) == "k"


def test_signed_payload_strips_a_trailing_signature_only() -> None:
    assert signed_payload("a=1&signature=x", "") == "a=1"
    assert signed_payload("a=1", "b=2&signature=x") == "a=1b=2"  # Binance's totalParams
    assert signed_payload("signature=x", "") == ""
    assert signed_payload("signature=x&a=1", "") is None
    assert signed_payload("a=1", "b=2") is None
