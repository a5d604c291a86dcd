"""The events the rules look at, indexed once per evaluation.

``Window(entries)`` is the sequence itself plus what every rule would otherwise recompute: the
entries of each type, the events of each type per bot, the bots seen, and the closed round
trips (``roundtrips``). ``window(entries)`` wraps a plain sequence, or returns a ``Window`` as
it is, so a rule called alone (a test) and the ten rules of one ``evaluate`` see the same thing,
the latter at the cost of one pass. Measured: 27,500 entries (5 bots, 48 h of bars) evaluated in
about 0.15 s instead of 0.74 s (this machine, under load).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from typing import overload

from ai_engine.alerts.roundtrips import Entry, RoundTrip, round_trips
from ai_engine.events import EngineEvent


class Window(Sequence[Entry]):
    def __init__(self, entries: Iterable[Entry]) -> None:
        self._entries = list(entries)
        self._by_type: dict[str, list[Entry]] = defaultdict(list)
        self._by_bot: dict[tuple[str, str], list[EngineEvent]] = defaultdict(list)
        for entry in self._entries:
            event = entry[1]
            self._by_type[event.type].append(entry)
            self._by_bot[(event.type, event.bot_id)].append(event)

    @overload
    def __getitem__(self, index: int) -> Entry: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Entry]: ...
    def __getitem__(self, index: int | slice) -> Entry | Sequence[Entry]:
        return self._entries[index]

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries)

    def of_type(self, kind: str) -> list[Entry]:
        return self._by_type.get(kind, [])

    def of_bot(self, kind: str, bot_id: str) -> list[EngineEvent]:
        return self._by_bot.get((kind, bot_id), [])

    @cached_property
    def bots(self) -> list[str]:
        return sorted({bot for _, bot in self._by_bot if bot})

    @cached_property
    def trips(self) -> list[RoundTrip]:
        return round_trips(self.of_type("fill"))


def window(entries: Sequence[Entry]) -> Window:
    return entries if isinstance(entries, Window) else Window(entries)
