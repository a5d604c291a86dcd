"""What the bot and portfolio routes do: read the record, send control commands.

Blocking (SQLAlchemy sync sessions, redis-py); the routes call it in a thread. A control
command is written to ``audit_log`` (who, what, which bot, why) in the same transaction that
checks the bot exists, and only then sent on the bot's control stream: a command is never
sent unrecorded. The trader applies it (``ai_engine.events.control``); the answer is 202.
A bot's live status (Redis hash) is merged into its row when present; a heartbeat older than
``stale_after_s`` is reported as ``heartbeat_stale``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from redis import Redis

from ai_engine.api.database import Database, UnavailableError
from ai_engine.domain.clock import Clock
from ai_engine.events import (
    BadEvent,
    BotStatus,
    Command,
    ControlCommand,
    EngineEvent,
    read_status,
    send_command,
)
from ai_engine.events.stream import STREAM
from ai_engine.store import trading_queries as q
from ai_engine.store.audit import AuditEntry
from ai_engine.store.bots import Bot, list_bots


class UnknownBotError(LookupError):
    pass


@dataclass(frozen=True)
class BotView:
    row: Bot
    live: BotStatus | None
    heartbeat_age_s: float | None
    heartbeat_stale: bool


@dataclass
class BotsService:
    database: Database
    redis_url: str | None
    clock: Clock
    stale_after_s: float = 30.0
    _redis: Redis | None = field(default=None, repr=False)

    # bots ---------------------------------------------------------------------------------
    def bots(self) -> list[BotView]:
        with self.database.session() as session:
            rows = list_bots(session)
            session.expunge_all()
        return [self._view(row) for row in rows]

    def bot(self, bot_id: str) -> BotView:
        with self.database.session() as session:
            row = session.get(Bot, bot_id)
            if row is None:
                raise UnknownBotError(f"no bot {bot_id!r}")
            session.expunge(row)
        return self._view(row)

    def command(self, bot_id: str, command: Command, *, actor: str, reason: str) -> str:
        """Audit, then send; returns the command's stream id."""
        client = self._client()
        now = self.clock.now()
        with self.database.session() as session:
            if session.get(Bot, bot_id) is None:
                raise UnknownBotError(f"no bot {bot_id!r}")
            session.add(
                AuditEntry(
                    ts=now,
                    actor=actor,
                    action=f"bot.{command.value}",
                    details={"bot_id": bot_id, "reason": reason, "via": "api"},
                )
            )
        return send_command(client, bot_id, ControlCommand(command, actor, reason, now))

    # portfolio ----------------------------------------------------------------------------
    def orders(self, **filters: Any) -> list[dict[str, Any]]:
        with self.database.session() as session:
            return [_order(o, i.symbol) for o, i in q.orders(session, **filters)]

    def trades(self, **filters: Any) -> list[dict[str, Any]]:
        with self.database.session() as session:
            return [_trade(t, i.symbol) for t, i in q.trades(session, **filters)]

    def positions(self, *, bot_id: str | None, open_only: bool) -> list[dict[str, Any]]:
        with self.database.session() as session:
            rows = [_position(p, i.symbol, i.market) for p, i in q.positions(
                session, bot_id=bot_id, open_only=open_only)]  # fmt: skip
        marks = self._marks()
        for row in rows:
            mark = marks.get((row["bot_id"], row["symbol"]))
            row["mark_price"] = mark.get("mark_price") if mark else None
            row["unrealized_pnl"] = mark.get("unrealized_pnl") if mark else None
            row["stop_price"] = mark.get("stop_price") if mark else None
            row["take_profit"] = mark.get("take_profit") if mark else None
        return rows

    def account(self, *, bot_id: str | None) -> list[dict[str, Any]]:
        with self.database.session() as session:
            return [
                {
                    "bot_id": s.bot_id,
                    "ts": s.ts,
                    "equity": s.equity,
                    "cash": s.cash,
                    "unrealised": s.unrealised,
                    "drawdown": s.drawdown,
                }
                for s in q.latest_equity(session, bot_id=bot_id)
            ]

    def pnl(self, *, bot_id: str | None, since: datetime | None) -> dict[str, Any]:
        with self.database.session() as session:
            summary = q.pnl_summary(session, bot_id=bot_id, since=since)
            latest = q.latest_equity(session, bot_id=bot_id)
            curve = q.equity_curve(session, bot_id, since=since) if bot_id else []
        return {
            "bot_id": bot_id,
            "trades": summary.trades,
            "wins": summary.wins,
            "losses": summary.losses,
            "win_rate": summary.win_rate,
            "profit_factor": summary.profit_factor,
            "realised_net": summary.realised_net,
            "fees": summary.fees,
            "unrealised": sum((s.unrealised for s in latest), start=Decimal(0)),
            "equity": sum((s.equity for s in latest), start=Decimal(0)) if latest else None,
            "daily": [{"date": d.isoformat(), "pnl": v} for d, v in summary.daily],
            "equity_curve": [
                {"ts": s.ts, "equity": s.equity, "drawdown": s.drawdown} for s in curve
            ],
        }

    def close(self) -> None:
        self.database.close()
        if self._redis is not None:
            self._redis.close()
            self._redis = None

    # helpers ------------------------------------------------------------------------------
    def _client(self) -> Redis:
        if self.redis_url is None:
            raise UnavailableError("no Redis configured (TRADINGBOT_REDIS_URL or services up)")
        if self._redis is None:
            self._redis = Redis.from_url(self.redis_url, socket_timeout=5)
        return self._redis

    def _view(self, row: Bot) -> BotView:
        live: BotStatus | None = None
        if self.redis_url is not None:
            try:
                live = read_status(self._client(), row.id)
            except (BadEvent, OSError):
                live = None
            except Exception as exc:  # redis-py's ConnectionError is not an OSError
                raise UnavailableError(f"Redis is unreachable: {type(exc).__name__}") from exc
        beat = live.heartbeat_ts if live and live.heartbeat_ts else None
        if beat is None and row.heartbeat_at is not None:
            beat = row.heartbeat_at.timestamp()
        age = None if beat is None else max(0.0, self.clock.now().timestamp() - beat)
        stale = row.state == "running" and (age is None or age > self.stale_after_s)
        return BotView(row, live, age, stale)

    def _marks(self, scan: int = 2_000) -> dict[tuple[str, str], dict[str, Any]]:
        """The newest ``position`` event of each (bot, symbol) among the last ``scan`` events."""
        if self.redis_url is None:
            return {}
        out: dict[tuple[str, str], dict[str, Any]] = {}
        try:
            entries = self._client().xrevrange(STREAM, count=scan) or []
        except Exception:  # marks are a courtesy: the record is PostgreSQL
            return {}
        for _id, fields in entries:
            if not fields:
                continue
            try:
                event = EngineEvent.from_fields(fields)
            except BadEvent:
                continue
            if event.type == "position":
                out.setdefault((event.bot_id, event.symbol), dict(event.data))
        return out


