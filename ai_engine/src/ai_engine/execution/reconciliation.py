"""Reconciliation: our records against the venue's, mismatches classified, actions by policy.

Pure: the caller (``trader.reconcile``) reads both sides -- local orders, positions and
balances from PostgreSQL; the venue's open orders, each local working order queried by client
id, positions and balances through the execution port -- and applies the actions.

Mismatches and what settles each:

- ``unknown_venue_order``: an open venue order of ours (our bot tag) or of nobody's (an id we
  did not mint) that we have no record of; another bot's orders are left alone. Policy
  ``unknown_orders``: adopt (record it), close (cancel it) or halt.
- ``missing_at_venue``: a local order we sent (submitted or later, not final) that the venue
  does not know. It never arrived or is gone: marked expired (a later send of the same id is
  then refused by the worker, which re-reads the status).
- ``status_drift`` / ``filled_drift``: the venue reports another status or filled quantity.
  The venue is the truth about orders: the local order is updated from the report (its fills
  come from the caller's ``trades_since``).
- ``position_drift``: a symbol's signed position differs. Policy ``positions``: adopt (take
  the venue's), close (trade away, reduce-only, what the venue holds beyond our record; a
  venue holding less is adopted) or halt.
- ``balance_drift``: an asset's total differs by more than ``balance_tolerance`` (absolute)
  or ``balance_tolerance_fraction`` of the venue's figure, whichever is larger. Policy
  ``balances``: adopt or halt.

``ReconciliationReport.ok`` is True when every mismatch has an action that settles it
(nothing left for an operator); the trader halts entries while it is False. ``clean`` is True
when nothing differed at all. Orders still ``initialized`` (persisted, not yet sent) are the
worker's, not a mismatch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from ai_engine.domain import DomainValueError, OrderSide, OrderStatus, require_utc, to_decimal
from ai_engine.execution.client_ids import bot_tag, parse_client_order_id
from ai_engine.execution.reports import OrderReport

_ZERO = Decimal(0)


class Policy(StrEnum):
    ADOPT = "adopt"
    CLOSE = "close"
    HALT = "halt"


@dataclass(frozen=True, slots=True)
class ReconciliationPolicy:
    unknown_orders: Policy = Policy.HALT
    positions: Policy = Policy.HALT
    balances: Policy = Policy.ADOPT
    balance_tolerance: Decimal = Decimal("0.00000001")
    balance_tolerance_fraction: Decimal = Decimal("0.0001")

    def __post_init__(self) -> None:
        if self.balances is Policy.CLOSE:
            raise DomainValueError("a balance cannot be closed: adopt or halt")
        for name in ("balance_tolerance", "balance_tolerance_fraction"):
            value = to_decimal(getattr(self, name), what=name)
            if value < 0:
                raise DomainValueError(f"{name} must not be negative, got {value}")
            object.__setattr__(self, name, value)


class MismatchKind(StrEnum):
    UNKNOWN_VENUE_ORDER = "unknown_venue_order"
    MISSING_AT_VENUE = "missing_at_venue"
    STATUS_DRIFT = "status_drift"
    FILLED_DRIFT = "filled_drift"
    POSITION_DRIFT = "position_drift"
    BALANCE_DRIFT = "balance_drift"


@dataclass(frozen=True, slots=True)
class Mismatch:
    kind: MismatchKind
    subject: str  # client order id, symbol or asset
    reason: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}"


# -- the two sides ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalOrder:
    client_order_id: str
    symbol: str
    side: OrderSide
    status: OrderStatus
    quantity: Decimal
    filled_quantity: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalBook:
    """Our records. ``positions``: signed quantity per symbol (long > 0); ``balances``: total
    per asset (only the assets to compare)."""

    orders: tuple[LocalOrder, ...] = ()
    positions: Mapping[str, Decimal] = field(default_factory=dict)
    balances: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class VenuePosition:
    quantity: Decimal  # signed
    entry_price: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueBook:
    """The venue's side. ``queried``: the answer to ``query_order`` for each local order that
    is neither initialized nor final (None: the venue does not know it)."""

    open_orders: tuple[OrderReport, ...] = ()
    queried: Mapping[str, OrderReport | None] = field(default_factory=dict)
    positions: Mapping[str, VenuePosition] = field(default_factory=dict)
    balances: Mapping[str, Decimal] = field(default_factory=dict)


# -- actions -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AdoptOrder:
    """Record a venue order we had no row for."""

    report: OrderReport


@dataclass(frozen=True, slots=True)
class CancelOrder:
    """Cancel a venue order we do not want (policy close)."""

    report: OrderReport


@dataclass(frozen=True, slots=True)
class UpdateOrder:
    """Set the local order to the venue's view (``report`` None: it never got there)."""

    client_order_id: str
    status: OrderStatus
    filled_quantity: Decimal
    report: OrderReport | None


