"""One side of a local L2 book: price levels keyed by float price, best level in O(log n).

Levels live in a dict ``float price -> (price str, quantity str)``: the float is the key (and
what depth sums use), the strings are the exchange's exact text, handed back unchanged. The
best level is the top of a heap of keys with lazy deletion: a removed level's key stays in the
heap until it reaches the top, where it is discarded; a level added again is pushed again. So
neither an update nor a best-price query sorts the book. The heap is rebuilt from the dict when
dead keys outnumber live ones, which bounds its size.
"""

from __future__ import annotations

import heapq
import math
from operator import itemgetter

Level = tuple[str, str]  # (price, quantity) as the exchange wrote them
# The levels as given, with their float prices and quantities alongside (same order).
ParsedLevels = tuple[tuple[Level, ...], list[float], list[float]]
_price, _qty = itemgetter(0), itemgetter(1)

_SLACK = 64  # dead heap keys tolerated beyond the live count before a rebuild
_INF = math.inf


class BookSide:
    """Bids (``descending=True``, best = highest) or asks (best = lowest)."""

    __slots__ = ("_heap", "_sign", "descending", "levels")

    def __init__(self, *, descending: bool) -> None:
        self.descending = descending
        self._sign = -1.0 if descending else 1.0  # heap keys: -price for bids, price for asks
        self.levels: dict[float, Level] = {}
        self._heap: list[float] = []

    def __len__(self) -> int:
        return len(self.levels)

    def replace(self, levels: ParsedLevels) -> None:
        """Set the side to ``levels`` (a snapshot); zero quantities are left out."""
        raw, prices, qtys = levels
        self.levels = {
            price: level for price, qty, level in zip(prices, qtys, raw, strict=True) if qty != 0.0
        }
        self._rebuild()

    def update(self, levels: tuple[Level, ...]) -> None:
        """Set each level's quantity; a zero quantity removes the level.

        One pass converting and applying (the hot path of a book). A level that is not a finite
        positive price with a finite non-negative quantity raises ``ValueError`` with the
        levels before it already applied: the caller must treat the side as corrupt.
        """
        book, heap, sign, push = self.levels, self._heap, self._sign, heapq.heappush
        for level in levels:
            price, qty = float(level[0]), float(level[1])
            if qty == 0.0:
                book.pop(price, None)
            elif 0.0 < price < _INF and 0.0 < qty < _INF:
                if price not in book:
                    push(heap, sign * price)
                book[price] = level
            else:
                raise ValueError(f"bad price level {level!r}")
        if len(heap) > 2 * len(book) + _SLACK:
            self._rebuild()

    def best_price(self) -> float | None:
        heap, book, sign = self._heap, self.levels, self._sign
        while heap:
            price = sign * heap[0]
            if price in book:
                return price
            heapq.heappop(heap)
        return None

    def best(self) -> Level | None:
        price = self.best_price()
        return None if price is None else self.levels[price]

    def top(self, n: int) -> list[Level]:
        """The ``n`` best levels, best first."""
        pick = heapq.nlargest if self.descending else heapq.nsmallest
        return [self.levels[price] for price in pick(n, self.levels)]

    def volume_within(self, limit: float) -> float:
        """Quantity on levels at or better than ``limit`` (>= for bids, <= for asks)."""
        if self.descending:
            return math.fsum(float(q) for price, (_, q) in self.levels.items() if price >= limit)
        return math.fsum(float(q) for price, (_, q) in self.levels.items() if price <= limit)

    def volume_top(self, n: int) -> float:
        return math.fsum(float(q) for _, q in self.top(n))

    def _rebuild(self) -> None:
        self._heap = [self._sign * price for price in self.levels]
        heapq.heapify(self._heap)


def parse_levels(levels: tuple[Level, ...]) -> ParsedLevels:
    """``levels`` with their float prices and quantities; ``ValueError`` for anything not a
    finite positive price with a finite non-negative quantity (nothing is applied then)."""
    prices = list(map(float, map(_price, levels)))  # C loops: most of the cost of a diff
    qtys = list(map(float, map(_qty, levels)))
    if prices:
        if not (min(prices) > 0.0 and min(qtys) >= 0.0):
            raise ValueError("a price is not positive or a quantity is negative")
        # min() skips NaN (comparisons with it are false); a sum is inf or NaN if any item is.
        if not (math.isfinite(sum(prices)) and math.isfinite(sum(qtys))):
            raise ValueError("a price or quantity is not finite")
    return levels, prices, qtys
