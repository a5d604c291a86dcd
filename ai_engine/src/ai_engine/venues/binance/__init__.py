"""The Binance venue adapter: spot and USD-M over python-binance 1.0.37's ``AsyncClient``.

One implementation for mainnet, testnet and the sim exchange; only ``BinanceEndpoints``
differs. See docs/execution.md for the port, the outcomes and the error mapping table.

    venue = await BinanceSpotVenue.connect(BinanceEndpoints.testnet(), credentials)
    outcome = await venue.place_order(order)
"""

from ai_engine.venues.binance.connection import WeightObserver
from ai_engine.venues.binance.credentials import BinanceCredentials
from ai_engine.venues.binance.endpoints import (
    BinanceEndpoints,
    LiveTradingRefused,
    require_live_allowed,
)
from ai_engine.venues.binance.failures import FailureKind, VenueFailure, classify
from ai_engine.venues.binance.spot import BinanceSpotVenue
from ai_engine.venues.binance.usdm import BinanceUsdmVenue
from ai_engine.venues.binance.wire import BadVenueAnswer

__all__ = [
    "BadVenueAnswer",
    "BinanceCredentials",
    "BinanceEndpoints",
    "BinanceSpotVenue",
    "BinanceUsdmVenue",
    "FailureKind",
    "LiveTradingRefused",
    "VenueFailure",
    "WeightObserver",
    "classify",
    "require_live_allowed",
]
