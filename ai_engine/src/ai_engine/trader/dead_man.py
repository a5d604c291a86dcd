"""The venue's dead-man switch on USD-M, tied to the trader's heartbeat.

Binance futures' ``countdownCancelAll`` cancels every open (regular) order of a symbol unless
it is called again within ``countdownTime``. ``DeadManSwitch.refresh`` re-arms it for each of
the bot's symbols; the supervisor calls it at every heartbeat (``Supervisor(dead_man=...)``).
A trader whose event loop freezes, or whose process dies, stops refreshing: the venue cancels
its resting orders ``timeout`` later, whatever state the trader is in. (The protective stop of
a position is a conditional order, which the countdown leaves alone on Binance: the position
stays protected.) ``disarm`` switches it off (``countdownTime=0``) on a clean shutdown.

The timeout must be longer than the heartbeat (``bot_config`` checks ``dead_man_s`` >
``heartbeat_s``); a refresh that fails raises (the supervisor counts it as a venue error).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from ai_engine.domain import InstrumentId
from ai_engine.execution.ports import FuturesExecutionVenue


class DeadManSwitch:
    def __init__(
        self, venue: FuturesExecutionVenue, instruments: Sequence[InstrumentId], timeout: timedelta
    ) -> None:
        if timeout <= timedelta(0):
            raise ValueError(f"dead-man timeout must be positive, got {timeout}")
        self.venue, self.instruments, self.timeout = venue, tuple(instruments), timeout
        self.refreshes = 0

    async def refresh(self) -> None:
        for instrument in self.instruments:
            await self.venue.arm_dead_man_switch(instrument, self.timeout)
        self.refreshes += 1

    async def disarm(self) -> None:
        for instrument in self.instruments:
            await self.venue.arm_dead_man_switch(instrument, timedelta(0))

    async def __call__(self) -> None:
        await self.refresh()
