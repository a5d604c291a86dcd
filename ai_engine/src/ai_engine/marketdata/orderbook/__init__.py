"""Local L2 order books kept from a REST snapshot plus Binance's depth-diff stream.

``OrderBook`` (sequencing rules and queries, in ``book``) over two ``BookSide``s (``side``).
"""

from __future__ import annotations

from ai_engine.marketdata.orderbook.book import BookState, BookStats, DiffOutcome, OrderBook

__all__ = ["BookState", "BookStats", "DiffOutcome", "OrderBook"]
