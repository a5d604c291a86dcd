"""Deterministic client order ids: the idempotency key of every order we send.

The trader mints the id from what the order is *for* -- bot, signal bar, symbol, purpose and
attempt -- before it persists and queues the intent, so a redelivered task, a restarted
worker or a re-run of the same signal produces the very same id, and the venue (or our own
records) recognise the order instead of placing it twice.

Layout (Binance allows 1-36 characters of ``A-Z a-z 0-9 . : / _ -``), fixed-width fields
first, the symbol last::

    <tag: 8><bar: 7><purpose: 1><attempt: 2><symbol: 1-18>
    bot "ema-cross-btc", bar 2024-03-04T14:30Z, ENTRY, attempt 0, BTCUSDT:
    "ffmo3rc2" "0s9tuy0" "E" "00" "BTCUSDT"  ->  "ffmo3rc20s9tuy0E00BTCUSDT"

- ``tag``: the bot id's SHA-256, first 40 bits, base32 lower case (``a-z 2-7``). Bot ids are
  free text, so they are hashed; two bots sharing an account must have different tags
  (``bot_tag``), which the composition root checks (a 40-bit clash is a ~1e-12 event per pair).
- ``bar``: the signal bar's time in whole epoch seconds, base 36, zero-padded (good until the
  year 4453). Sub-second bar times are refused.
- ``purpose``: one letter per ``Purpose``. The letters are part of the format: never reuse one.
- ``attempt``: base 36, two digits (0-1295): 0 for the first order of that purpose for that
  signal, +1 for each *new* order of the same purpose (a retry with a smaller size after a
  rejection, a stop moved to breakeven). Never bump it to re-send after a lost answer: that is
  what the same id is for.
- ``symbol``: the venue symbol as is (``[A-Z0-9_]``, at most 18 characters).

Given the tag, the encoding is injective: ``parse_client_order_id`` recovers every field, so
distinct (bar, symbol, purpose, attempt) never share an id, and nothing depends on the process
(no salted ``hash()``, no clock, no randomness): ids are stable across restarts.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ai_engine.domain import DomainValueError, from_epoch_ms, require_utc, to_epoch_ms
from ai_engine.domain.orders import validate_client_order_id

TAG_LENGTH = 8
BAR_LENGTH = 7
ATTEMPT_LENGTH = 2
MAX_SYMBOL_LENGTH = 18
MAX_ATTEMPT = 36**ATTEMPT_LENGTH - 1
_PREFIX = TAG_LENGTH + BAR_LENGTH + 1 + ATTEMPT_LENGTH
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_MAX_BAR_SECONDS = 36**BAR_LENGTH - 1
_SYMBOL = re.compile(rf"[A-Z0-9_]{{1,{MAX_SYMBOL_LENGTH}}}")
_TAG = re.compile(rf"[a-z2-7]{{{TAG_LENGTH}}}")
_BAR = re.compile(rf"[0-9a-z]{{{BAR_LENGTH}}}")
_ATTEMPT = re.compile(rf"[0-9a-z]{{{ATTEMPT_LENGTH}}}")


class Purpose(StrEnum):
    """What an order is for. The value is its letter in the id (stable forever)."""

    ENTRY = "E"  # opens a position on a signal
    SCALE_IN = "A"  # adds to an open position
    EXIT = "X"  # closes on a signal (reversal, time stop, strategy exit)
    STOP_LOSS = "S"  # the exchange-side protective stop
    TAKE_PROFIT = "T"  # a take-profit order (one level)
    TRAILING_STOP = "R"  # an exchange-side trailing stop
    FLATTEN = "F"  # kill switch or policy: close everything
    FLASH_EXIT = "C"  # flash-crash protection exit


_PURPOSES = {purpose.value: purpose for purpose in Purpose}


@dataclass(frozen=True, slots=True)
class ClientOrderIdParts:
    """What ``parse_client_order_id`` reads back (the bot appears as its tag)."""

    tag: str
    bar_time: datetime
    symbol: str
    purpose: Purpose
    attempt: int


def bot_tag(bot_id: str) -> str:
    """The 8-character tag of a bot id (first 40 bits of SHA-256, base32 lower case)."""
    if not bot_id or bot_id != bot_id.strip():
        raise DomainValueError(f"bot id must be non-empty without outer spaces, got {bot_id!r}")
    digest = hashlib.sha256(bot_id.encode("utf-8")).digest()
    return base64.b32encode(digest[:5]).decode("ascii").lower()


def mint_client_order_id(
    *, bot_id: str, bar_time: datetime, symbol: str, purpose: Purpose, attempt: int = 0
) -> str:
    """The client order id of this order (see the module docstring for the layout)."""
    if not isinstance(purpose, Purpose):
        raise DomainValueError(f"purpose must be a Purpose, got {purpose!r}")
    if _SYMBOL.fullmatch(symbol) is None:
        raise DomainValueError(
            f"symbol must be 1-{MAX_SYMBOL_LENGTH} characters of A-Z 0-9 _, got {symbol!r}"
        )
    if isinstance(attempt, bool) or not 0 <= attempt <= MAX_ATTEMPT:
        raise DomainValueError(f"attempt must be 0..{MAX_ATTEMPT}, got {attempt!r}")
    text = (
        bot_tag(bot_id)
        + _base36(_bar_seconds(bar_time), BAR_LENGTH)
        + purpose.value
        + _base36(attempt, ATTEMPT_LENGTH)
        + symbol
    )
    return validate_client_order_id(text)


def parse_client_order_id(text: str) -> ClientOrderIdParts | None:
    """The fields of an id minted here; None for any other id (another bot's, the venue's)."""
    if len(text) <= _PREFIX or len(text) > 36:
        return None
    tag, bar = text[:TAG_LENGTH], text[TAG_LENGTH : TAG_LENGTH + BAR_LENGTH]
    purpose = _PURPOSES.get(text[TAG_LENGTH + BAR_LENGTH])
    attempt, symbol = text[_PREFIX - ATTEMPT_LENGTH : _PREFIX], text[_PREFIX:]
    if (
        _TAG.fullmatch(tag) is None
        or _BAR.fullmatch(bar) is None
        or purpose is None
        or _ATTEMPT.fullmatch(attempt) is None
        or _SYMBOL.fullmatch(symbol) is None
    ):
        return None
    bar_time = from_epoch_ms(int(bar, 36) * 1000)
    return ClientOrderIdParts(tag, bar_time, symbol, purpose, int(attempt, 36))


def _bar_seconds(bar_time: datetime) -> int:
    ms = to_epoch_ms(require_utc(bar_time, what="bar_time"))
    if ms % 1000:
        raise DomainValueError(f"bar_time must be whole seconds, got {bar_time.isoformat()}")
    seconds = ms // 1000
    if not 0 <= seconds <= _MAX_BAR_SECONDS:
        raise DomainValueError(f"bar_time out of range: {bar_time.isoformat()}")
    return seconds


def _base36(value: int, width: int) -> str:
    digits = []
    while value:
        value, digit = divmod(value, 36)
        digits.append(_DIGITS[digit])
    return "".join(reversed(digits)).rjust(width, "0")
