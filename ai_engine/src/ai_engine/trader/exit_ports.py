"""The ports of the exit runner (``trader/exits.py``): what the composition root gives it
(``ExitWiring``: the plan, the worker's cancel, the venue refresh, the rows' one-read marks and
the store of its state) and what it uses of its trader (``ExitDesk``), with the production
implementations (``bot_wiring``, ``RedisExitStore``).

Rules:

- ``refresh_order`` writes the venue's view of one order into its rows (status, fills once per
  trade id, the worker's keys); an order the venue does not know is left as it is.
- ``peek_orders`` reads the marks of several orders in one query: status, filled quantity and
  the number of fills -- what changes whenever anything about an order is written (the worker,
  the user data stream, a refresh); the runner reads an order in full only when its mark moved.
- ``full_refresh_every``: the bars between two venue queries of every resting exit order (the
  runner queries an order between those only when the bar could have filled it).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import func, select

from ai_engine.domain import InstrumentId
from ai_engine.execution.exits import ExitPlan, plan_from_mapping
from ai_engine.store.orders import Fill as FillRow
from ai_engine.store.orders import Order as OrderRow
from ai_engine.trader import venue_records
from ai_engine.trader.holdings import OrderFills
from ai_engine.trader.intents import Intent

FULL_REFRESH_EVERY = 10  # bars: every resting exit order is queried at least this often
FILL_LOOKBACK = timedelta(minutes=5)  # fills are looked for from before the venue's order time
Cancel = Callable[[str], Awaitable[Mapping[str, Any]]]  # client id -> the worker's answer
Refresh = Callable[[str], Awaitable[None]]  # client id: the venue's view into the rows
Send = Callable[[Intent], Awaitable[tuple[str, OrderFills]]]  # persist, queue, read back
Read = Callable[[str, str], tuple[str, OrderFills]]  # (client id, reason) -> status, fills
Peek = Callable[[Sequence[str]], Mapping[str, "RowMark"]]  # client ids -> their rows' marks
RowMark = tuple[str, Decimal, int]  # an order row's status, filled quantity, number of fills
Book = Callable[[OrderFills, bool], Awaitable[None]]  # (fills, closes the round trip)


class ExitStore(Protocol):
    async def load(self, symbol: str) -> Mapping[str, Any] | None: ...
    async def save(self, symbol: str, record: Mapping[str, Any] | None) -> None: ...


class MemoryExitStore:
    """An ``ExitStore`` in memory (one process; tests and one-off replays)."""

    def __init__(self) -> None:
        self.records: dict[str, str] = {}

    async def load(self, symbol: str) -> Mapping[str, Any] | None:
        text = self.records.get(symbol)
        return None if text is None else dict(json.loads(text))

    async def save(self, symbol: str, record: Mapping[str, Any] | None) -> None:
        if record is None:
            self.records.pop(symbol, None)
        else:
            self.records[symbol] = json.dumps(record)


class RedisExitStore:
    """An ``ExitStore`` in the Redis hash ``tradingbot:exits:<bot id>`` (field: symbol).
    ``fresh`` (a replay: a new simulated account every run): what an earlier run left is not
    loaded (and is overwritten by the first save)."""

    def __init__(self, redis: Any, bot_id: str, *, fresh: bool = False) -> None:
        self.redis, self.key, self.fresh = redis, f"tradingbot:exits:{bot_id}", fresh

    async def load(self, symbol: str) -> Mapping[str, Any] | None:
        if self.fresh:
            return None
        raw = await self.redis.hget(self.key, symbol)
        return None if raw is None else dict(json.loads(raw))

    async def save(self, symbol: str, record: Mapping[str, Any] | None) -> None:
        if record is None:
            await self.redis.hdel(self.key, symbol)
        else:
            await self.redis.hset(self.key, symbol, json.dumps(record))


@dataclass(frozen=True)
class ExitWiring:
    """What the composition root gives a trader for its exits."""

    plan: ExitPlan
    cancel: Cancel
    refresh: Refresh
    store: ExitStore
    full_refresh_every: int = FULL_REFRESH_EVERY  # bars between two queries of every order
    peek: Peek | None = None  # one read of the resting orders' marks (None: read each in full)


@dataclass(frozen=True)
class ExitDesk:
    """What the runner uses of its trader: the intent's fixed fields and the order path."""

    bot_id: str
    run_id: str
    fee_rate: Decimal
    risk_profile: str
    starting_equity: Decimal
    quote_asset: str
    send: Send
    read: Read
    book: Book


async def refresh_order(
    venue: Any, sessions: Callable[[], Any], *, bot_id: str, id_prefix: str,
    instrument_id: InstrumentId, client_order_id: str,
) -> None:  # fmt: skip
    """The venue's view of one order (status, and its fills once per trade id, ids with
    ``id_prefix`` as the worker writes them) into its rows (``venue_records``); an order the
    venue does not know is left as it is (the worker or reconciliation settles it)."""
    report = await venue.query_order(instrument_id, client_order_id)
    if report is None:
        return
    fills = []
    if report.filled_quantity.value > 0:
        since = report.created_at - FILL_LOOKBACK
        trades = await venue.trades_since(instrument_id, since)
        fills = [f for f in trades if f.client_order_id == client_order_id]
    with sessions() as session:
        row = venue_records.order_row(session, client_order_id, bot_id)
        if row is None:
            return
        venue_records.apply_report(row, report, id_prefix)
        for fill in fills:
            venue_records.insert_fill(session, row, fill, id_prefix)
        session.commit()


def peek_orders(sessions: Callable[[], Any], client_ids: Sequence[str]) -> dict[str, RowMark]:
    """One read of the orders' rows by client id: status, filled quantity and number of fills
    (what changes when anything is written about an order)."""
    count = select(func.count(FillRow.id)).where(FillRow.order_id == OrderRow.id).scalar_subquery()
    query = select(OrderRow.client_order_id, OrderRow.status, OrderRow.filled_qty, count).where(
        OrderRow.client_order_id.in_(list(client_ids))
    )
    with sessions() as session:
        return {cid: (status, filled, int(n)) for cid, status, filled, n in session.execute(query)}


def bot_wiring(
    exits: Mapping[str, Any], *, fee_rate: Decimal, market: str, cancel: Cancel | None,
    venue: Any, sessions: Callable[[], Any], bot_id: str, id_prefix: str,
    instrument_id: InstrumentId, store: ExitStore, where: str = "exits",
) -> ExitWiring | None:  # fmt: skip
    """A bot config's ``exits`` wired to a venue client (refresh), the worker's cancel task and
    a store; None for an empty ``exits`` (no exit manager: the strategy's exits only).
    ``plan_from_mapping`` errors (``ExitConfigError``) name the key."""
    if not exits:
        return None
    if cancel is None:
        raise ValueError(f"{where}: the exit manager needs the worker's cancel task")
    plan = plan_from_mapping(
        exits, maker_fee_rate=fee_rate, taker_fee_rate=fee_rate,
        reduce_only_venue=market == "usdm", where=where,
    )  # fmt: skip

    async def refresh(client_order_id: str) -> None:
        await refresh_order(
            venue, sessions, bot_id=bot_id, id_prefix=id_prefix, instrument_id=instrument_id,
            client_order_id=client_order_id,
        )  # fmt: skip

    def peek(client_ids: Sequence[str]) -> dict[str, RowMark]:
        return peek_orders(sessions, client_ids)

    return ExitWiring(plan=plan, cancel=cancel, refresh=refresh, store=store, peek=peek)
