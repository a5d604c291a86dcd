"""Read-side queries over the trading record: orders, positions, trades, equity, P&L.

Every list is newest first and bounded (``limit``); filters are optional and combine with AND.
Symbols come from the instruments table (the venue's spelling). P&L figures are net of fees
(and funding on perpetuals): ``trades.pnl_net`` is already net.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ai_engine.domain.enums import OrderStatus
from ai_engine.store.instruments import Instrument
from ai_engine.store.orders import Order
from ai_engine.store.portfolio import EquitySnapshot, Position, Trade

OPEN_STATUSES = tuple(s.value for s in OrderStatus if not s.is_terminal)


def orders(
    session: Session,
    *,
    bot_id: str | None = None,
    symbol: str | None = None,
    status: str | None = None,
    open_only: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[tuple[Order, Instrument]]:
    query = select(Order, Instrument).join(Instrument, Order.instrument_id == Instrument.id)
    if bot_id:
        query = query.where(Order.bot_id == bot_id)
    if symbol:
        query = query.where(Instrument.symbol == symbol)
    if status:
        query = query.where(Order.status == status)
    if open_only:
        query = query.where(Order.status.in_(OPEN_STATUSES))
    query = query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit).offset(offset)
    return [(o, i) for o, i in session.execute(query).all()]


def positions(
    session: Session, *, bot_id: str | None = None, open_only: bool = True
) -> list[tuple[Position, Instrument]]:
    query = select(Position, Instrument).join(Instrument, Position.instrument_id == Instrument.id)
    if bot_id:
        query = query.where(Position.bot_id == bot_id)
    if open_only:
        query = query.where(Position.qty > 0)
    query = query.order_by(Position.bot_id, Instrument.symbol)
    return [(p, i) for p, i in session.execute(query).all()]


def _trades_query(
    bot_id: str | None, symbol: str | None, since: datetime | None
) -> Select[Trade, Instrument]:
    query = select(Trade, Instrument).join(Instrument, Trade.instrument_id == Instrument.id)
    if bot_id:
        query = query.where(Trade.bot_id == bot_id)
    if symbol:
        query = query.where(Instrument.symbol == symbol)
    if since:
        query = query.where(Trade.exit_time >= since)
    return query


def trades(
    session: Session,
    *,
    bot_id: str | None = None,
    symbol: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[tuple[Trade, Instrument]]:
    query = _trades_query(bot_id, symbol, since)
    query = query.order_by(Trade.exit_time.desc(), Trade.id.desc()).limit(limit).offset(offset)
    return [(t, i) for t, i in session.execute(query).all()]


def latest_equity(session: Session, *, bot_id: str | None = None) -> list[EquitySnapshot]:
    """The newest equity snapshot of every bot (or of one)."""
    newest = select(EquitySnapshot.bot_id, func.max(EquitySnapshot.ts).label("ts")).group_by(
        EquitySnapshot.bot_id
    )
    if bot_id:
        newest = newest.where(EquitySnapshot.bot_id == bot_id)
    sub = newest.subquery()
    query = (
        select(EquitySnapshot)
        .join(sub, (EquitySnapshot.bot_id == sub.c.bot_id) & (EquitySnapshot.ts == sub.c.ts))
        .order_by(EquitySnapshot.bot_id)
    )
    return list(session.scalars(query))


def equity_curve(
    session: Session, bot_id: str, *, since: datetime | None = None, limit: int = 5_000
) -> list[EquitySnapshot]:
    query = select(EquitySnapshot).where(EquitySnapshot.bot_id == bot_id)
    if since:
        query = query.where(EquitySnapshot.ts >= since)
    rows = list(session.scalars(query.order_by(EquitySnapshot.ts.desc()).limit(limit)))
    return rows[::-1]


@dataclass(frozen=True)
class PnlSummary:
    trades: int
    wins: int
    losses: int
    realised_net: Decimal
    fees: Decimal
    gross_profit: Decimal
    gross_loss: Decimal  # positive magnitude
    daily: Sequence[tuple[date, Decimal]]  # realised net per UTC day of exit, oldest first

    @property
    def win_rate(self) -> float | None:
        return self.wins / self.trades if self.trades else None

    @property
    def profit_factor(self) -> float | None:
        if self.gross_loss == 0:
            return None
        return float(self.gross_profit / self.gross_loss)


def pnl_summary(
    session: Session, *, bot_id: str | None = None, since: datetime | None = None
) -> PnlSummary:
    base = _trades_query(bot_id, None, since).subquery()
    pnl = base.c.pnl_net
    row = session.execute(
        select(
            func.count(),
            func.count().filter(pnl > 0),
            func.count().filter(pnl <= 0),
            func.coalesce(func.sum(pnl), 0),
            func.coalesce(func.sum(base.c.fees), 0),
            func.coalesce(func.sum(pnl).filter(pnl > 0), 0),
            func.coalesce(-func.sum(pnl).filter(pnl < 0), 0),
        )
    ).one()
    day = func.date(func.timezone("UTC", base.c.exit_time))
    daily = session.execute(select(day, func.sum(pnl)).group_by(day).order_by(day)).all()
    return PnlSummary(
        trades=int(row[0]),
        wins=int(row[1]),
        losses=int(row[2]),
        realised_net=Decimal(row[3]),
        fees=Decimal(row[4]),
        gross_profit=Decimal(row[5]),
        gross_loss=Decimal(row[6]),
        daily=[(d, Decimal(v)) for d, v in daily],
    )
