"""The sim exchange as a venue: the Binance adapter pointed at a sim's base URL.

Not a second implementation: the sim speaks Binance's protocol, so the very adapter that
trades on Binance trades on it, with ``BinanceEndpoints.local(base_url)`` and ``Venue.SIM``
instrument ids. Loopback and single-label hosts are not live, so no ``allow_live`` is needed.
``on_weight``: the used-weight observer of ``venues.binance.connection`` (the caller's metrics).
"""

from __future__ import annotations

from ai_engine.domain import Venue
from ai_engine.venues.binance import (
    BinanceCredentials,
    BinanceEndpoints,
    BinanceSpotVenue,
    BinanceUsdmVenue,
    WeightObserver,
)


async def connect_sim_spot(
    base_url: str,
    credentials: BinanceCredentials,
    *,
    request_timeout_s: float = 10.0,
    on_weight: WeightObserver | None = None,
) -> BinanceSpotVenue:
    """A spot adapter on the sim exchange at ``base_url`` (``http://host:port``)."""
    return await BinanceSpotVenue.connect(
        BinanceEndpoints.local(base_url),
        credentials,
        venue=Venue.SIM,
        request_timeout_s=request_timeout_s,
        on_weight=on_weight,
    )


async def connect_sim_usdm(
    base_url: str,
    credentials: BinanceCredentials,
    *,
    request_timeout_s: float = 10.0,
    on_weight: WeightObserver | None = None,
) -> BinanceUsdmVenue:
    """A USD-M adapter on the sim exchange at ``base_url``."""
    return await BinanceUsdmVenue.connect(
        BinanceEndpoints.local(base_url),
        credentials,
        venue=Venue.SIM,
        request_timeout_s=request_timeout_s,
        on_weight=on_weight,
    )


__all__ = ["connect_sim_spot", "connect_sim_usdm"]