def _order(o: Any, symbol: str) -> dict[str, Any]:
    return {
        "client_order_id": o.client_order_id, "venue_order_id": o.venue_order_id,
        "bot_id": o.bot_id, "run_id": o.run_id, "symbol": symbol, "side": o.side,
        "order_type": o.order_type, "time_in_force": o.time_in_force, "status": o.status,
        "quantity": o.quantity, "price": o.price, "stop_price": o.stop_price,
        "filled_qty": o.filled_qty, "avg_price": o.avg_price, "reduce_only": o.reduce_only,
        "created_at": o.created_at, "updated_at": o.updated_at,
    }  # fmt: skip


def _trade(t: Any, symbol: str) -> dict[str, Any]:
    return {
        "id": t.id, "bot_id": t.bot_id, "run_id": t.run_id, "symbol": symbol, "side": t.side,
        "qty": t.qty, "entry_time": t.entry_time, "entry_price": t.entry_price,
        "exit_time": t.exit_time, "exit_price": t.exit_price, "fees": t.fees,
        "pnl_net": t.pnl_net, "exit_reason": t.exit_reason,
    }  # fmt: skip


def _position(p: Any, symbol: str, market: str) -> dict[str, Any]:
    return {
        "bot_id": p.bot_id, "symbol": symbol, "market": market, "side": p.side, "qty": p.qty,
        "avg_entry": p.avg_entry, "realised_pnl": p.realised_pnl, "fees": p.fees,
        "funding": p.funding, "updated_at": p.updated_at,
    }  # fmt: skip
