"""Closed round trips rebuilt from the ``fill`` events of the engine stream (pure).

Per bot and symbol a signed position is kept at its average cost: a fill in the position's
direction (or from flat) adds to it at a new average; a fill against it realises
``(price - average) x closed quantity`` (sign by side) and, once the position is back to zero,
closes the round trip. A fill larger than the position closes the trip and opens the opposite one
with the rest.

Fees: a fee in the quote asset (``USDT`` for ``BTCUSDT``) is charged to the trip; a fee in the
base asset (Binance takes a spot buy's fee in the coin bought) changes the quantity instead --
a buy of 1 BTC with a 0.001 BTC fee holds 0.999 BTC that cost the price of 1 -- so the exit that
sells what is held closes the trip and its P&L carries the fee. A fee in a third asset (BNB)
cannot be priced from the fill alone and is left out (approximate). A remainder smaller than
``DUST`` of the trip's largest size (the lot-step rounding of an exit that sells "everything")
counts as flat.

Used by the alert rules (trade P&L, win rate, daily summary) and the metrics (win rate).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from ai_engine.events import EngineEvent

Entry = tuple[str, EngineEvent]  # (stream entry id, event)
_ZERO = Decimal(0)
DUST = Decimal("0.001")


@dataclass(frozen=True, slots=True)
class RoundTrip:
    bot_id: str
    symbol: str
    side: str  # "long" | "short"
    quantity: Decimal  # the largest size the position reached
    entry_price: Decimal
    exit_price: Decimal
    pnl: Decimal  # net of fees, quote asset
    opened: datetime
    closed: datetime
    closing_entry: str  # stream id of the fill that closed it

    @property
    def won(self) -> bool:
        return self.pnl > 0


@dataclass(slots=True)
class _Open:
    qty: Decimal = _ZERO  # signed: > 0 long, < 0 short
    avg: Decimal = _ZERO
    realised: Decimal = _ZERO
    fees: Decimal = _ZERO
    peak: Decimal = _ZERO
    entry_avg: Decimal = _ZERO
    exit_notional: Decimal = _ZERO
    exit_qty: Decimal = _ZERO
    opened: datetime | None = None


def split_fee(
    symbol: str, side_sign: Decimal, qty: Decimal, price: Decimal, fee: Decimal, fee_asset: str
) -> tuple[Decimal, Decimal, Decimal]:
    """(quantity moved, effective price, fee in quote) of a fill, per the module's fee rules."""
    asset, sym = fee_asset.upper(), symbol.upper()
    if asset and sym.startswith(asset) and not sym.endswith(asset) and fee:
        moved = qty - fee if side_sign > 0 else qty + fee
        if moved > 0:
            return moved, price * qty / moved, _ZERO
    if asset and sym.endswith(asset):
        return qty, price, fee
    return qty, price, _ZERO


def _decimal(data: object, name: str) -> Decimal | None:
    raw = data.get(name) if isinstance(data, dict) else None
    try:
        return Decimal(str(raw)) if raw is not None else None
    except InvalidOperation:
        return None


class TripBook:
    """The incremental form: ``add`` one entry, get the round trips it closed (0, 1 or 2)."""

    def __init__(self) -> None:
        self._books: dict[tuple[str, str], _Open] = {}

    def add(self, entry_id: str, event: EngineEvent) -> list[RoundTrip]:
        out: list[RoundTrip] = []
        if event.type != "fill":
            return out
        data = dict(event.data)
        price, qty = _decimal(data, "price"), _decimal(data, "quantity")
        if price is None or qty is None or price <= 0 or qty <= 0:
            return out
        sign = Decimal(1) if str(data.get("side", "")).lower() == "buy" else Decimal(-1)
        qty, price, fee = split_fee(
            event.symbol,
            sign,
            qty,
            price,
            _decimal(data, "fee") or _ZERO,
            str(data.get("fee_asset", "")),
        )
        book = self._books.setdefault((event.bot_id, event.symbol), _Open())
        _apply(book, sign, qty, price, fee, event, entry_id, out)
        return out


def round_trips(entries: Iterable[Entry]) -> list[RoundTrip]:
    """Every round trip the fills in ``entries`` closed, in the order they closed."""
    book = TripBook()
    return [trip for entry_id, event in entries for trip in book.add(entry_id, event)]


def _apply(
    book: _Open,
    sign: Decimal,
    qty: Decimal,
    price: Decimal,
    fee: Decimal,
    event: EngineEvent,
    entry_id: str,
    out: list[RoundTrip],
) -> None:
    if book.qty == 0 or (book.qty > 0) == (sign > 0):
        if book.qty == 0:
            book.opened, book.fees, book.realised, book.peak = event.ts, _ZERO, _ZERO, _ZERO
            book.exit_notional = book.exit_qty = _ZERO
        size = abs(book.qty)
        book.avg = (book.avg * size + price * qty) / (size + qty)
        book.qty += sign * qty
        book.peak = max(book.peak, abs(book.qty))
        book.entry_avg = book.avg
        book.fees += fee
        return
    closing = min(qty, abs(book.qty))
    if qty > closing and qty - closing <= book.peak * DUST:
        closing = qty  # the exit sold the dust the book no longer counts: still this trip
    direction = Decimal(1) if book.qty > 0 else Decimal(-1)
    book.realised += (price - book.avg) * closing * direction
    book.exit_notional += price * closing
    book.exit_qty += closing
    book.fees += fee * closing / qty
    book.qty += sign * closing
    if abs(book.qty) <= book.peak * DUST:
        book.qty = _ZERO
        out.append(
            RoundTrip(
                bot_id=event.bot_id,
                symbol=event.symbol,
                side="long" if direction > 0 else "short",
                quantity=book.peak,
                entry_price=book.entry_avg,
                exit_price=book.exit_notional / book.exit_qty,
                pnl=book.realised - book.fees,
                opened=book.opened or event.ts,
                closed=event.ts,
                closing_entry=entry_id,
            )
        )
        rest = qty - closing
        book.avg = _ZERO
        if rest > 0:  # the fill flipped the position: the rest opens the opposite trip
            _apply(book, sign, rest, price, fee * rest / qty, event, entry_id, out)