@dataclass(frozen=True, slots=True)
class AdoptPosition:
    symbol: str
    quantity: Decimal  # signed, the venue's
    entry_price: Decimal | None


@dataclass(frozen=True, slots=True)
class ClosePosition:
    """Trade ``quantity`` on ``side`` (reduce-only where the venue has it) through the order
    path, so the venue holds what our records say."""

    symbol: str
    side: OrderSide
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class AdoptBalance:
    asset: str
    total: Decimal


ReconciliationAction = (
    AdoptOrder | CancelOrder | UpdateOrder | AdoptPosition | ClosePosition | AdoptBalance
)


@dataclass(frozen=True, slots=True)
class ReconciliationReport:
    checked_at: datetime
    mismatches: tuple[Mismatch, ...]
    actions: tuple[ReconciliationAction, ...]
    unresolved: tuple[Mismatch, ...]  # what the policy says to halt on

    @property
    def ok(self) -> bool:
        return not self.unresolved

    @property
    def clean(self) -> bool:
        return not self.mismatches

    def lines(self) -> list[str]:
        """The mismatches in words, unresolved ones marked (the ``reconciliation`` event)."""
        return [
            f"{m}{' (unresolved: halt)' if m in self.unresolved else ''}" for m in self.mismatches
        ]


# -- the comparison ------------------------------------------------------------------------


def reconcile_books(
    local: LocalBook,
    venue: VenueBook,
    policy: ReconciliationPolicy,
    *,
    bot_id: str,
    now: datetime,
) -> ReconciliationReport:
    """Compare, classify and decide (see the module docstring)."""
    out = _Collector()
    _orders(local, venue, policy, bot_tag(bot_id), out)
    _positions(local, venue, policy, out)
    _balances(local, venue, policy, out)
    return ReconciliationReport(
        require_utc(now, what="now"), tuple(out.mismatches), tuple(out.actions),
        tuple(out.unresolved),
    )  # fmt: skip


@dataclass
class _Collector:
    mismatches: list[Mismatch] = field(default_factory=list)
    actions: list[ReconciliationAction] = field(default_factory=list)
    unresolved: list[Mismatch] = field(default_factory=list)

    def add(self, mismatch: Mismatch, action: ReconciliationAction | None) -> None:
        self.mismatches.append(mismatch)
        if action is None:
            self.unresolved.append(mismatch)
        else:
            self.actions.append(action)


def _is_ours_or_nobodys(client_order_id: str, tag: str) -> bool:
    parts = parse_client_order_id(client_order_id)
    return parts is None or parts.tag == tag


def _orders(
    local: LocalBook, venue: VenueBook, policy: ReconciliationPolicy, tag: str, out: _Collector
) -> None:
    known = {order.client_order_id: order for order in local.orders}
    for report in venue.open_orders:
        cid = report.client_order_id
        if cid in known or not _is_ours_or_nobodys(cid, tag):
            continue
        mismatch = Mismatch(
            MismatchKind.UNKNOWN_VENUE_ORDER, cid,
            f"venue order {cid} ({report.side} {report.quantity or 'close-position'} "
            f"{report.instrument_id.symbol} {report.order_type}, {report.venue_status}) "
            "is not in our records",
        )  # fmt: skip
        action: ReconciliationAction | None = None
        if policy.unknown_orders is Policy.ADOPT:
            action = AdoptOrder(report)
        elif policy.unknown_orders is Policy.CLOSE:
            action = CancelOrder(report)
        out.add(mismatch, action)
    open_by_id = {report.client_order_id: report for report in venue.open_orders}
    for order in local.orders:
        cid = order.client_order_id
        if order.status is OrderStatus.INITIALIZED:
            continue
        if order.status.is_terminal and cid not in open_by_id:
            continue  # final here, not open there: nothing to settle
        if cid not in venue.queried and cid not in open_by_id:
            continue  # not asked about: nothing to compare with
        found = open_by_id.get(cid) or venue.queried.get(cid)
        if found is None:
            out.add(
                Mismatch(MismatchKind.MISSING_AT_VENUE, cid,
                         f"order {cid} is {order.status} here; the venue does not know it"),
                UpdateOrder(cid, OrderStatus.EXPIRED, order.filled_quantity, None),
            )  # fmt: skip
            continue
        _order_drift(order, found, out)


