"""The user data stream's consumer: each event into PostgreSQL, and a reconciliation after
every reconnect.

    consumer = UserStreamConsumer(sessions, bot_id=..., id_prefix="", reconcile=on_reconnect,
                                  redis=async_redis_or_None)
    task = asyncio.create_task(consumer.run(UserDataStream.for_venue(venue, endpoints)))
    ...
    await stream.close(); await task

- ``OrderUpdate`` of one of the bot's orders (by client id and bot id): the order row moves
  forward (``venue_records.apply_report``), its fill is recorded once per venue trade id, and
  the bot's position on that instrument is recomputed from its fills. Orders we have no row
  for (another bot's, a manual one, one adopted later) are skipped: reconciliation owns them.
- ``StreamConnected(reconnect=True)``: events may have been missed while the socket was down,
  so ``reconcile()`` runs (the trader passes ``trader.reconcile.reconcile`` bound to its venue
  and policy; it records fills the stream missed from ``trades_since``). A reconciliation
  that raises is logged and counted; the stream goes on.
- ``AccountUpdate``: kept as ``last_account`` (balances and positions at the venue) for the
  trader's risk state; nothing is written (the positions table is the bot's, from its fills).
- ``UnreadableEvent``: counted and logged; reconciliation settles what it carried.
- ``leave_to_worker`` (a trader's run, where the execution worker records its own orders):
  an order whose row is still ``initialized`` or ``submitted`` is the worker's, which is
  sending it and records the venue's answer (fills included) itself; the event is skipped
  (counted in ``left_to_worker``), so the two never insert the same fill at once. Once the
  worker has recorded the answer (``new``, ``filled``...), the stream records what follows
  (a resting stop's fill). Without it (the default) every row is taken.

With a Redis client, new fills and order changes are published as ``fill`` / ``order``
events (``ai_engine.events``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from ai_engine.events import EngineEvent, EventType, apublish
from ai_engine.execution.stream_events import (
    AccountUpdate,
    OrderUpdate,
    StreamConnected,
    UnreadableEvent,
    UserEvent,
)
from ai_engine.trader import venue_records
from ai_engine.venues.binance.user_stream import UserDataStream

log = logging.getLogger("ai_engine.trader.user_stream")

Reconcile = Callable[[], Awaitable[Any]]
WORKERS = frozenset({"initialized", "submitted"})  # rows the worker is sending


class UserStreamConsumer:
    def __init__(
        self,
        sessions: Callable[[], Any],
        *,
        bot_id: str,
        id_prefix: str = "",
        reconcile: Reconcile | None = None,
        redis: Any = None,
        leave_to_worker: bool = False,
    ) -> None:
        self.sessions, self.bot_id, self.id_prefix = sessions, bot_id, id_prefix
        self.reconcile, self.redis = reconcile, redis
        self.leave_to_worker = leave_to_worker
        self.events = 0
        self.left_to_worker = 0
        self.fills_recorded = 0
        self.orders_updated = 0
        self.reconciliations = 0
        self.reconcile_errors = 0
        self.unreadable = 0
        self.last_account: AccountUpdate | None = None

    async def run(self, stream: UserDataStream) -> None:
        """Consume ``stream`` until it is closed."""
        async with contextlib.aclosing(stream.events()) as events:
            async for event in events:
                await self.handle(event)

    async def handle(self, event: UserEvent) -> None:
        self.events += 1
        if isinstance(event, OrderUpdate):
            await self._order(event)
        elif isinstance(event, StreamConnected):
            if event.reconnect and self.reconcile is not None:
                await self._reconcile()
        elif isinstance(event, AccountUpdate):
            self.last_account = event
        elif isinstance(event, UnreadableEvent):
            self.unreadable += 1

    async def _reconcile(self) -> None:
        assert self.reconcile is not None
        try:
            await self.reconcile()
            self.reconciliations += 1
        except Exception:  # a failed reconciliation must not end the stream
            self.reconcile_errors += 1
            log.exception("reconciliation after a user stream reconnect failed")

    async def _order(self, update: OrderUpdate) -> None:
        report = update.report
        with self.sessions() as session:
            row = venue_records.order_row(session, report.client_order_id, self.bot_id)
            if row is None:
                return
            if self.leave_to_worker and row.status in WORKERS:
                self.left_to_worker += 1
                return
            changed = venue_records.apply_report(row, report, self.id_prefix)
            new_fill = update.fill is not None and venue_records.insert_fill(
                session, row, update.fill, self.id_prefix
            )
            if new_fill:
                instrument = venue_records.instrument_row(session, report.instrument_id)
                if instrument is not None:
                    venue_records.recompute_position(session, self.bot_id, instrument)
            session.commit()
            status, side = row.status, row.side
        self.orders_updated += int(changed)
        self.fills_recorded += int(new_fill)
        if self.redis is not None and (changed or new_fill):
            await self._publish(update, status, side, new_fill)

    async def _publish(self, update: OrderUpdate, status: str, side: str, new_fill: bool) -> None:
        report, symbol = update.report, update.report.instrument_id.symbol
        now = datetime.now(UTC)
        order = EngineEvent(
            type=EventType.ORDER, bot_id=self.bot_id, symbol=symbol, ts=now,
            data={
                "client_order_id": report.client_order_id, "side": side,
                "type": report.order_type.value, "status": status,
                "quantity": str(report.quantity.value) if report.quantity else None,
                "price": str(report.price.value) if report.price else None,
                "stop_price": str(report.stop_price.value) if report.stop_price else None,
                "purpose": "", "reason": f"user stream: {update.execution}",
            },
        )  # fmt: skip
        await apublish(self.redis, order)
        fill = update.fill
        if new_fill and fill is not None:
            await apublish(
                self.redis,
                EngineEvent(
                    type=EventType.FILL, bot_id=self.bot_id, symbol=symbol, ts=now,
                    data={
                        "client_order_id": fill.client_order_id, "trade_id": fill.trade_id,
                        "side": fill.side.value, "price": str(fill.price.value),
                        "quantity": str(fill.quantity.value), "fee": str(fill.fee.amount),
                        "fee_asset": fill.fee.asset, "is_maker": fill.liquidity.value == "maker",
                    },
                ),
            )  # fmt: skip
