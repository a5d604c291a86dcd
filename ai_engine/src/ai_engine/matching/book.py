"""The synthetic order book: price levels derived from one closed bar.

Formulas (all exact ``Decimal``; ``tick`` and ``step`` are the instrument's grid):

    mid          = bar close, snapped to the nearest tick
    half_spread  = max(tick, ceil_tick(mid * half_spread_bps / 10^4))
    spacing      = max(tick, ceil_tick(mid * level_spacing_bps / 10^4))
    bid[i]       = mid - half_spread - i * spacing      (i = 0 .. levels-1, while > 0)
    ask[i]       = mid + half_spread + i * spacing
    level size   = floor_step(depth_fraction * bar volume / levels), the same on every level

Takers consume levels (best first) and what they take stays taken until the next bar
replaces the book, so splitting a large order does not find fresh liquidity within a bar.
A bar with no volume yields a book with prices but no size: market orders expire unfilled.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain import Bar, Instrument, OrderSide, Rounding
from ai_engine.domain.decimals import exact, snap_to_step, wide_divide
from ai_engine.matching.params import BookParams

_ZERO = Decimal(0)


@dataclass(slots=True)
class Level:
    """One price level; ``quantity`` is what is left of it in the current bar."""

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


class SyntheticBook:
    """Bids (best = highest first) and asks (best = lowest first) of one instrument."""

    __slots__ = ("asks", "bids", "mid", "step")

    def __init__(self, bids: list[Level], asks: list[Level], mid: Decimal, step: Decimal) -> None:
        self.bids = bids
        self.asks = asks
        self.mid = mid
        self.step = step

    @classmethod
    def from_bar(
        cls,
        bar: Bar,
        instrument: Instrument,
        params: BookParams,
        *,
        mid: Decimal | None = None,
    ) -> SyntheticBook:
        """The book after ``bar`` closed; ``mid`` overrides the centre (a stop's trigger price)."""
        tick, step = instrument.tick_size, instrument.lot_step
        with exact():
            centre = snap_to_step(bar.close.value if mid is None else mid, tick, Rounding.NEAREST)
            half = max(
                tick, snap_to_step(params.bps(centre, params.half_spread_bps), tick, Rounding.UP)
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
        """Remove what ``plan`` takes from the levels (they refill with the next bar)."""
        levels = self.opposite(side)
        index = 0
        with exact():
            for take in plan.takes:
                while levels[index].price != take.price:
                    index += 1
                levels[index].quantity -= take.quantity

    def depth(self, limit: int) -> tuple[list[Level], list[Level]]:
        """Up to ``limit`` levels with size left per side: (bids, asks)."""
        bids = [level for level in self.bids if level.quantity > 0][:limit]
        asks = [level for level in self.asks if level.quantity > 0][:limit]
        return bids, asks