def _order_drift(order: LocalOrder, report: OrderReport, out: _Collector) -> None:
    cid = order.client_order_id
    filled = report.filled_quantity.value
    update = UpdateOrder(cid, report.status, filled, report)
    if report.status is not order.status and not _same_stage(order.status, report.status):
        out.add(
            Mismatch(MismatchKind.STATUS_DRIFT, cid,
                     f"order {cid} is {order.status} here, {report.status} at the venue"),
            update,
        )  # fmt: skip
    elif filled != order.filled_quantity:
        out.add(
            Mismatch(MismatchKind.FILLED_DRIFT, cid,
                     f"order {cid} filled {order.filled_quantity} here, {filled} at the venue"),
            update,
        )  # fmt: skip


def _same_stage(local: OrderStatus, venue: OrderStatus) -> bool:
    """Statuses that are not a drift: we sent it and the venue acknowledged it, or we asked
    for a cancel the venue has not done yet."""
    pairs = {
        (OrderStatus.SUBMITTED, OrderStatus.ACCEPTED),
        (OrderStatus.PENDING_CANCEL, OrderStatus.ACCEPTED),
        (OrderStatus.PENDING_CANCEL, OrderStatus.PARTIALLY_FILLED),
    }
    return (local, venue) in pairs


def _positions(
    local: LocalBook, venue: VenueBook, policy: ReconciliationPolicy, out: _Collector
) -> None:
    for symbol in sorted(set(local.positions) | set(venue.positions)):
        ours = local.positions.get(symbol, _ZERO)
        theirs_pos = venue.positions.get(symbol)
        theirs = theirs_pos.quantity if theirs_pos is not None else _ZERO
        if ours == theirs:
            continue
        mismatch = Mismatch(
            MismatchKind.POSITION_DRIFT, symbol,
            f"{symbol} position {ours} here, {theirs} at the venue",
        )  # fmt: skip
        entry = theirs_pos.entry_price if theirs_pos is not None else None
        action: ReconciliationAction | None = None
        if policy.positions is Policy.ADOPT:
            action = AdoptPosition(symbol, theirs, entry)
        elif policy.positions is Policy.CLOSE:
            excess = _excess(ours, theirs)
            if excess == _ZERO:  # the venue holds less than we think: nothing to close
                action = AdoptPosition(symbol, theirs, entry)
            else:
                side = OrderSide.SELL if excess > 0 else OrderSide.BUY
                action = ClosePosition(symbol, side, abs(excess))
        out.add(mismatch, action)


def _excess(ours: Decimal, theirs: Decimal) -> Decimal:
    """The signed part of the venue's position beyond ours (same side and larger, or any
    position when ours is flat or on the other side)."""
    if theirs == 0:
        return _ZERO
    same_side = (ours > 0) == (theirs > 0) and ours != 0
    if not same_side:
        return theirs
    return theirs - ours if abs(theirs) > abs(ours) else _ZERO


def _balances(
    local: LocalBook, venue: VenueBook, policy: ReconciliationPolicy, out: _Collector
) -> None:
    for asset in sorted(local.balances):
        ours = local.balances[asset]
        theirs = venue.balances.get(asset, _ZERO)
        allowed = max(policy.balance_tolerance, abs(theirs) * policy.balance_tolerance_fraction)
        if abs(ours - theirs) <= allowed:
            continue
        mismatch = Mismatch(
            MismatchKind.BALANCE_DRIFT, asset,
            f"{asset} balance {ours} here, {theirs} at the venue (tolerance {allowed})",
        )  # fmt: skip
        action = AdoptBalance(asset, theirs) if policy.balances is Policy.ADOPT else None
        out.add(mismatch, action)
