"""The error mapping table: every python-binance failure to one kind (docs/execution.md).

The exceptions are python-binance's and aiohttp's own classes, built as the libraries build
them from an answer; the sim exchange tests (tests/venues/test_*_sim.py, test_faults.py) meet
the same failures over the wire.
"""

from __future__ import annotations

import json

import aiohttp
import pytest

from ai_engine.venues.binance import FailureKind, classify
from ai_engine.venues.binance.library import BinanceAPIException, BinanceRequestException

K = FailureKind


def api_error(status: int, code: int, msg: str) -> BinanceAPIException:
    return BinanceAPIException(None, status, json.dumps({"code": code, "msg": msg}))


@pytest.mark.parametrize(
    ("status", "code", "msg", "kind", "smaller"),
    [
        (400, -2010, "Account has insufficient balance for requested action.", K.REJECTED, True),
        (400, -2010, "Duplicate order sent.", K.DUPLICATE, False),
        (400, -2010, "Order would immediately match and take.", K.REJECTED, False),
        (400, -4116, "ClientOrderId is duplicated.", K.DUPLICATE, False),
        (400, -2019, "Margin is insufficient.", K.REJECTED, True),
        (400, -2027, "Exceeded the maximum allowable position at current leverage.", K.REJECTED,
         True),
        (400, -4005, "Quantity greater than max quantity.", K.REJECTED, True),
        (400, -1013, "Filter failure: NOTIONAL", K.REJECTED, False),
        (400, -1111, "Precision is over the maximum defined for this asset.", K.REJECTED, False),
        (400, -1121, "Invalid symbol.", K.REJECTED, False),
        (400, -4164, "Order's notional must be no smaller than 100", K.REJECTED, False),
        (400, -2011, "Unknown order sent.", K.NOT_FOUND, False),
        (400, -2013, "Order does not exist.", K.NOT_FOUND, False),
        (429, -1003, "Too much request weight used", K.RATE_LIMITED, False),
        (429, -1015, "Too many new orders", K.RATE_LIMITED, False),
        (418, -1003, "Way too much request weight used; IP banned", K.RATE_LIMITED, False),
        (500, -1000, "An unknown error occurred while processing the request.", K.UNKNOWN,
         False),
        (503, -1001, "Internal error; unable to process your request.", K.UNKNOWN, False),
        (504, -1007, "Timeout waiting for response from backend server.", K.UNKNOWN, False),
        (400, -1006, "Unexpected response from the message bus.", K.UNKNOWN, False),
        (401, -2015, "Invalid API-key, IP, or permissions for action.", K.AUTH, False),
        (400, -1022, "Signature for this request is not valid.", K.AUTH, False),
        (400, -1021, "Timestamp for this request is outside of the recvWindow.", K.REJECTED,
         False),
    ],
)  # fmt: skip
def test_api_errors(status: int, code: int, msg: str, kind: FailureKind, smaller: bool) -> None:
    failure = classify(api_error(status, code, msg))
    assert failure is not None
    assert (failure.kind, failure.code, failure.http_status) == (kind, code, status)
    assert failure.smaller_size_may_pass is smaller
    assert msg in failure.reason
    assert failure.clock_skewed is (code == -1021)


def test_a_5xx_without_a_json_body_is_unknown() -> None:
    exc = BinanceAPIException(type("R", (), {"text": "<html>bad gateway</html>"})(), 502, "<html>")
    failure = classify(exc)
    assert failure is not None
    assert failure.kind is K.UNKNOWN


@pytest.mark.parametrize(
    "exc",
    [
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientConnectionError("reset"),
        ConnectionResetError("reset by peer"),
        TimeoutError(),
        BinanceRequestException("Invalid Response: <html>"),
    ],
)
def test_transport_failures_are_unknown(exc: BaseException) -> None:
    failure = classify(exc)
    assert failure is not None
    assert failure.kind is K.UNKNOWN


def test_programming_errors_are_not_classified() -> None:
    assert classify(KeyError("symbol")) is None
    assert classify(ValueError("bad")) is None
