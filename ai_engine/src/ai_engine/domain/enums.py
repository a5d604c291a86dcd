"""Enumerations shared by every layer. Values are lower-case wire-neutral names."""

from __future__ import annotations

from enum import StrEnum


class Venue(StrEnum):
    """Where an instrument trades."""

    BINANCE = "binance"
    SIM = "sim"
    OANDA = "oanda"
    ALPACA = "alpaca"


class MarketType(StrEnum):
    """The kind of market an instrument belongs to."""

    SPOT = "spot"
    USDM = "usdm"  # Binance USD-M (USDT-margined) perpetual futures
    FOREX = "forex"
    STOCK = "stock"
