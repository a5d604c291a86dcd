"""The bot's position and cash, tracked from fills; round trips assembled from its orders.

Spot rules, as the venue books them: a buy pays ``price x qty`` of the quote asset and its
commission in the asset it charges it in (Binance without BNB: the base asset on a buy, so
the position is ``qty - commission``); a sell pays its commission in the quote asset.

A round trip is one entry order and the exit order that closed it -- or, with the exit
manager (``trader/exits.py``), the exit orders that closed it together: a sell booked with
``closes=False`` (a take profit, part of a stop) leaves the position open and its fills are
merged into the exit of the round trip the closing sell completes (its client id and reason
are the closing order's). Its fees are reported in
the quote asset (a commission paid in the base asset is valued at its fill's price, which is
what the backtest kernel charges in quote), its ``pnl`` is the quote the round trip gained or
lost net of every fee, with the base asset the exit could not sell (below the lot step) valued
at the exit price.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class FillView:
    price: Decimal
    qty: Decimal
    fee: Decimal
    fee_asset: str
    ts_ms: int


@dataclass(frozen=True, slots=True)
class OrderFills:
    """One order's fills as recorded, with its side and why it was sent."""

    client_order_id: str
    side: str  # "buy" | "sell"
    reason: str  # "signal" | "end_of_data"
    fills: tuple[FillView, ...]

    @property
    def qty(self) -> Decimal:
        return sum((f.qty for f in self.fills), ZERO)

    @property
    def notional(self) -> Decimal:
        return sum((f.price * f.qty for f in self.fills), ZERO)

    @property
    def avg_price(self) -> Decimal:
        return self.notional / self.qty if self.qty else ZERO

    def fee_in_quote(self, quote: str) -> Decimal:
        return sum((f.fee if f.fee_asset == quote else f.fee * f.price for f in self.fills), ZERO)


@dataclass(frozen=True, slots=True)
class RoundTrip:
    entry: OrderFills
    exit: OrderFills
    pnl: Decimal
    side: int = 1  # 1 long, -1 short (USD-M: ``positions_usdm``)
    funding: Decimal = ZERO  # funding paid while it was open (USD-M; negative: received)


@dataclass
class Holdings:
    base_asset: str
    quote_asset: str
    base: Decimal = ZERO
    quote: Decimal = ZERO
    open_entry: OrderFills | None = None
    trips: list[RoundTrip] = field(default_factory=list)
    entry_base: Decimal = ZERO  # base held before the open entry (dust of earlier trips)
    partial_exits: list[OrderFills] = field(default_factory=list)  # sells not closing yet
    exit_quote: Decimal = ZERO  # quote the partial exits brought in (net of their fees)

    def apply(self, order: OrderFills, *, closes: bool = True) -> None:
        """Book ``order``'s fills; an exit closes the open entry into a round trip (with
        ``closes=False`` a sell only reduces it: the module docstring)."""
        before, base_before = self.quote, self.base
        for f in order.fills:
            signed = f.qty if order.side == "buy" else -f.qty
            self.base += signed
            self.quote -= signed * f.price
            if f.fee_asset == self.base_asset:
                self.base -= f.fee
            elif f.fee_asset == self.quote_asset:
                self.quote -= f.fee
        if not order.fills:
            return
        if order.side == "buy":
            self.open_entry, self.entry_base = order, base_before
            return
        entry = self.open_entry
        if entry is None:
            return
        if not closes:
            self.partial_exits.append(order)
            self.exit_quote += self.quote - before
            return
        if self.partial_exits:
            fills = tuple(f for o in self.partial_exits for f in o.fills) + order.fills
            before -= self.exit_quote
            order = OrderFills(order.client_order_id, order.side, order.reason, fills)
            self.partial_exits, self.exit_quote = [], ZERO
        spent = entry.notional  # quote paid for the entry (its fee was in base, or below)
        quote_fee = sum((f.fee for f in entry.fills if f.fee_asset == self.quote_asset), ZERO)
        left = (self.base - self.entry_base) * order.avg_price  # dust the exit could not sell
        pnl = (self.quote - before) - spent - quote_fee + left
        self.trips.append(RoundTrip(entry, order, pnl))
        self.open_entry = None

    def equity(self, price: Decimal) -> Decimal:
        return self.quote + self.base * price
