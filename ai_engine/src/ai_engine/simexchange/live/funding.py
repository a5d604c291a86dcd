"""Funding for the paper USD-M market, from Binance's ``<symbol>@markPrice`` stream.

Every ``markPriceUpdate`` event (``{"e": "markPriceUpdate", "s", "r", "T", ...}``, every 3 s
on Binance) carries the funding rate ``r`` and the next funding time ``T``. ``LiveFunding``
keeps the last ``(T, r)`` seen per symbol; once an event names a later ``T`` the earlier one
has passed, and it becomes a funding event ``(T, last r seen before it)`` appended to the
venue's ``FundingSchedule``: the venue settles it at its next sync (at time ``T``, at the mark
it holds, the last closed bar's close), as a replay settles the stored events.

Rules and limits:

* nothing is charged for a funding time that passed before the first event was seen (a paper
  sim starting at 07:59:59 charges the 08:00 funding; one starting at 08:00:01 does not);
* the rate charged is the last one the stream showed before ``T`` (Binance's estimate, which
  is the settled rate at ``T``: a rate revised in the last seconds may differ slightly);
* the charge is booked when the next event arrives (about 3 s after ``T``), for the position
  held then: a position changed in those seconds is charged as it stands after the change;
* a ``T`` earlier than the one held (a stale or out-of-order event) is ignored, and so is an
  event of a symbol the venue does not list or one that cannot be read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ai_engine.simexchange.futures.funding import FundingEvent, FundingSchedule

log = logging.getLogger(__name__)


class LiveFunding:
    """The pending funding of each symbol; ``on_event`` feeds it the stream's events."""

    def __init__(
        self, schedules: Mapping[str, FundingSchedule], changed: Callable[[], None]
    ) -> None:
        self._schedules = schedules
        self._changed = changed  # an event was appended: the venue settles it (sync)
        self._pending: dict[str, tuple[int, Decimal]] = {}  # symbol -> (next time, rate)
        self.settled = 0  # funding events appended

    def on_event(self, message: Mapping[str, Any]) -> bool:
        """Take one stream message; True if it was a mark price update of a listed symbol."""
        data = message.get("data", message)
        if not isinstance(data, Mapping) or data.get("e") != "markPriceUpdate":
            return False
        symbol = str(data.get("s", "")).upper()
        schedule = self._schedules.get(symbol)
        if schedule is None:
            return False
        try:
            next_time, rate = int(data["T"]), Decimal(str(data["r"]))
        except (KeyError, TypeError, ValueError, InvalidOperation):
            log.warning("markPriceUpdate of %s without a usable T and r: %s", symbol, data)
            return False
        if not rate.is_finite():
            log.warning("markPriceUpdate of %s: funding rate %s", symbol, rate)
            return False
        pending = self._pending.get(symbol)
        if pending is not None and next_time < pending[0]:
            return True  # stale
        if pending is not None and next_time > pending[0]:
            when, last_rate = pending
            if not schedule.times or schedule.times[-1] < when:
                schedule.events.append(FundingEvent(when, last_rate))
                schedule.times.append(when)
                self.settled += 1
                self._changed()
        self._pending[symbol] = (next_time, rate)
        return True
