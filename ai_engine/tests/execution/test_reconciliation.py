"""Reconciliation, pure: each mismatch kind, each policy, and what is left alone."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ai_engine.domain import (
    DomainValueError,
    InstrumentId,
    MarketType,
    OrderSide,
    OrderStatus,
    OrderType,
    Quantity,
    TimeInForce,
    Venue,
)
from ai_engine.execution.client_ids import Purpose, mint_client_order_id
from ai_engine.execution.reconciliation import (
    AdoptBalance,
    AdoptOrder,
    AdoptPosition,
    CancelOrder,
    ClosePosition,
    LocalBook,
    LocalOrder,
    MismatchKind,
    Policy,
    ReconciliationPolicy,
    UpdateOrder,
    VenueBook,
    VenuePosition,
    reconcile_books,
)
from ai_engine.execution.reports import OrderReport

D = Decimal
NOW = datetime(2024, 3, 4, 15, tzinfo=UTC)
BTC = InstrumentId(Venue.SIM, MarketType.USDM, "BTCUSDT")
BOT = "bot-a"


def cid(bot: str = BOT, purpose: Purpose = Purpose.ENTRY, minute: int = 0) -> str:
    return mint_client_order_id(
        bot_id=bot, bar_time=datetime(2024, 3, 4, 14, minute, tzinfo=UTC), symbol="BTCUSDT",
        purpose=purpose,
    )  # fmt: skip


def report(client_id: str, status: OrderStatus = OrderStatus.ACCEPTED, filled: str = "0",
           quantity: str = "0.01") -> OrderReport:  # fmt: skip
    return OrderReport(
        client_order_id=client_id, venue_order_id="7", instrument_id=BTC, side=OrderSide.BUY,
        order_type=OrderType.LIMIT, status=status, venue_status=status.value.upper(),
        quantity=Quantity(quantity), filled_quantity=Quantity(filled),
        filled_notional=D(filled) * 50000, price=None, stop_price=None,
        time_in_force=TimeInForce.GTC, reduce_only=False, created_at=NOW, updated_at=NOW,
    )  # fmt: skip


def local(client_id: str, status: OrderStatus, filled: str = "0") -> LocalOrder:
    return LocalOrder(
        client_order_id=client_id, symbol="BTCUSDT", side=OrderSide.BUY, status=status,
        quantity=D("0.01"), filled_quantity=D(filled),
    )  # fmt: skip


def run(local_book: LocalBook, venue: VenueBook, **policy: object):  # type: ignore[no-untyped-def]
    return reconcile_books(
        local_book,
        venue,
        ReconciliationPolicy(**policy),
        bot_id=BOT,
        now=NOW,  # type: ignore[arg-type]
    )


def test_agreeing_books_are_clean() -> None:
    mine = cid()
    result = run(
        LocalBook(orders=(local(mine, OrderStatus.ACCEPTED),), positions={"BTCUSDT": D("0.5")},
                  balances={"USDT": D(100)}),
        VenueBook(open_orders=(report(mine),), positions={"BTCUSDT": VenuePosition(
            quantity=D("0.5"))}, balances={"USDT": D("100.000000001")}),
    )  # fmt: skip
    assert result.clean
    assert result.ok
    assert result.actions == ()


@pytest.mark.parametrize(
    ("policy", "action", "ok"),
    [
        (Policy.ADOPT, AdoptOrder, True),
        (Policy.CLOSE, CancelOrder, True),
        (Policy.HALT, None, False),
    ],
)
def test_unknown_venue_order_of_ours_by_policy(
    policy: Policy, action: type | None, ok: bool
) -> None:
    stray = cid(purpose=Purpose.STOP_LOSS)
    result = run(LocalBook(), VenueBook(open_orders=(report(stray),)), unknown_orders=policy)
    assert [m.kind for m in result.mismatches] == [MismatchKind.UNKNOWN_VENUE_ORDER]
    assert stray in result.mismatches[0].reason
    assert result.ok is ok
    assert [type(a) for a in result.actions] == ([action] if action else [])


def test_another_bots_orders_are_left_alone_and_foreign_ones_are_not() -> None:
    others = cid(bot="bot-b")
    manual = "web_abc123"  # an id we did not mint: a human's order in the account
    result = run(LocalBook(), VenueBook(open_orders=(report(others), report(manual))))
    assert [m.subject for m in result.mismatches] == [manual]


def test_sent_order_the_venue_does_not_know_is_expired() -> None:
    lost = cid()
    result = run(
        LocalBook(orders=(local(lost, OrderStatus.SUBMITTED), local(cid(minute=1),
                  OrderStatus.INITIALIZED))),
        VenueBook(queried={lost: None}),
    )  # fmt: skip
    assert [m.kind for m in result.mismatches] == [MismatchKind.MISSING_AT_VENUE]
    assert result.actions == (UpdateOrder(lost, OrderStatus.EXPIRED, D(0), None),)
    assert result.ok


def test_status_and_fill_drift_take_the_venues_view() -> None:
    a, b, c = cid(minute=1), cid(minute=2), cid(minute=3)
    filled = report(a, OrderStatus.FILLED, filled="0.01")
    partly = report(b, OrderStatus.PARTIALLY_FILLED, filled="0.004")
    more = report(c, OrderStatus.PARTIALLY_FILLED, filled="0.006")
    result = run(
        LocalBook(orders=(local(a, OrderStatus.ACCEPTED), local(b, OrderStatus.SUBMITTED),
                          local(c, OrderStatus.PARTIALLY_FILLED, "0.002"))),
        VenueBook(queried={a: filled}, open_orders=(partly, more)),
    )  # fmt: skip
    kinds = {m.subject: m.kind for m in result.mismatches}
    assert kinds == {a: MismatchKind.STATUS_DRIFT, b: MismatchKind.STATUS_DRIFT,
                     c: MismatchKind.FILLED_DRIFT}  # fmt: skip
    updates = {a.client_order_id: a for a in result.actions if isinstance(a, UpdateOrder)}
    assert updates[a].status is OrderStatus.FILLED
    assert updates[c].filled_quantity == D("0.006")


def test_submitted_and_accepted_are_the_same_stage() -> None:
    sent = cid()
    result = run(LocalBook(orders=(local(sent, OrderStatus.SUBMITTED),)),
                 VenueBook(open_orders=(report(sent),)))  # fmt: skip
    assert result.clean


def test_a_final_order_still_open_at_the_venue_is_a_drift() -> None:
    gone = cid()
    result = run(LocalBook(orders=(local(gone, OrderStatus.CANCELED),)),
                 VenueBook(open_orders=(report(gone),)))  # fmt: skip
    assert [m.kind for m in result.mismatches] == [MismatchKind.STATUS_DRIFT]


@pytest.mark.parametrize(
    ("ours", "theirs", "expected"),
    [
        ("0", "0.5", ClosePosition("BTCUSDT", OrderSide.SELL, D("0.5"))),  # unknown long
        ("0.2", "0.5", ClosePosition("BTCUSDT", OrderSide.SELL, D("0.3"))),  # more than ours
        ("-0.2", "-0.5", ClosePosition("BTCUSDT", OrderSide.BUY, D("0.3"))),  # short excess
        ("0.2", "-0.5", ClosePosition("BTCUSDT", OrderSide.BUY, D("0.5"))),  # flipped
        ("0.5", "0.2", AdoptPosition("BTCUSDT", D("0.2"), None)),  # the venue holds less
        ("0.5", "0", AdoptPosition("BTCUSDT", D(0), None)),
    ],
)
def test_position_drift_closed_where_there_is_something_to_close(
    ours: str, theirs: str, expected: object
) -> None:
    venue = {"BTCUSDT": VenuePosition(quantity=D(theirs))} if D(theirs) else {}
    result = run(LocalBook(positions={"BTCUSDT": D(ours)}), VenueBook(positions=venue),
                 positions=Policy.CLOSE)  # fmt: skip
    assert [m.kind for m in result.mismatches] == [MismatchKind.POSITION_DRIFT]
    assert result.actions == (expected,)


def test_position_drift_halts_by_default_and_adopts_on_request() -> None:
    held = VenuePosition(quantity=D(1), entry_price=D(50000))
    books = (LocalBook(), VenueBook(positions={"BTCUSDT": held}))
    halted = run(*books)
    assert not halted.ok
    assert "unresolved" in halted.lines()[0]
    adopted = run(*books, positions=Policy.ADOPT)
    assert adopted.actions == (AdoptPosition("BTCUSDT", D(1), D(50000)),)


def test_balance_drift_beyond_the_tolerance() -> None:
    books = LocalBook(balances={"USDT": D(1000), "BTC": D("0.5")})
    venue = VenueBook(balances={"USDT": D("1000.05"), "BTC": D("0.4")})
    result = run(books, venue)
    assert [m.subject for m in result.mismatches] == ["BTC"]  # 0.05 is within 0.01 % of 1000
    assert result.actions == (AdoptBalance("BTC", D("0.4")),)
    halted = run(books, venue, balances=Policy.HALT, balance_tolerance_fraction=D(0))
    assert [m.subject for m in halted.unresolved] == ["BTC", "USDT"]
    with pytest.raises(DomainValueError, match="cannot be closed"):
        ReconciliationPolicy(balances=Policy.CLOSE)
