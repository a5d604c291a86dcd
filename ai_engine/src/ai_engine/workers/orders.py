"""The execution worker: ``orders.execute``, ``orders.cancel`` and ``orders.cancel_all`` on the
Celery ``orders`` queue.

Thin and idempotent (docs/execution.md). ``orders.execute`` carries only a client order id:

1. re-read the order (``orders``, persisted by the trader in status ``initialized``) and its
   intent (``decisions.order_intent``: type, prices, reference price, fee rates, risk profile,
   expiry; ``trader/intents.py``). A final order is answered from the database: a redelivered
   message does nothing (an order replaced by a smaller retry answers for its replacement);
2. take the order's lease: a PostgreSQL advisory lock on its client id, held on its own
   connection for the whole task. Two deliveries of one message (a redelivery while the first
   still runs) never work on one order at once; a SIGKILLed worker's lock dies with its
   connection, so the redelivered message gets it at once;
3. an order the venue may hold (``submitted``: sent, answer lost; ``accepted``, partially
   filled) is first looked up by its client id; only a venue's "no such order" lets it be sent.
   An ``initialized`` one is marked ``submitted`` before any check, by the statement that
   reads the order and takes its lease (steps 1-3 are one statement in autocommit: one
   round trip): the marker ("it may be at the venue: query before sending") is durable before
   anything is sent, and the statement runs while the account read of step 5 is in flight
   (the latency benchmark's hot path). Only a delivery that got the lease marks it. A check
   below that defers the order (back-off, venue unreachable before sending) puts
   ``initialized`` back; one that refuses records its status;
4. the shared back-off (``order_queue``): during a 429's ``Retry-After`` nothing is sent (read
   when the task starts, before the account read, and again just after step 1-3's statement);
   an intent past its expiry that was never sent is recorded ``expired`` and never sent;
5. the authoritative pre-trade risk check (``risk.check_order``) on the venue's account as it
   is now (asked for when the task starts, while the order is read) and, for an entry, the
   bot's record up to the intent's decision time (``store.risk_history``: a column of step
   1's statement, no round trip of its own; ``risk.history.with_history``, as the trader's
   pre-check): daily loss, drawdown from peak, loss streak, cool-downs, time between trades,
   daily trade cap. Exits and reduce-only orders always pass and read no record. A refusal
   marks the order ``rejected`` with the verdict as reason;
6. place with the intent's client id, then by outcome:

- ``Accepted``: the report and its fills are recorded;
- ``Duplicate``: success; the existing order (or a query) is recorded;
- ``Unknown`` (timeout, 5xx, dropped answer): the client id is queried; found -> recorded;
  absent -> re-sent with the SAME id (at most ``MAX_UNKNOWN`` times). Never a blind re-send;
- ``Rejected``: ``rejected``, code and reason recorded; a size-related refusal is retried
  ONCE as a smaller new order (``order_resize``);
- ``RateLimited``: back to ``initialized``; every worker backs off for ``Retry-After``
  (``order_queue``) and the task is retried then;
- venue unreachable (connect or query fails): the intent waits (``order_queue``: at most 10,
  each with an expiry) and the task is retried with back-off until the venue answers.

``orders.cancel(client_order_id)`` cancels one order (never sent: ``canceled`` locally, under
the same lease, so it can no longer go out); ``orders.cancel_all(instrument_row)`` cancels
every open order of an instrument at the venue and records each local open order as the
venue then reports it. Fills an answer did not carry come from ``trades_since``.

The venue is reached through ``OrdersConfig.connect`` (the composition root sets it with
``configure``, or ``workers.order_worker`` from the environment for a worker process); with
``warm`` (the default) each worker thread keeps one client and one event loop between tasks
(``order_runtime``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
from sqlalchemy import Select, String, TextClause, bindparam, func, null, select, text, true, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ai_engine.domain import Order, Price, Quantity, RejectedError, RetryableError
from ai_engine.domain.enums import PositionSide
from ai_engine.execution.client_ids import Purpose, parse_client_order_id
from ai_engine.execution.outcomes import (
    Accepted,
    Canceled,
    CanceledAll,
    Duplicate,
    NotFound,
    RateLimited,
    Rejected,
    Unknown,
)
from ai_engine.execution.ports import ExecutionVenue
from ai_engine.risk import RiskLimits
from ai_engine.risk.history import RiskHistory, with_history
from ai_engine.risk.intent import OrderIntent
from ai_engine.risk.pre_trade import check_order
from ai_engine.risk.state import OpenPosition, RiskState
from ai_engine.store import db as store_db
from ai_engine.store.instruments import Instrument as InstrumentRow
from ai_engine.store.orders import Order as OrderRow
from ai_engine.store.risk_history import history_column, parse_history
from ai_engine.store.signals import Decision
from ai_engine.workers import order_record as rec
from ai_engine.workers.order_queue import DEFAULT_TTL_S, MemoryGate, RedisGate, VenueGate
from ai_engine.workers.order_resize import resize_rule, retry_client_id, smaller_quantity
from ai_engine.workers.order_runtime import ConnectVenue, Runtimes, VenueRuntime

QUEUE = "orders"
TASK = "orders.execute"
CANCEL_TASK = "orders.cancel"
CANCEL_ALL_TASK = "orders.cancel_all"
MAX_UNKNOWN = 3  # re-sends with the same id after a query found nothing
FINAL = rec.FINAL
UNREACHABLE = (RetryableError, aiohttp.ClientError, OSError, TimeoutError)
LEASE_BUSY_S = 0.2  # retry delay when another delivery holds the order's lease


class OrdersSetupError(RuntimeError):
    """The orders worker has no venue or database configured."""


def task_caller(
    app: Any, task: str, timeout_s: float, *, queue: str = QUEUE
) -> Callable[[str], Awaitable[Any]]:
    """An ``orders`` queue task called with a client id from async code: sent to the queue,
    its answer awaited in a thread (the trader's ``submit``: ``TASK``; the exit manager's
    ``cancel``: ``CANCEL_TASK``; the latency benchmark's trader, on a queue of its own). Sent
    from the same thread as awaited: Celery's result backend is per thread."""

    def blocking(client_id: str) -> Any:
        return app.send_task(task, args=[client_id], queue=queue).get(timeout=timeout_s)

    async def call(client_id: str) -> Any:
        return await asyncio.to_thread(blocking, client_id)

    return call


@dataclass
class OrdersConfig:
    """What the orders tasks need besides the message: the venue and the risk limits."""

    connect: ConnectVenue
    limits: dict[str, RiskLimits] = field(default_factory=dict)  # by name (intent's profile)
    engines: dict[str, Any] = field(default_factory=dict)  # database URL -> SQLAlchemy engine
    # Prefix of the venue's order and trade ids in the record. A replay's sim is born with the
    # run and numbers from 1 again, so replays sharing a database qualify them ("<run>:").
    id_prefix: str = ""
    warm: bool = True  # keep one venue client per worker thread between tasks
    gate: VenueGate | None = None  # None: a RedisGate on the app's broker (tasks), else memory
    runtimes: Runtimes = field(default_factory=Runtimes)
    instruments: dict[int, InstrumentRow] = field(default_factory=dict)  # row id -> row

    def close(self) -> None:
        """Close the warm venue clients and their loops, the gate's Redis client and the
        database engines the tasks made (call when the worker has stopped)."""
        self.runtimes.close()
        gate = self.gate
        if isinstance(gate, RedisGate):
            gate.close()
        for engine in self.engines.values():
            engine.dispose()


def configure(app: Any, config: OrdersConfig) -> None:
    """Give ``app``'s orders tasks their venue and limits (the composition root calls it)."""
    app.tradingbot_orders = config


def register(app: Any) -> None:
    """Define the orders tasks on ``app`` (routed to the ``orders`` queue by ``make_celery``)."""
    from ai_engine.workers.app import context_of

    def setup() -> tuple[Any, OrdersConfig, VenueRuntime]:
        config: OrdersConfig | None = getattr(app, "tradingbot_orders", None)
        context = context_of(app)
        url = context.database_url
        if config is None or url is None:
            raise OrdersSetupError("the orders worker needs a venue (configure) and a database")
        engine = config.engines.get(url)
        if engine is None:
            engine = config.engines[url] = store_db.make_engine(url)
        if config.gate is None:
            config.gate = RedisGate.from_url(context.redis_url)
        return engine, config, config.runtimes.get(config.connect, config.warm)

    def finish(task: Any, answer: dict[str, Any]) -> dict[str, Any]:
        retry = answer.get("retry_after_s")
        if retry is not None:
            if answer.get("unreachable"):  # back off: 0.25 s doubling to 4 s
                retry = min(4.0, 0.25 * 2 ** min(task.request.retries, 4))
            raise task.retry(countdown=float(retry))
        return answer

    @app.task(name=TASK, bind=True, shared=False, max_retries=None)  # type: ignore[untyped-decorator]
    def execute(self: Any, client_order_id: str) -> dict[str, Any]:
        started = time.time()  # wall clock the task began (the latency benchmark's split)
        engine, config, runtime = setup()
        answer = runtime.run(execute_order(engine, config, client_order_id, runtime=runtime))
        answer["started_at"] = started
        return finish(self, answer)

    @app.task(name=CANCEL_TASK, bind=True, shared=False, max_retries=None)  # type: ignore[untyped-decorator]
    def cancel(self: Any, client_order_id: str) -> dict[str, Any]:
        engine, config, runtime = setup()
        answer = runtime.run(cancel_order(engine, config, client_order_id, runtime=runtime))
        return finish(self, answer)

    @app.task(name=CANCEL_ALL_TASK, bind=True, shared=False, max_retries=None)  # type: ignore[untyped-decorator]
    def cancel_all(self: Any, instrument_row: int, bot_id: str | None = None) -> dict[str, Any]:
        engine, config, runtime = setup()
        work = cancel_all_orders(engine, config, instrument_row, bot_id, runtime=runtime)
        return finish(self, runtime.run(work))


class _OneShot:
    """A venue connected for one call and closed after it (``execute_order`` without a
    runtime: tests and one-off tools)."""

    def __init__(self, connect: ConnectVenue) -> None:
        self._connect = connect
        self._venue: ExecutionVenue | None = None
        self._connecting = asyncio.Lock()

    async def venue(self) -> ExecutionVenue:
        if self._venue is None:
            async with self._connecting:
                if self._venue is None:
                    self._venue = await self._connect()
        return self._venue

    async def forget(self) -> None:
        venue, self._venue = self._venue, None
        if venue is not None:
            with contextlib.suppress(Exception):
                await venue.close()


@contextlib.contextmanager
def _lease(engine: Any, client_order_id: str) -> Iterator[tuple[bool, Any]]:
    """(got it, the connection that holds it): the order's advisory lock on a connection of
    its own (module docstring, step 2), for ``orders.cancel``."""
    with engine.connect() as conn:
        got = bool(conn.execute(_LOCK, {"k": client_order_id}).scalar())
        conn.commit()
        try:
            yield got, conn
        finally:
            if got:
                _unlock(conn, client_order_id)


_LOCK = text("SELECT pg_try_advisory_lock(hashtext(:k))")


def _unlock(conn: Any, client_order_id: str) -> None:
    conn.rollback()
    conn.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": client_order_id})
    conn.commit()


_Taken = tuple[OrderRow | None, Decision | None, bool, str, RiskHistory | None]


def _open_and_take(
    engine: Any, client_order_id: str, config: OrdersConfig
) -> tuple[Any, Session, _Taken, float]:
    """(the lease's connection, a session on it, ``_take``'s answer, the back-off left then):
    one round trip to the database on a pooled connection (no pre-ping: ``store.db``).
    ``_take``'s statement runs in autocommit (one statement is atomic; a ``BEGIN`` and a
    ``COMMIT`` would be two more round trips); the connection is transactional again for the
    writes that follow (the fills). The back-off is read here, after the lease and just
    before the checks that lead to sending (step 4), while the account read is in flight."""
    conn = engine.connect()
    session = Session(bind=conn, expire_on_commit=False)
    try:
        level = conn.default_isolation_level
        conn.execution_options(isolation_level="AUTOCOMMIT")
        taken = _take(session, client_order_id, config)
        conn.execution_options(isolation_level=level)
        return conn, session, taken, _gate(config).backoff_left_s()
    except BaseException:
        session.close()
        conn.close()
        raise


def _take(session: Session, client_order_id: str, config: OrdersConfig) -> _Taken:
    """(order, decision, lease taken, status as read, the bot's record): the order read and
    leased and, if it was ``initialized``, marked ``submitted``, in one statement, committed
    with it (step 3's marker, durable before anything is sent and taken before the checks,
    so that its commit overlaps the account read; a check that refuses records its own status,
    one that defers puts ``initialized`` back). An entry's record for step 5 comes with the
    read (``store.risk_history``)."""
    row, decision, got, record = _locked_read(session, client_order_id, config)
    session.commit()  # the statement's: a worker killed from here on finds "submitted"
    if row is None:
        return None, None, False, "", None
    was = row.status
    if got and was == "initialized":  # the statement marked it: the row object follows
        set_committed_value(row, "status", "submitted")
        set_committed_value(row, "updated_at", datetime.now(UTC))
    return row, decision, got, was, None if record is None else parse_history(record)


def _locked_read(
    session: Session, client_order_id: str, config: OrdersConfig
) -> tuple[OrderRow | None, Decision | None, bool, Any]:
    """(order, decision, lease taken, the bot's record if an entry) in ONE round trip: the
    advisory lock is taken in the statement that reads the order and its decision, the same
    statement marks an ``initialized`` order ``submitted`` when it got the lock (a
    data-modifying CTE: the read still sees the status before it), and the record of an
    entry (step 5) is a column of it (a hot path; docs/execution.md "Latency")."""
    parts = parse_client_order_id(client_order_id)  # an exit's id: no record to compute
    opens = parts is None or parts.purpose in (Purpose.ENTRY, Purpose.SCALE_IN)
    column = history_column(config.limits) if opens else None
    found = session.execute(_take_statement(column), {"cid": client_order_id}).first()
    if found is None:
        return None, None, False, None
    return found[0], found[1], bool(found[2]), found[3]


@functools.lru_cache(maxsize=16)
def _take_statement(record: TextClause | None) -> Select[Any]:
    """``_locked_read``'s statement for the order ``:cid``, with ``record`` (the bot's record,
    ``history_column``; cached there) or NULL as its last column: built once, so a task builds
    no statement and no cache key (docs/execution.md "Latency")."""
    cid = bindparam("cid", type_=String)
    lease = (  # taken only when the order exists (nothing to release otherwise)
        select(func.pg_try_advisory_lock(func.hashtext(cid)).label("got"))
        .where(OrderRow.client_order_id == cid)
        .cte("lease")
    )
    marked = (
        update(OrderRow)
        .where(
            OrderRow.client_order_id == cid,
            OrderRow.status == "initialized",
            select(lease.c.got).scalar_subquery(),
        )
        .values(status="submitted", updated_at=func.now())
        .returning(OrderRow.id)
        .cte("marked")
    )
    return (
        select(OrderRow, Decision, lease.c.got, null() if record is None else record)
        .add_cte(marked)
        .select_from(OrderRow)
        .join(lease, true())
        .outerjoin(Decision, Decision.client_order_id == OrderRow.client_order_id)
        .where(OrderRow.client_order_id == cid)
        .order_by(Decision.id)
        .limit(1)
    )


def _gate(config: OrdersConfig) -> VenueGate:
    if config.gate is None:
        config.gate = MemoryGate()
    return config.gate


async def execute_order(
    engine: Any, config: OrdersConfig, client_order_id: str, *, runtime: VenueRuntime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Steps 1-6 of the module docstring for one order; returns its recorded state."""
    handle: VenueRuntime | _OneShot = runtime or _OneShot(config.connect)
    try:
        return await _execute(engine, config, client_order_id, handle)
    finally:
        if runtime is None:
            await handle.forget()


async def _execute(
    engine: Any, config: OrdersConfig, client_order_id: str, handle: VenueRuntime | _OneShot
) -> dict[str, Any]:
    # The venue's account (step 5's input; a read) is asked for first: one turn of the loop
    # writes its request (on a warm client), then the order is read and leased here, blocking
    # this thread, while the venue answers: the round trips overlap. Not in a second thread: on
    # the two cores of the reference host a thread hop and the GIL hand-overs it brings cost
    # more than they overlap (docs/execution.md, "Latency"). One connection holds the lease
    # for the whole task, no reload after each commit: the worker alone writes this row while
    # it holds the lease. Not during a 429's back-off: nothing at all is sent then (step 4).
    idle = _gate(config).backoff_left_s() > 0
    account = asyncio.ensure_future(_account(handle, skip=idle))
    try:
        await asyncio.sleep(0)  # the account read's first step: its request goes out
        conn, session, taken, backoff_s = _open_and_take(engine, client_order_id, config)
    except BaseException:
        await _drop(account)
        raise
    with conn:
        got = False
        try:
            with session:
                row, decision, got, was, history = taken
                if row is None:
                    raise OrdersSetupError(f"no order {client_order_id} in the database")
                if row.status in FINAL:
                    replacement = (decision.reason or {}).get("replaced_by") if decision else None
                    if replacement:  # the smaller retry: make sure it went out
                        await _drop(account)
                        return await _execute(engine, config, str(replacement), handle)
                    return rec.answer(row, "already final")
                if not got:
                    note = "another delivery holds it"
                    return rec.answer(row, note, retry_after_s=LEASE_BUSY_S)
                work = _Work(row, decision, was, account, backoff_s, history)
                return await _leased(session, engine, config, work, handle)
        finally:
            await _drop(account)
            if got:
                _unlock(conn, client_order_id)


@dataclass
class _Work:
    """One leased order: its row (marked ``submitted``), decision, status as read, and the
    account read started with the task (None when it was not: a back-off was in force)."""

    row: OrderRow
    decision: Decision | None
    was: str
    account: asyncio.Future[Any]
    backoff_s: float  # a 429's back-off left when the order was leased (step 4)
    history: RiskHistory | None = None  # the bot's record (an entry's only: step 5)


async def _account(handle: VenueRuntime | _OneShot, *, skip: bool = False) -> Any:
    """The venue's account, or None when ``skip`` (asked for later, when needed)."""
    return None if skip else await (await handle.venue()).account()


async def _drop(task: asyncio.Future[Any]) -> None:
    """Cancel a prefetch nobody awaited and swallow its outcome (it was only a read)."""
    if not task.done():
        task.cancel()
    with contextlib.suppress(BaseException):
        await task


def _instrument(session: Session, config: OrdersConfig, row_id: int) -> InstrumentRow:
    """The instrument row (cached per worker: its filters do not change under a worker)."""
    found = config.instruments.get(row_id)
    if found is None:
        found = session.get_one(InstrumentRow, row_id)
        session.expunge(found)
        config.instruments[row_id] = found
    return found


async def _leased(
    session: Session, engine: Any, config: OrdersConfig, work: _Work,
    handle: VenueRuntime | _OneShot,
) -> dict[str, Any]:  # fmt: skip
    row, decision = work.row, work.decision
    gate = _gate(config)
    intent = dict(decision.order_intent or {}) if decision else {}
    instrument = _instrument(session, config, row.instrument_id)
    order = rec.domain_order(row, instrument)
    # The venue's times are replay times in a replay: fills are looked up from the
    # intent's decision time (the trader's clock), not from the row's wall-clock time.
    decided = intent.get("decided_at")
    since = (datetime.fromisoformat(str(decided)) if decided else row.created_at) - timedelta(
        minutes=1
    )
    expires = _expiry(row, intent)
    placing, maybe_sent = False, work.was in rec.AT_VENUE
    try:
        # The account read's outcome first: a venue that cannot be reached is found out once
        # per task (its connect failure), not connected to a second time here.
        account = await work.account
        venue = await handle.venue()
        if work.was in rec.AT_VENUE:  # an earlier delivery sent it: ask before sending
            found = await venue.query_order(order.instrument_id, row.client_order_id)
            if found is not None:
                await rec.record(session, venue, row, since, config.id_prefix, found)
                gate.done(row.client_order_id)
                return rec.answer(row, "found at the venue after a redelivery")
            # The venue has no such order: it was never placed. It is "submitted" again (about
            # to be sent) unless a check below defers it.
            row.status, maybe_sent = "submitted", False
        if datetime.now(UTC) >= expires:
            gate.done(row.client_order_id)
            rec.set_status(session, row, decision, "expired", "expired before it could be sent")
            return rec.answer(row, "expired: never sent")
        wait = work.backoff_s if work.was not in rec.AT_VENUE else gate.backoff_left_s()
        if wait > 0:
            _unmark(session, row)
            return rec.answer(row, "rate-limit back-off", retry_after_s=wait)
        account = account or await venue.account()
        verdict = _risk_check(account, instrument, order, intent, config, work.history)
        if verdict is not None:
            gate.done(row.client_order_id)
            rec.set_status(session, row, decision, "rejected", f"risk: {verdict}")
            return rec.answer(row, f"risk: {verdict}")
        placing = True
        answer = await _submit(session, venue, row, order, decision, since, config, gate)
    except UNREACHABLE as exc:
        await handle.forget()
        if not placing and not maybe_sent:  # nothing sent, and not at the venue: unmark
            session.rollback()
            _unmark(session, row)
        return _unreachable(session, row, decision, gate, expires, exc)
    gate.done(row.client_order_id)
    rule = answer.pop("resize", None)
    if rule:
        return await _resize(session, engine, config, row, decision, intent, instrument, answer,
                             rule, handle)  # fmt: skip
    return answer


def _unmark(session: Session, row: OrderRow) -> None:
    """Back to ``initialized``: this delivery sent nothing and the venue does not hold it."""
    row.status, row.updated_at = "initialized", datetime.now(UTC)
    session.commit()


def _expiry(row: OrderRow, intent: dict[str, Any]) -> datetime:
    raw = intent.get("expires_at")
    if raw:
        return datetime.fromisoformat(str(raw))
    return row.created_at.astimezone(UTC) + timedelta(seconds=DEFAULT_TTL_S)


def _unreachable(
    session: Session, row: OrderRow, decision: Any, gate: VenueGate, expires: datetime,
    exc: BaseException,
) -> dict[str, Any]:  # fmt: skip
    """The venue did not answer: the intent waits (at most ``MAX_WAITING``), or expires."""
    session.rollback()
    session.refresh(row)
    reason = f"venue unreachable: {type(exc).__name__}: {exc}"[:300]
    never_sent = row.status == "initialized"
    if never_sent and datetime.now(UTC) >= expires:
        gate.done(row.client_order_id)
        rec.set_status(session, row, decision, "expired", f"expired while waiting ({reason})")
        return rec.answer(row, "expired while the venue was unreachable: never sent")
    if not gate.wait(row.client_order_id, expires.timestamp()) and never_sent:
        rec.set_status(session, row, decision, "rejected", f"queue full: {reason}")
        return rec.answer(row, "the venue is unreachable and 10 intents already wait")
    return rec.answer(row, reason, retry_after_s=1.0, unreachable=True)


async def _submit(
    session: Session, venue: ExecutionVenue, row: OrderRow, order: Order, decision: Any,
    since: datetime, config: OrdersConfig, gate: VenueGate,
) -> dict[str, Any]:  # fmt: skip
    prefix = config.id_prefix
    for _ in range(MAX_UNKNOWN + 1):  # the row is "submitted" (committed by ``_take``)
        try:
            outcome = await venue.place_order(order)
        except RejectedError as exc:  # UnsupportedOrder: refused before anything was sent
            rec.set_status(session, row, decision, "rejected", f"not sent: {exc}")
            return rec.answer(row, f"not sent: {exc}")
        answered = time.time()  # wall clock of the venue's answer (the latency benchmark)
        match outcome:
            case Accepted(report):
                await rec.record(session, venue, row, since, prefix, report)
                return rec.answer(row, "accepted", acked_at=answered)
            case Duplicate(existing=existing):
                known = existing or await venue.query_order(
                    order.instrument_id, order.client_order_id
                )
                if known is not None:
                    await rec.record(session, venue, row, since, prefix, known)
                    return rec.answer(row, "duplicate: the earlier send got through")
            case Unknown(reason):
                found = await venue.query_order(order.instrument_id, order.client_order_id)
                if found is not None:
                    await rec.record(session, venue, row, since, prefix, found)
                    return rec.answer(row, f"unknown ({reason}), found by client id")
                # Not at the venue: sending again with the same id is safe.
            case Rejected() as rejected:
                note = f"venue {rejected.code}: {rejected.reason}"
                rec.set_status(session, row, decision, "rejected", note)
                return rec.answer(row, note, resize=resize_rule(rejected))
            case RateLimited(retry_after_s, reason):
                wait = retry_after_s if retry_after_s is not None else 1.0
                gate.back_off(wait)
                row.status = "initialized"  # not executed: the retry sends it again
                session.commit()
                return rec.answer(row, f"rate limited: {reason}", retry_after_s=wait)
    row.status = "initialized"
    session.commit()
    note = "venue answers unknown and the order is not there; retrying"
    return rec.answer(row, note, retry_after_s=1.0)


async def _resize(
    session: Session, engine: Any, config: OrdersConfig, row: OrderRow, decision: Any,
    intent: dict[str, Any], instrument: InstrumentRow, answer: dict[str, Any], rule: str,
    handle: VenueRuntime | _OneShot,
) -> dict[str, Any]:  # fmt: skip
    """A size refusal: one smaller order with the next attempt's id (``order_resize``)."""
    new_id = retry_client_id(row.client_order_id, row.bot_id)
    if decision is None or intent.get("retry_of") or new_id is None:
        return answer
    venue = await handle.venue()
    account = await venue.account()
    price = Decimal(str(row.price or row.stop_price or intent["reference_price"]))
    quantity = smaller_quantity(
        rule, side=row.side, quantity=row.quantity, price=price,
        fee_rate=Decimal(str(intent.get("fee_rate", "0.001"))),
        free_base=account.balance(instrument.base_asset).available,
        free_quote=account.balance(instrument.quote_asset).available,
        lot_step=instrument.lot_step, min_qty=instrument.min_qty,
        min_notional=instrument.min_notional,
    )  # fmt: skip
    if quantity is None:
        return answer
    session.add(
        OrderRow(
            client_order_id=new_id, instrument_id=row.instrument_id, bot_id=row.bot_id,
            run_id=row.run_id, side=row.side, order_type=row.order_type,
            time_in_force=row.time_in_force, status="initialized", quantity=quantity,
            price=row.price, stop_price=row.stop_price, reduce_only=row.reduce_only,
        )
    )  # fmt: skip
    session.add(
        Decision(
            ts=decision.ts, bot_id=decision.bot_id, outcome="approved", client_order_id=new_id,
            order_intent={**intent, "quantity": str(quantity), "retry_of": row.client_order_id},
            reason={**dict(decision.reason or {}), "retry_of": row.client_order_id},
        )
    )  # fmt: skip
    rec.set_reason(decision, str(answer["note"]), replaced_by=new_id)
    session.commit()  # the replacement exists before it is sent: a redelivery finds it
    return await _execute(engine, config, new_id, handle)


def _risk_check(
    account: Any, instrument: InstrumentRow, order: Order, intent: dict[str, Any],
    config: OrdersConfig, history: RiskHistory | None = None,
) -> str | None:  # fmt: skip
    """The refusals' summary, or None when the order passes (exits always pass). The state is
    the venue's account now and, for an entry, the bot's record (``history``: daily loss,
    drawdown, loss streak, cool-downs, trade spacing and the daily cap; ``risk.history``)."""
    name = str(intent.get("risk_profile", ""))
    limits = config.limits.get(name)
    if limits is None:
        return f"unknown risk profile {name!r}"
    price = Decimal(str(intent["reference_price"]))
    base = account.balance(instrument.base_asset).total
    quote = account.balance(instrument.quote_asset).total
    positions: tuple[OpenPosition, ...] = ()
    # Dust (below the lot minimum or the notional: a sell cannot close it) is no position.
    if base >= instrument.min_qty and base * price >= instrument.min_notional:
        positions = (
            OpenPosition(
                symbol=instrument.symbol,
                side=PositionSide.LONG,
                quantity=Quantity(base),
                entry_price=Price(price),
                mark_price=Price(price),
            ),
        )
    equity = quote + base * price
    state = RiskState(
        equity=equity,
        starting_equity=Decimal(str(intent.get("starting_equity", equity))),
        peak_equity=equity,
        day_start_equity=equity,
        positions=positions,
    )
    decided_at = datetime.fromisoformat(str(intent["decided_at"]))
    if history is not None:
        state = with_history(state, history, decided_at)
    fee = Decimal(str(intent.get("fee_rate", "0.001")))
    stop = intent.get("protective_stop")  # an entry's planned stop and take profit
    target = intent.get("target")  # (trader/intents.py)
    verdict = check_order(
        OrderIntent(
            symbol=instrument.symbol,
            side=order.side,
            quantity=order.quantity,
            price=Price(order.price.value if order.price is not None else price),
            entry_fee_rate=fee,
            exit_fee_rate=fee,
            stop_price=Price(Decimal(str(stop))) if stop else None,
            target_price=Price(Decimal(str(target))) if target else None,
            reduce_only=order.reduce_only,  # a USD-M exit: never blocked (no balance shows it)
            leverage=Decimal(str(intent.get("leverage", 1))),  # USD-M: margin = notional / it
        ),
        state,
        limits,
        decided_at,
    )
    return None if verdict.approved else verdict.summary()


# -- cancels -------------------------------------------------------------------------------


async def cancel_order(
    engine: Any, config: OrdersConfig, client_order_id: str, *, runtime: VenueRuntime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Cancel one order by client id (module docstring); returns its recorded state."""
    handle: VenueRuntime | _OneShot = runtime or _OneShot(config.connect)
    try:
        with Session(engine) as session:
            row = rec.load_order(session, client_order_id)
            if row is None:
                raise OrdersSetupError(f"no order {client_order_id} in the database")
            if row.status in FINAL:
                return rec.answer(row, "already final")
            with _lease(engine, client_order_id) as (got, _):
                if not got:
                    return rec.answer(row, "another delivery holds it", retry_after_s=LEASE_BUSY_S)
                session.refresh(row)
                return await _cancel_leased(session, config, row, handle)
    finally:
        if runtime is None:
            await handle.forget()


async def _cancel_leased(
    session: Session, config: OrdersConfig, row: OrderRow, handle: VenueRuntime | _OneShot
) -> dict[str, Any]:
    decision = rec.load_decision(session, row.client_order_id)
    if row.status in FINAL:
        return rec.answer(row, "already final")
    if row.status == "initialized":  # never sent, and under the lease it cannot go out now
        _gate(config).done(row.client_order_id)
        rec.set_status(session, row, decision, "canceled", "canceled before it was sent")
        return rec.answer(row, "canceled before it was sent")
    wait = _gate(config).backoff_left_s()
    if wait > 0:
        return rec.answer(row, "rate-limit back-off", retry_after_s=wait)
    instrument = session.get_one(InstrumentRow, row.instrument_id)
    iid = rec.instrument_id(instrument)
    since = row.created_at.astimezone(UTC) - timedelta(days=1)
    try:
        venue = await handle.venue()
        outcome = await venue.cancel_order(iid, row.client_order_id)
        match outcome:
            case Canceled(order=report) if report is not None:
                await rec.record(session, venue, row, since, config.id_prefix, report)
                return rec.answer(row, "canceled")
            case Canceled() | NotFound() | Unknown():
                found = await venue.query_order(iid, row.client_order_id)
                if found is None:  # the venue never had it: nothing can fill any more
                    rec.set_status(session, row, decision, "canceled", "not at the venue")
                    return rec.answer(row, "not at the venue: canceled")
                await rec.record(session, venue, row, since, config.id_prefix, found)
                if found.status.value in FINAL:
                    return rec.answer(row, f"{found.status.value} at the venue")
                return rec.answer(row, "still open at the venue", retry_after_s=1.0)
            case RateLimited(retry_after_s, reason):
                wait = retry_after_s if retry_after_s is not None else 1.0
                _gate(config).back_off(wait)
                return rec.answer(row, f"rate limited: {reason}", retry_after_s=wait)
            case Rejected(code, reason, _):
                return rec.answer(row, f"cancel refused: venue {code}: {reason}")
    except UNREACHABLE as exc:
        await handle.forget()
        session.rollback()
        return rec.answer(row, f"venue unreachable: {exc}", retry_after_s=1.0, unreachable=True)
    return rec.answer(row, "no outcome")


async def cancel_all_orders(
    engine: Any, config: OrdersConfig, instrument_row: int, bot_id: str | None = None, *,
    runtime: VenueRuntime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Cancel every open order of the instrument at the venue, then record each local open
    order (of ``bot_id`` when given) as the venue reports it."""
    handle: VenueRuntime | _OneShot = runtime or _OneShot(config.connect)
    try:
        with Session(engine) as session:
            instrument = session.get_one(InstrumentRow, instrument_row)
            iid = rec.instrument_id(instrument)
            try:
                venue = await handle.venue()
                outcome = await venue.cancel_all(iid)
            except UNREACHABLE as exc:
                await handle.forget()
                return {"instrument": instrument.symbol, "note": f"venue unreachable: {exc}",
                        "retry_after_s": 1.0, "unreachable": True}  # fmt: skip
            if isinstance(outcome, RateLimited):
                wait = outcome.retry_after_s if outcome.retry_after_s is not None else 1.0
                _gate(config).back_off(wait)
                return {"instrument": instrument.symbol, "note": "rate limited",
                        "retry_after_s": wait}  # fmt: skip
            if not isinstance(outcome, CanceledAll):
                return {"instrument": instrument.symbol, "note": f"cancel all: {outcome}",
                        "retry_after_s": 1.0}  # fmt: skip
            open_ids = _open_local(session, instrument_row, bot_id)
        results = [await cancel_order(engine, config, cid, runtime=runtime) for cid in open_ids]
        return {
            "instrument": instrument.symbol,
            "note": "canceled all",
            "orders": {r["client_order_id"]: r["status"] for r in results},
        }
    finally:
        if runtime is None:
            await handle.forget()


def _open_local(session: Session, instrument_row: int, bot_id: str | None) -> list[str]:
    query = select(OrderRow.client_order_id).where(
        OrderRow.instrument_id == instrument_row, OrderRow.status.not_in(FINAL)
    )
    if bot_id is not None:
        query = query.where(OrderRow.bot_id == bot_id)
    return list(session.scalars(query).all())
