"""Which crypto assets a piece of text is about, and the asset of a trading symbol.

The matcher is deliberately small and literal: whole words, case-insensitive, names and
tickers of the assets the engine trades. Sources that tag their items (CryptoPanic's
``currencies``, CoinGecko's coin ids) are trusted first; the matcher only fills in for feeds
that carry no tags (RSS). Claude's own ``assets`` answer is stored with each score.
"""

from __future__ import annotations

import re

# ticker -> words that name it (the ticker itself is always one)
NAMES: dict[str, tuple[str, ...]] = {
    "BTC": ("bitcoin",),
    "ETH": ("ethereum", "ether"),
    "SOL": ("solana",),
    "BNB": ("binance coin",),
    "XRP": ("ripple",),
    "ADA": ("cardano",),
    "DOGE": ("dogecoin",),
    "AVAX": ("avalanche",),
    "DOT": ("polkadot",),
    "MATIC": ("polygon",),
}
# CoinGecko coin ids of the same assets
COINGECKO_IDS: dict[str, str] = {
    "bitcoin": "BTC",
    "ethereum": "ETH",
    "solana": "SOL",
    "binancecoin": "BNB",
    "ripple": "XRP",
    "cardano": "ADA",
    "dogecoin": "DOGE",
    "avalanche-2": "AVAX",
    "polkadot": "DOT",
    "matic-network": "MATIC",
}
_QUOTES = ("USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USD", "EUR", "BTC", "ETH")
_PATTERNS = {
    ticker: re.compile(
        r"\b(?:" + "|".join(re.escape(w) for w in (ticker.lower(), *words)) + r")\b", re.I
    )
    for ticker, words in NAMES.items()
}
_TICKER = re.compile(r"^[A-Z0-9]{2,12}$")


def assets_in(*texts: str) -> tuple[str, ...]:
    """Tickers named in ``texts`` (sorted, unique)."""
    joined = " ".join(texts)
    return tuple(sorted(t for t, pattern in _PATTERNS.items() if pattern.search(joined)))


def clean_assets(values: object) -> tuple[str, ...]:
    """Upper-case tickers from a list of strings; anything else is dropped."""
    if not isinstance(values, list | tuple):
        return ()
    out = {str(v).strip().upper() for v in values if isinstance(v, str)}
    return tuple(sorted(v for v in out if _TICKER.match(v)))


def asset_of_symbol(symbol: str) -> str:
    """``BTCUSDT`` -> ``BTC``; a bare asset (``BTC``) is returned as it is."""
    symbol = symbol.strip().upper()
    for quote in _QUOTES:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return symbol[: -len(quote)]
    return symbol
