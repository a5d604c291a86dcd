"""What went wrong with a call to Binance, decided once from the exception python-binance raised.

| what python-binance raises                                      | kind           |
|-----------------------------------------------------------------|----------------|
| ``aiohttp.ClientError`` (dropped, refused, reset)               | ``UNKNOWN``    |
| ``TimeoutError``; ``BinanceRequestException`` (unreadable body) | ``UNKNOWN``    |
| ``BinanceAPIException``, HTTP 5xx, or code -1006 / -1007        | ``UNKNOWN``    |
| HTTP 429 / 418, or code -1003 / -1015 (Retry-After kept)        | ``RATE_LIMITED`` |
| -2010 "Duplicate order sent." (spot), -4116 (USD-M)             | ``DUPLICATE``  |
| -2011 "Unknown order sent.", -2013 "Order does not exist."      | ``NOT_FOUND``  |
| HTTP 401, -2014 / -2015 (API key), -1022 (signature)            | ``AUTH``       |
| any other ``BinanceAPIException``                               | ``REJECTED``   |

A rejection may pass with a smaller size when the account lacked funds (-2010 "insufficient
balance", -2019 margin insufficient) or the size broke a cap (-2027 position above the
leverage's cap, -4005 quantity above the maximum). Anything else python-binance raises is a
programming error and is not classified here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import aiohttp

from ai_engine.venues.binance.library import BinanceAPIException, BinanceRequestException

DUPLICATE_SPOT_MESSAGE = "Duplicate order sent."
_DUPLICATE_CODES = frozenset({-4116})
_NOT_FOUND_CODES = frozenset({-2011, -2013})
_RATE_CODES = frozenset({-1003, -1015})
_UNKNOWN_CODES = frozenset({-1006, -1007})
_AUTH_CODES = frozenset({-2014, -2015, -1022})
_SMALLER_CODES = frozenset({-2019, -2027, -4005})
_TIMESTAMP_CODE = -1021


class FailureKind(StrEnum):
    UNKNOWN = "unknown"  # the request may or may not have been executed
    RATE_LIMITED = "rate_limited"  # not executed; wait Retry-After
    DUPLICATE = "duplicate"  # an open order already has this client id
    NOT_FOUND = "not_found"  # no such (open) order
    AUTH = "auth"  # bad key or signature: nothing will work until it is fixed
    REJECTED = "rejected"  # not executed; will fail the same way again


@dataclass(frozen=True, slots=True)
class VenueFailure:
    kind: FailureKind
    reason: str
    code: int | None = None
    http_status: int | None = None
    retry_after_s: float | None = None
    smaller_size_may_pass: bool = False

    @property
    def clock_skewed(self) -> bool:
        """-1021: our timestamp was outside the venue's window; re-sync, then re-send."""
        return self.code == _TIMESTAMP_CODE


def classify(exc: BaseException) -> VenueFailure | None:
    """The failure ``exc`` stands for; None if it is not a venue or transport failure."""
    if isinstance(exc, BinanceAPIException):
        return _api_failure(exc)
    if isinstance(exc, TimeoutError):
        return VenueFailure(FailureKind.UNKNOWN, "timed out waiting for the answer")
    if isinstance(exc, aiohttp.ClientError | ConnectionError):
        return VenueFailure(FailureKind.UNKNOWN, f"connection failed: {type(exc).__name__}")
    if isinstance(exc, BinanceRequestException):
        return VenueFailure(FailureKind.UNKNOWN, "unreadable answer from the venue")
    return None


def _api_failure(exc: BinanceAPIException) -> VenueFailure:
    status = int(exc.status_code)
    code = exc.code if isinstance(exc.code, int) else None
    message = str(exc.message or "")
    reason = f"HTTP {status} {code}: {message}" if code is not None else f"HTTP {status}"
    if status in (429, 418) or code in _RATE_CODES:
        retry = _retry_after(exc)
        return VenueFailure(FailureKind.RATE_LIMITED, reason, code, status, retry)
    if status >= 500 or code in _UNKNOWN_CODES:
        return VenueFailure(FailureKind.UNKNOWN, reason, code, status)
    if code in _DUPLICATE_CODES or (code == -2010 and message == DUPLICATE_SPOT_MESSAGE):
        return VenueFailure(FailureKind.DUPLICATE, reason, code, status)
    if code in _NOT_FOUND_CODES:
        return VenueFailure(FailureKind.NOT_FOUND, reason, code, status)
    if status == 401 or code in _AUTH_CODES:
        return VenueFailure(FailureKind.AUTH, reason, code, status)
    smaller = code in _SMALLER_CODES or (code == -2010 and "insufficient balance" in message)
    return VenueFailure(FailureKind.REJECTED, reason, code, status, None, smaller)


def _retry_after(exc: BinanceAPIException) -> float | None:
    headers = getattr(exc.response, "headers", None)
    raw = headers.get("Retry-After") if headers is not None else None
    try:
        seconds = float(raw) if raw is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 else None
