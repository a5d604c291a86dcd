"""Reads and writes of backtest jobs (``store.backtests``), each in the caller's session.

The job's life: ``insert`` (queued) -> ``mark_running`` -> ``set_progress`` ... -> ``finish``
(done: metrics, summary, report and trades in one transaction) or ``fail`` (the error text).
``finish`` replaces any trades already stored for the job, so re-running a job is idempotent.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, undefer

from ai_engine.store.backtests import Backtest, BacktestTrade

TRADE_MONEY = (
    "entry_price",
    "exit_price",
    "quantity",
    "entry_fee",
    "exit_fee",
    "funding",
    "pnl",
)


def insert(
    session: Session, job_id: uuid.UUID, *, strategy: str, interval: str, spec: Mapping[str, Any]
) -> Backtest:
    row = Backtest(
        id=job_id,
        strategy=strategy,
        interval=interval,
        spec=dict(spec),
        status="queued",
        progress=0.0,
    )
    session.add(row)
    return row


def get(session: Session, job_id: uuid.UUID, *, with_report: bool = False) -> Backtest | None:
    query = select(Backtest).where(Backtest.id == job_id)
    if with_report:
        query = query.options(undefer(Backtest.report_html))
    return session.scalars(query).one_or_none()


def mark_running(session: Session, job_id: uuid.UUID) -> None:
    session.execute(
        update(Backtest)
        .where(Backtest.id == job_id)
        .values(status="running", progress=0.0, started_at=_now(), finished_at=None, error=None)
    )


def set_progress(session: Session, job_id: uuid.UUID, progress: float) -> None:
    session.execute(
        update(Backtest).where(Backtest.id == job_id).values(progress=min(max(progress, 0.0), 1.0))
    )


def finish(
    session: Session,
    job_id: uuid.UUID,
    *,
    metrics: Mapping[str, Any],
    summary: Mapping[str, Any],
    report_html: str,
    trades: Iterable[Mapping[str, Any]],
) -> None:
    """Store the results; ``trades`` are rows of ``report_json.trade_rows``."""
    session.execute(delete(BacktestTrade).where(BacktestTrade.backtest_id == job_id))
    session.add_all(_trade(job_id, seq, row) for seq, row in enumerate(trades))
    session.execute(
        update(Backtest)
        .where(Backtest.id == job_id)
        .values(
            status="done",
            progress=1.0,
            finished_at=_now(),
            metrics=dict(metrics),
            summary=dict(summary),
            report_html=report_html,
            error=None,
        )
    )


def fail(session: Session, job_id: uuid.UUID, error: str) -> None:
    session.execute(
        update(Backtest)
        .where(Backtest.id == job_id)
        .values(status="failed", finished_at=_now(), error=error[:4000])
    )


def trades(
    session: Session, job_id: uuid.UUID, *, offset: int = 0, limit: int = 1000
) -> list[BacktestTrade]:
    query = (
        select(BacktestTrade)
        .where(BacktestTrade.backtest_id == job_id)
        .order_by(BacktestTrade.seq)
        .offset(offset)
        .limit(limit)
    )
    return list(session.scalars(query))


def trade_count(session: Session, job_id: uuid.UUID) -> int:
    query = (
        select(func.count()).select_from(BacktestTrade).where(BacktestTrade.backtest_id == job_id)
    )
    return int(session.scalar(query) or 0)


def _trade(job_id: uuid.UUID, seq: int, row: Mapping[str, Any]) -> BacktestTrade:
    money = {name: _decimal(row[name], name) for name in TRADE_MONEY}
    return BacktestTrade(
        backtest_id=job_id,
        seq=seq,
        symbol=row["symbol"],
        side=row["side"],
        entry_time=_utc(row["entry_time_ms"]),
        exit_time=_utc(row["exit_time_ms"]),
        entry_reason=row["entry_reason"],
        exit_reason=row["exit_reason"],
        **money,
    )


def _decimal(value: object, name: str) -> Decimal:
    # The one float -> Decimal conversion of a backtest's money: repr keeps the shortest
    # decimal that round-trips, not the binary expansion.
    if value is None:
        raise ValueError(f"trade {name} is not a finite number")
    return Decimal(repr(float(value)))  # type: ignore[arg-type]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _utc(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=int(ms))


def _now() -> datetime:
    return datetime.now(tz=UTC)
