"""The paper market's "now": the upstream venue's clock, never behind the bars it has sent.

A paper sim (``running_live_sim``) lives on the wall clock. Its upstream -- Binance, or in tests
a replay sim posing as Binance -- has a clock of its own: ``VenueClock`` reads the local wall
clock plus the offset measured from the upstream's ``GET /api/v3/time`` (USD-M:
``/fapi/v1/time``) at start (as every Binance client does), and never answers less than the
close time of the last bar the market holds (paper USD-M: the perpetuals' market): a bar the
stream has closed is closed here too, however fast the upstream runs. Against Binance the two
agree (a bar's close event arrives after its close time); against a replayed upstream running
faster than real time the bars lead.
"""

from __future__ import annotations

from collections.abc import Callable

from ai_engine.simexchange.limits import wall_clock_ms
from ai_engine.simexchange.live.market import LiveMarket
from ai_engine.simexchange.market import BAR_MS


class VenueClock:
    def __init__(self, offset_ms: int = 0, wall_ms: Callable[[], int] = wall_clock_ms) -> None:
        self.offset_ms = offset_ms
        self.market: LiveMarket | None = None  # set once the paper sim holds its market
        self._wall = wall_ms

    def __call__(self) -> int:
        now = self._wall() + self.offset_ms
        market = self.market
        if market is not None:
            for symbol in market.instruments:
                now = max(now, market.last_open(symbol) + BAR_MS)
        return now
