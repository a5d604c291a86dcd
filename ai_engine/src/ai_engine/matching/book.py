"""The order book the fill model trades against: built from one closed bar (a synthetic book)
or from real L2 levels (a replayed depth stream).

Bar book formulas (all exact ``Decimal``; ``tick`` and ``step`` are the instrument's grid):

    mid          = bar close, snapped to the nearest tick
    half_spread  = max(tick, ceil_tick(mid * half_spread_bps / 10^4))
    spacing      = max(tick, ceil_tick(mid * level_spacing_bps / 10^4))
    bid[i]       = mid - half_spread - i * spacing      (i = 0 .. levels-1, while > 0)
    ask[i]       = mid + half_spread + i * spacing
    level size   = floor_step(depth_fraction * bar volume / levels), the same on every level

Takers consume levels (best first) and what they take stays taken until the next bar
replaces the book, so splitting a large order does not find fresh liquidity within a bar.
A bar with no volume yields a book with prices but no size: market orders expire unfilled.

Real books (``Book.from_levels``): the recorded levels of a depth stream, best first (the
caller passes the top N per side). Our takers consume them the same way, and the book remembers
each level it consumed with the quantity recorded there when it was first hit. When the next
book replaces it (``carry_takes``), a level whose recorded quantity is unchanged keeps what we
took off (the replayed market never saw our orders, so it cannot have refilled it); a level
whose recorded quantity changed -- a later diff updated it -- or that is gone is authoritative
again. ``mid`` is the reference price: the bar's close for a bar book; for a real book the last
trade price the caller knows, else the middle of the best bid and ask on the tick.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain import Bar, Instrument, OrderSide, Rounding
from ai_engine.domain.decimals import exact, snap_to_step, wide_divide
from ai_engine.matching.params import BookParams

_ZERO = Decimal(0)
PriceLevels = Iterable[tuple[Decimal, Decimal]]  # (price, quantity), best first


@dataclass(slots=True)
class Level:
    """One price level; ``quantity`` is what is left of it (after our takers)."""

    price: Decimal
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Take:
    """A planned (not yet executed) take of ``quantity`` at ``price``."""

    price: Decimal
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class TakePlan:
    """What a taker would get: the takes in execution order and whether they complete it."""

    takes: tuple[Take, ...]
    complete: bool  # the asked quantity (or quote amount, to within one lot) was reached

    @property
    def quantity(self) -> Decimal:
        return sum((take.quantity for take in self.takes), _ZERO)

    @property
    def quote(self) -> Decimal:
        with exact():
            return sum((take.price * take.quantity for take in self.takes), _ZERO)


NO_TAKES = TakePlan((), False)  # what an order that does not take plans to get


class Book:
    """Bids (best = highest first) and asks (best = lowest first) of one instrument."""

    __slots__ = ("_taken", "asks", "bids", "mid", "step")

    def __init__(self, bids: list[Level], asks: list[Level], mid: Decimal, step: Decimal) -> None:
        self.bids = bids
        self.asks = asks
        self.mid = mid
        self.step = step
        # (is a bid level, price) -> (quantity recorded there when first taken, taken since)
        self._taken: dict[tuple[bool, Decimal], tuple[Decimal, Decimal]] = {}

    @classmethod
    def from_levels(
        cls,
        bids: PriceLevels,
        asks: PriceLevels,
        instrument: Instrument,
        *,
        reference: Decimal | None = None,
    ) -> Book:
        """A real book: ``bids``/``asks`` as recorded, best first; levels without size are
        left out. ``reference`` is the last trade price (``mid``); None: the middle of the
        best bid and ask on the tick (a one-sided book: its best price; no levels: zero)."""
        bid_levels = [Level(price, quantity) for price, quantity in bids if quantity > 0]
        ask_levels = [Level(price, quantity) for price, quantity in asks if quantity > 0]
        if reference is None:
            reference = _middle(bid_levels, ask_levels, instrument.tick_size)
        return cls(bid_levels, ask_levels, reference, instrument.lot_step)

    @classmethod
    def from_bar(
        cls,
        bar: Bar,
        instrument: Instrument,
        params: BookParams,
        *,
        mid: Decimal | None = None,
    ) -> Book:
        """The book after ``bar`` closed; ``mid`` overrides the centre (a stop's trigger price)."""
        tick, step = instrument.tick_size, instrument.lot_step
        with exact():
            centre = snap_to_step(bar.close.value if mid is None else mid, tick, Rounding.NEAREST)
            half = max(
                tick * params.min_half_spread_ticks,
                snap_to_step(params.bps(centre, params.half_spread_bps), tick, Rounding.UP),
            )
            spacing = max(
                tick, snap_to_step(params.bps(centre, params.level_spacing_bps), tick, Rounding.UP)
            )
            depth = params.depth_fraction * bar.volume.value
        size = snap_to_step(wide_divide(depth, Decimal(params.levels)), step, Rounding.DOWN)
        bids: list[Level] = []
        asks: list[Level] = []
        with exact():
            for i in range(params.levels):
                offset = half + i * spacing
                if centre - offset > 0:
                    bids.append(Level(centre - offset, size))
                asks.append(Level(centre + offset, size))
        return cls(bids, asks, centre, step)

    def opposite(self, taker_side: OrderSide) -> list[Level]:
        """The levels a taker on ``taker_side`` trades against: asks for a buy, bids for a sell."""
        return self.asks if taker_side is OrderSide.BUY else self.bids

    def best(self, side: OrderSide) -> Level | None:
        """Best level with size left on ``side`` (BUY = bids, SELL = asks)."""
        levels = self.bids if side is OrderSide.BUY else self.asks
        return next((level for level in levels if level.quantity > 0), None)

    def is_marketable(self, side: OrderSide, limit: Decimal) -> bool:
        """Whether a limit order at ``limit`` would trade with the book right now."""
        best = self.best(side.opposite)
        if best is None:
            return False
        return limit >= best.price if side is OrderSide.BUY else limit <= best.price

    def plan(
        self,
        side: OrderSide,
        *,
        quantity: Decimal | None = None,
        quote: Decimal | None = None,
        limit: Decimal | None = None,
    ) -> TakePlan:
        """Walk the opposite levels for ``quantity`` base (or up to ``quote`` spent/received).

        Levels beyond ``limit`` are not touched. With ``quote``, each level gives the whole
        lots the remaining quote amount pays for. Nothing is consumed: see ``consume``.
        """
        if (quantity is None) == (quote is None):
            raise ValueError("plan needs exactly one of quantity and quote")
        buy = side is OrderSide.BUY
        takes: list[Take] = []
        left = quantity if quantity is not None else quote
        assert left is not None
        complete = False
        with exact():
            for level in self.opposite(side):
                if level.quantity <= 0:
                    continue
                if limit is not None and (level.price > limit if buy else level.price < limit):
                    break
                if quantity is not None:
                    take = min(level.quantity, left)
                    affordable = False
                else:
                    lots = snap_to_step(wide_divide(left, level.price), self.step, Rounding.DOWN)
                    take = min(level.quantity, lots)
                    # Bound by the money, not the level: less than one lot's worth is left.
                    affordable = take == lots
                if take > 0:
                    takes.append(Take(level.price, take))
                    left -= take if quantity is not None else take * level.price
                if left <= 0 or affordable:
                    complete = True
                    break
        return TakePlan(tuple(takes), complete)

    def consume(self, side: OrderSide, plan: TakePlan) -> None:
        """Remove what ``plan`` takes from the levels (a bar book refills with the next bar; a
        real book keeps the take until the level's recorded quantity changes)."""
        levels = self.opposite(side)
        bid_side = side is OrderSide.SELL  # a sell takes from the bids
        index = 0
        with exact():
            for take in plan.takes:
                while levels[index].price != take.price:
                    index += 1
                level = levels[index]
                key = (bid_side, level.price)
                recorded, taken = self._taken.get(key, (level.quantity, _ZERO))
                self._taken[key] = (recorded, taken + take.quantity)
                level.quantity -= take.quantity

    def carry_takes(self, previous: Book) -> None:
        """Apply what our takers consumed from ``previous`` (the book this one replaces) to
        the levels whose recorded quantity is still what it was when they were hit."""
        if not previous._taken:
            return
        by_price = {
            True: {level.price: level for level in self.bids},
            False: {level.price: level for level in self.asks},
        }
        with exact():
            for key, (recorded, taken) in previous._taken.items():
                level = by_price[key[0]].get(key[1])
                if level is None or level.quantity != recorded:
                    continue  # removed, out of view, or updated by the market: as recorded
                level.quantity = max(_ZERO, recorded - taken)
                self._taken[key] = (recorded, taken)

    def depth(self, limit: int) -> tuple[list[Level], list[Level]]:
        """Up to ``limit`` levels with size left per side: (bids, asks)."""
        bids = [level for level in self.bids if level.quantity > 0][:limit]
        asks = [level for level in self.asks if level.quantity > 0][:limit]
        return bids, asks


def _middle(bids: list[Level], asks: list[Level], tick: Decimal) -> Decimal:
    if bids and asks:
        with exact():
            middle = (bids[0].price + asks[0].price) / 2
        return snap_to_step(middle, tick, Rounding.NEAREST)
    if bids or asks:
        return (bids or asks)[0].price
    return _ZERO


SyntheticBook = Book  # the name of the bar-built book before real books existed
