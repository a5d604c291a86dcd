"""Binance user data events -> ``execution.stream_events``: parsed here, once.

Spot: ``executionReport`` (an order change; ``x`` TRADE carries a fill) and
``outboundAccountPosition`` (the changed assets' free and locked balances). USD-M:
``ORDER_TRADE_UPDATE`` (regular orders, and the market order a fired conditional order
placed: it keeps the conditional's client id), ``ALGO_UPDATE`` (conditional orders, venue id
``algo-<id>``) and ``ACCOUNT_UPDATE`` (wallet balances and the changed positions, a flat one
included). ``listenKeyExpired`` is reported to the stream as ``ListenKeyExpired``; other
events (``balanceUpdate``, ``ACCOUNT_CONFIG_UPDATE``, ...) are ignored (None).

A payload that is not JSON, or lacks a field, becomes an ``UnreadableEvent`` naming the event
and the field: the stream logs it and goes on (reconciliation settles what it carried).
A zero commission without an asset is booked as ``Money(0, "NONE")``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ai_engine.domain import (
    DomainValueError,
    Fill,
    InstrumentId,
    LiquiditySide,
    MarketType,
    Money,
    PositionSide,
    Quantity,
    Venue,
)
from ai_engine.execution.reports import Balance, MarginType, OrderReport, PositionReport
from ai_engine.execution.stream_events import (
    AccountUpdate,
    OrderUpdate,
    UnreadableEvent,
    UserEvent,
)
from ai_engine.venues.binance import spot_wire, usdm_wire
from ai_engine.venues.binance.wire import SIDES, STATUSES, TIME_IN_FORCE, BadVenueAnswer, Reader

_EXCERPT = 200
_MARGIN = {"cross": MarginType.CROSS, "isolated": MarginType.ISOLATED}


@dataclass(frozen=True, slots=True)
class ListenKeyExpired:
    ts: datetime


class UserEventParser:
    """Parses one market's user data messages (``market``: spot or USD-M) into events whose
    instruments belong to ``venue`` (``Venue.SIM`` on a sim)."""

    def __init__(self, venue: Venue, market: MarketType) -> None:
        if market not in (MarketType.SPOT, MarketType.USDM):
            raise DomainValueError(f"Binance user data streams are spot or usdm, not {market}")
        self.venue, self.market = venue, market

    def parse(self, message: str | bytes) -> UserEvent | ListenKeyExpired | None:
        """The event in ``message``; None for an event kind we do not use. Never raises."""
        text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
        try:
            body = json.loads(text)
            if isinstance(body, dict) and isinstance(body.get("data"), dict):
                body = body["data"]  # combined-stream envelope
            return self._event(Reader(body, "user data"))
        except (ValueError, BadVenueAnswer, DomainValueError) as exc:  # JSONDecodeError too
            return UnreadableEvent(str(exc), text[:_EXCERPT])

    def _event(self, r: Reader) -> UserEvent | ListenKeyExpired | None:
        kind = r.text("e")
        if kind == "executionReport" and self.market is MarketType.SPOT:
            return self._execution_report(Reader(r.body, "executionReport"))
        if kind == "outboundAccountPosition" and self.market is MarketType.SPOT:
            return self._account_position(Reader(r.body, "outboundAccountPosition"))
        if kind == "ORDER_TRADE_UPDATE" and self.market is MarketType.USDM:
            return self._order_trade_update(r)
        if kind == "ALGO_UPDATE" and self.market is MarketType.USDM:
            return self._algo_update(r)
        if kind == "ACCOUNT_UPDATE" and self.market is MarketType.USDM:
            return self._account_update(r)
        if kind == "listenKeyExpired":
            return ListenKeyExpired(r.time("E"))
        return None

    def _instrument(self, symbol: str) -> InstrumentId:
        return InstrumentId(self.venue, self.market, symbol)

    # -- spot --------------------------------------------------------------------------------

    def _execution_report(self, r: Reader) -> OrderUpdate:
        execution = r.text("x")
        # On a cancel Binance puts the cancel request's id in "c" and the order's in "C".
        client_id = r.text("C") if execution == "CANCELED" and r.has("C") else r.text("c")
        instrument = self._instrument(r.text("s"))
        ts = r.time("T") if r.has("T") else r.time("E")
        report = OrderReport(
            client_order_id=client_id,
            venue_order_id=r.ident("i"),
            instrument_id=instrument,
            side=r.choice("S", SIDES),
            order_type=r.choice("o", spot_wire.TYPES),
            status=r.choice("X", STATUSES),
            venue_status=r.text("X"),
            quantity=r.quantity("q"),
            filled_quantity=r.quantity("z"),
            filled_notional=r.decimal("Z"),
            price=r.price_or_none("p"),
            stop_price=r.price_or_none("P"),
            time_in_force=r.choice("f", TIME_IN_FORCE),
            reduce_only=False,
            created_at=r.time("O"),
            updated_at=ts,
        )
        return OrderUpdate(report, execution, self._fill(r, report, ts, "t"), ts)

    def _account_position(self, r: Reader) -> AccountUpdate:
        rows = r.raw("B")
        if not isinstance(rows, list):
            raise r.fail("'B' should be a list")
        balances = []
        for row in rows:
            b = Reader(row, "outboundAccountPosition B")
            free, locked = b.decimal("f"), b.decimal("l")
            balances.append(Balance(b.text("a"), free + locked, free))
        ts = r.time("u") if r.has("u") else r.time("E")
        return AccountUpdate(tuple(balances), (), "ORDER", ts, complete=False)

    # -- USD-M -------------------------------------------------------------------------------

    def _order_trade_update(self, outer: Reader) -> OrderUpdate:
        r = Reader(outer.raw("o"), "ORDER_TRADE_UPDATE o")
        instrument = self._instrument(r.text("s"))
        filled = r.quantity("z")
        average = r.decimal("ap") if r.has("ap") else Decimal(0)
        ts = r.time("T") if r.has("T") else outer.time("E")
        types = {**usdm_wire.REGULAR_TYPES, **usdm_wire.CONDITIONAL_TYPES}
        report = OrderReport(
            client_order_id=r.text("c"),
            venue_order_id=r.ident("i"),
            instrument_id=instrument,
            side=r.choice("S", SIDES),
            order_type=r.choice("o", types),
            status=r.choice("X", STATUSES),
            venue_status=r.text("X"),
            quantity=r.quantity("q"),
            filled_quantity=filled,
            filled_notional=filled.value * average,
            price=r.price_or_none("p"),
            stop_price=r.price_or_none("sp"),
            time_in_force=r.choice("f", TIME_IN_FORCE),
            reduce_only=r.flag("R"),
            close_position=r.flag("cp"),
            created_at=ts,
            updated_at=ts,
        )
        return OrderUpdate(report, r.text("x"), self._fill(r, report, ts, "t"), ts)

    def _algo_update(self, outer: Reader) -> OrderUpdate:
        r = Reader(outer.raw("o"), "ALGO_UPDATE o")
        ts = outer.time("T") if outer.has("T") else outer.time("E")
        close = r.flag("cp")
        quantity = r.quantity("q")
        report = OrderReport(
            client_order_id=r.text("caid"),
            venue_order_id=usdm_wire.ALGO_PREFIX + r.ident("aid"),
            instrument_id=self._instrument(r.text("s")),
            side=r.choice("S", SIDES),
            order_type=r.choice("o", usdm_wire.CONDITIONAL_TYPES),
            status=r.choice("X", usdm_wire.ALGO_STATUSES),
            venue_status=r.text("X"),
            quantity=None if close and quantity.is_zero() else quantity,
            filled_quantity=r.quantity("aq") if r.has("aq") else Quantity(0),
            filled_notional=Decimal(0),
            price=r.price_or_none("p"),
            stop_price=r.price_or_none("tp"),
            time_in_force=r.choice("f", TIME_IN_FORCE),
            reduce_only=r.flag("R"),
            close_position=close,
            is_conditional=True,
            triggered_order_id=r.ident("ai") if r.has("ai") else None,
            created_at=ts,
            updated_at=ts,
        )
        return OrderUpdate(report, r.text("X"), None, ts)

    def _account_update(self, outer: Reader) -> AccountUpdate:
        a = Reader(outer.raw("a"), "ACCOUNT_UPDATE a")
        ts = outer.time("T") if outer.has("T") else outer.time("E")
        balances = []
        for row in _rows(a, "B"):
            b = Reader(row, "ACCOUNT_UPDATE B")
            balances.append(Balance(b.text("a"), b.decimal("wb"), b.decimal("cw")))
        positions = []
        for row in _rows(a, "P"):
            p = Reader(row, "ACCOUNT_UPDATE P")
            amount = p.decimal("pa")
            side = (
                PositionSide.LONG if amount > 0
                else PositionSide.SHORT if amount < 0 else PositionSide.FLAT
            )  # fmt: skip
            positions.append(
                PositionReport(
                    instrument_id=self._instrument(p.text("s")),
                    side=side,
                    quantity=Quantity(abs(amount)),
                    entry_price=p.price_or_none("ep"),
                    mark_price=None,
                    unrealised_pnl=p.decimal("up"),
                    liquidation_price=None,
                    leverage=None,
                    margin_type=_MARGIN.get(str(p.body.get("mt", "")).lower()),
                    isolated_margin=p.decimal("iw") if p.has("iw") else Decimal(0),
                    updated_at=ts,
                )
            )
        return AccountUpdate(tuple(balances), tuple(positions), a.text("m"), ts)

    # -- shared ------------------------------------------------------------------------------

    @staticmethod
    def _fill(r: Reader, report: OrderReport, ts: datetime, trade_field: str) -> Fill | None:
        if r.text("x") != "TRADE":
            return None
        fee_amount = r.decimal("n") if r.has("n") else Decimal(0)
        if r.has("N"):
            fee_asset = r.text("N")
        elif fee_amount == 0:
            fee_asset = "NONE"
        else:
            raise r.fail("a commission without its asset 'N'")
        return Fill(
            client_order_id=report.client_order_id,
            venue_order_id=report.venue_order_id,
            trade_id=r.ident(trade_field),
            instrument_id=report.instrument_id,
            side=report.side,
            price=r.price("L"),
            quantity=r.quantity("l"),
            fee=Money(fee_amount, fee_asset),
            liquidity=LiquiditySide.MAKER if r.flag("m") else LiquiditySide.TAKER,
            ts=ts,
        )


def _rows(r: Reader, name: str) -> list[Any]:
    rows = r.body.get(name) or []
    if not isinstance(rows, list):
        raise r.fail(f"{name!r} should be a list")
    return rows
