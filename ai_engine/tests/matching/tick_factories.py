"""Builders for tick-replay matching tests: real-book engines from hand-made levels."""

from __future__ import annotations

from decimal import Decimal

from ai_engine.matching import Book, MatchingEngine

from .factories import ACCOUNT, BTC, PARAMS

D = Decimal
T0_MS = 1_723_161_300_000  # 2024-08-08 23:55 UTC, as in the vendored capture
SYMBOL = "BTCUSDT"

# A small real-looking book: bids 100.00 / 99.99 / 99.95, asks 100.02 / 100.03 / 100.10.
BIDS = (("100.00", "1.5"), ("99.99", "0.25"), ("99.95", "3"))
ASKS = (("100.02", "0.5"), ("100.03", "1.25"), ("100.10", "2"))


def levels(rows: tuple[tuple[str, str], ...]) -> list[tuple[Decimal, Decimal]]:
    return [(D(price), D(quantity)) for price, quantity in rows]


def book(
    bids: tuple[tuple[str, str], ...] = BIDS, asks: tuple[tuple[str, str], ...] = ASKS
) -> Book:
    return Book.from_levels(levels(bids), levels(asks), BTC)


def tick_engine(*, usdt: str = "1000000", btc: str = "10") -> MatchingEngine:
    """An engine with one funded account and the hand-made real book set at ``T0_MS``."""
    made = MatchingEngine([BTC], PARAMS)
    made.open_account(ACCOUNT, {"USDT": D(usdt), "BTC": D(btc)})
    made.set_book(SYMBOL, book(), T0_MS)
    return made
