"""News source adapters over httpx (async): CryptoPanic, CoinGecko, RSS/Atom.

Each adapter is a ``NewsSource``: ``await source.fetch(client, clock) -> Parsed``. Parsing is a
pure function of the payload (``parse_*``) so recorded payloads pin it; fetching adds only the
HTTP call and the ``fetched_at`` stamp from the injected clock.
"""

from __future__ import annotations

from ai_engine.sentiment.sources.base import NewsSource, SourceUnavailable, fetch_all
from ai_engine.sentiment.sources.coingecko import CoinGeckoNews, parse_coingecko
from ai_engine.sentiment.sources.cryptopanic import CryptoPanic, parse_cryptopanic
from ai_engine.sentiment.sources.rss import RssFeed, parse_feed

__all__ = [
    "CoinGeckoNews",
    "CryptoPanic",
    "NewsSource",
    "RssFeed",
    "SourceUnavailable",
    "fetch_all",
    "parse_coingecko",
    "parse_cryptopanic",
    "parse_feed",
]
