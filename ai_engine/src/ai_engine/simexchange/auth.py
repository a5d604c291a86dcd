"""Signed-endpoint security, as Binance does it.

Order of checks: ``X-MBX-APIKEY`` present (-2014) and known (-2015), ``timestamp``/
``signature`` sent (-1102), ``recvWindow`` at most 60000 (-1131), HMAC-SHA256 of the
parameters as sent (-1022), then the timestamp against the server's WALL clock: not more than
1 s ahead and not older than ``recvWindow`` (-1021).

The signed payload is Binance's ``totalParams``: the query string followed by the body, as
sent, without the ``signature`` parameter (which must come last in its part). A signature over
the percent-decoded payload is accepted too, because python-binance signs raw values but sends
the body form-encoded (it only differs for values with characters such as ``:`` or ``/``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from urllib.parse import unquote_plus

from ai_engine.simexchange import errors, params
from ai_engine.simexchange.params import RawParams

API_KEY_HEADER = "X-MBX-APIKEY"


def authenticate(
    raw: RawParams,
    headers: Mapping[str, str],
    secret_of: Callable[[str], bytes | None],
    wall_ms: int,
) -> str:
    """The API key of a correctly signed, timely request; else raises ``BinanceError``."""
    api_key = headers.get(API_KEY_HEADER)
    if not api_key:
        raise errors.bad_api_key_format()
    secret = secret_of(api_key)
    if secret is None:
        raise errors.rejected_api_key()
    signed = params.signed(raw)
    payload = signed_payload(raw.query, raw.body)
    if payload is None or not _matches(secret, payload, signed.signature):
        raise errors.bad_signature()
    if signed.timestamp > wall_ms + 1000:
        raise errors.ahead_of_server()
    if wall_ms - signed.timestamp > signed.recv_window:
        raise errors.outside_recv_window()
    return api_key


def sign(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


def _matches(secret: bytes, payload: str, signature: str) -> bool:
    given = signature.lower()
    if hmac.compare_digest(sign(secret, payload), given):
        return True
    decoded = unquote_plus(payload)
    return decoded != payload and hmac.compare_digest(sign(secret, decoded), given)


def signed_payload(query: str, body: str) -> str | None:
    """``totalParams`` without the signature; None unless exactly one part ends with it."""
    stripped_query, in_query = _strip(query)
    stripped_body, in_body = _strip(body)
    if in_query == in_body:
        return None
    return stripped_query + stripped_body


def _strip(part: str) -> tuple[str, bool]:
    """(``part`` without its trailing signature parameter, whether it had one)."""
    if part.startswith("signature=") and "&" not in part:
        return "", True
    head, found, tail = part.rpartition("&signature=")
    if not found or "&" in tail:
        return part, False
    return head, True
