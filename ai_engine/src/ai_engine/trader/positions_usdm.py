"""A USD-M bot's books: one signed position in one perpetual and the wallet, from its fills.

The holdings variant of ``holdings.Holdings`` for a perpetual (one-way mode), as the venue
books it:

- ``base`` is the **signed** position (negative: short), not a balance; ``quote`` is the USDT
  wallet balance: the starting cash plus realised P&L, less every commission (charged in USDT),
  plus funding received (less funding paid). The margin is part of the wallet, not spent.
- A fill that adds to the position (or opens it) moves the entry price to the quantity-weighted
  average; a fill that reduces it realises ``side x qty x (price - entry price)`` into the wallet.
- A round trip is the order(s) that opened the position and the order(s) that brought it back
  to zero (a reducing order booked with ``closes=False`` -- a take profit of the exit manager --
  merges into the exit of the trip the closing order completes, as on spot). Its ``pnl`` is the
  realised P&L net of the entry and exit commissions and of the funding paid while it was open
  -- the backtest's ``pnl = gross - entry_fee - exit_fee - funding`` (``kernel_positions.close``).
- ``equity(mark)`` is the wallet plus the unrealised P&L at ``mark``: the backtest's equity
  (cash + margin + side x qty x (close - entry)) with the margin never taken out.
- An order that would take the position through zero (close and reverse in one) is refused:
  the trader sends the exit and the new entry as two orders (a reduce-only exit first), as the
  backtest closes, then opens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ai_engine.trader.holdings import OrderFills, RoundTrip

ZERO = Decimal(0)


@dataclass
class UsdmBook:
    base_asset: str
    quote_asset: str  # the margin asset (USDT)
    quote: Decimal = ZERO  # wallet balance
    base: Decimal = ZERO  # signed position
    entry_price: Decimal = ZERO  # average entry of the open position
    open_entry: OrderFills | None = None
    trips: list[RoundTrip] = field(default_factory=list)
    funding_open: Decimal = ZERO  # funding paid on the open position (negative: received)
    funding_total: Decimal = ZERO  # funding paid over the whole run
    entry_base: Decimal = ZERO  # spot's dust carried between trips: always 0 here
    partial_exits: list[OrderFills] = field(default_factory=list)
    _realised: Decimal = field(default=ZERO, init=False, repr=False)  # gross P&L realised on
    _exit_fees: Decimal = field(default=ZERO, init=False, repr=False)  # the open position, and
    # the commissions of its reducing fills, so far

    @property
    def side(self) -> int:
        return 1 if self.base > 0 else -1 if self.base < 0 else 0

    def apply(self, order: OrderFills, *, closes: bool = True) -> None:
        """Book ``order``'s fills (module docstring); ``ValueError`` for an order that would
        reverse the position through zero."""
        if not order.fills:
            return
        sign = Decimal(1) if order.side == "buy" else Decimal(-1)
        reduces = self.base != 0 and (self.base > 0) != (sign > 0)
        if reduces and order.qty > abs(self.base):
            raise ValueError(
                f"{order.client_order_id}: {order.side} {order.qty} would take the position "
                f"{self.base} through zero; close it first"
            )
        for f in order.fills:
            fee = f.fee if f.fee_asset == self.quote_asset else f.fee * f.price
            self.quote -= fee
            if reduces:
                gross = (f.price - self.entry_price) * f.qty * (1 if self.base > 0 else -1)
                self.quote += gross
                self._realised += gross
                self._exit_fees += fee
                self.base += sign * f.qty
            else:
                held = abs(self.base)
                self.entry_price = (self.entry_price * held + f.price * f.qty) / (held + f.qty)
                self.base += sign * f.qty
        if not reduces:
            entry = self.open_entry
            if entry is None:
                self.open_entry = order
            else:  # an added entry: one entry of all the fills
                self.open_entry = OrderFills(
                    entry.client_order_id, entry.side, entry.reason, entry.fills + order.fills
                )
            return
        if self.base != 0:  # a partial exit (``closes=False``) or a partly filled close: the
            self.partial_exits.append(order)  # trip ends with the fill that brings it to zero
            return
        self._close_trip(order)

    def _close_trip(self, order: OrderFills) -> None:
        entry = self.open_entry
        assert entry is not None
        if self.partial_exits:
            fills = tuple(f for o in self.partial_exits for f in o.fills) + order.fills
            order = OrderFills(order.client_order_id, order.side, order.reason, fills)
        entry_fee = entry.fee_in_quote(self.quote_asset)
        pnl = self._realised - entry_fee - self._exit_fees - self.funding_open
        side = 1 if entry.side == "buy" else -1
        self.trips.append(RoundTrip(entry, order, pnl, side=side, funding=self.funding_open))
        self.open_entry, self.partial_exits, self.entry_price = None, [], ZERO
        self._realised = self._exit_fees = self.funding_open = ZERO

    def book_funding(self, income: Decimal) -> None:
        """A funding payment the venue booked (its income: negative when the position paid)."""
        self.quote += income
        self.funding_total -= income
        if self.open_entry is not None:
            self.funding_open -= income

    def unrealised(self, mark: Decimal) -> Decimal:
        return (mark - self.entry_price) * self.base if self.base else ZERO

    def equity(self, price: Decimal) -> Decimal:
        return self.quote + self.unrealised(price)
