"""The alert engine: a window of recent events, the rules, and which alert keys were sent.

``observe(entries)`` adds stream entries (only the types a rule reads; older than ``window``
dropped, at most ``max_entries`` kept); ``due(now)`` evaluates every rule and returns the
alerts to send now -- a key never sent, or one whose ``repeat_after`` has passed since it was
last sent -- and records them as sent. ``prime(now)`` records what holds now without returning
it: a restarted engine replays the recent history for context but does not re-send old news.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import datetime, timedelta

from ai_engine.alerts.roundtrips import Entry
from ai_engine.alerts.rules import Alert, Thresholds, evaluate

WATCHED = frozenset(
    {"fill", "risk", "bot", "health", "reconciliation", "venue_error", "equity", "order"}
)


class AlertEngine:
    def __init__(
        self,
        thresholds: Thresholds,
        *,
        window: timedelta = timedelta(hours=48),
        max_entries: int = 50_000,
    ) -> None:
        self.thresholds = thresholds
        self.window = window
        self._entries: deque[Entry] = deque(maxlen=max_entries)
        self._sent: dict[str, datetime] = {}

    @property
    def entries(self) -> list[Entry]:
        return list(self._entries)

    def observe(self, entries: Iterable[Entry]) -> None:
        for entry in entries:
            if entry[1].type in WATCHED:
                self._entries.append(entry)

    def _trim(self, now: datetime) -> None:
        horizon = now - self.window
        while self._entries and self._entries[0][1].ts < horizon:
            self._entries.popleft()

    def due(self, now: datetime) -> list[Alert]:
        self._trim(now)
        out = []
        for alert in evaluate(list(self._entries), now, self.thresholds):
            sent = self._sent.get(alert.key)
            if sent is not None and (alert.repeat_after is None or now - sent < alert.repeat_after):
                continue
            self._sent[alert.key] = now
            out.append(alert)
        return out

    def prime(self, now: datetime) -> int:
        """Mark everything that holds now as sent; returns how many alerts were held back."""
        return len(self.due(now))
