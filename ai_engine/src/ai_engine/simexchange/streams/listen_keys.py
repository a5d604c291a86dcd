"""Listen keys: the classic handle of a user data stream (``POST /api/v3/userDataStream``).

A key names one account on one market (``spot`` or ``usdm``) and stays valid for
``listen_key_ttl_s`` (60 min on Binance) after its creation or last keepalive. Creating one for
an account that has a valid key returns that key and extends it, as Binance does.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Entry:
    market: str
    api_key: str
    expires: float  # monotonic seconds


class ListenKeys:
    def __init__(
        self, ttl_s: Callable[[], float], monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._entries: dict[str, _Entry] = {}

    def create(self, market: str, api_key: str) -> str:
        now = self._monotonic()
        for key, entry in self._entries.items():
            if entry.market == market and entry.api_key == api_key and entry.expires > now:
                entry.expires = now + self._ttl_s()
                return key
        key = secrets.token_hex(32)  # Binance's keys are 64 characters
        self._entries[key] = _Entry(market, api_key, now + self._ttl_s())
        return key

    def keepalive(self, key: str) -> bool:
        entry = self._valid(key)
        if entry is None:
            return False
        entry.expires = self._monotonic() + self._ttl_s()
        return True

    def close(self, key: str) -> bool:
        return self._entries.pop(key, None) is not None

    def owner(self, key: str) -> tuple[str, str] | None:
        """(market, api_key) of a valid key."""
        entry = self._valid(key)
        return None if entry is None else (entry.market, entry.api_key)

    def _valid(self, key: str) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is not None and entry.expires <= self._monotonic():
            del self._entries[key]
            return None
        return entry
