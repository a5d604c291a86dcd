"""What the Telegram commands answer with, and the control actions they take.

Read side: PostgreSQL (``bots``, ``positions``, ``trades``, ``equity_snapshots``; the record) and
the live status the trader keeps in Redis (``tradingbot:bot:<id>``); ``/signal`` asks the engine
API (``GET /api/v1/signals/{symbol}`` with the engine token). Write side: a control command to
the trader (``events.control``) and an ``audit_log`` row naming the chat (``telegram:<chat id>``),
both for every bot acted on. Every answer is plain text; an unreachable part says so in the
answer instead of failing the command.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

import httpx
from redis.asyncio import Redis as AsyncRedis
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from ai_engine.events import Command, ControlCommand, aread_status, asend_command

_ZERO = Decimal(0)
# Which bots a command acts on when no bot id is given.
_TARGETS = {
    Command.PAUSE: {"running"},
    Command.RESUME: {"paused"},
    Command.STOP: {"running", "paused"},
    Command.EMERGENCY_STOP: {"running", "paused", "halted"},
}


def _money(value: Any) -> str:
    return f"{Decimal(str(value)):,.2f}"


def _num(value: Any) -> str:
    """A decimal without its trailing zeros and never in exponent form (60000, 0.5)."""
    return f"{Decimal(str(value)).normalize():f}"


class EngineView:
    def __init__(
        self,
        *,
        engine: Engine | None,
        redis: AsyncRedis,
        api_url: str,
        api_token: str,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._engine = engine
        self._redis = redis
        self._api_url = api_url.rstrip("/")
        self._api_token = api_token
        self._http = http

    async def _rows(self, sql: str, **params: Any) -> list[Any]:
        if self._engine is None:
            raise SQLAlchemyError("no database configured")
        engine = self._engine

        def run() -> list[Any]:
            with engine.connect() as conn:
                return list(conn.execute(text(sql), params))

        return await asyncio.to_thread(run)

    async def bots(self) -> list[tuple[str, str, str, str]]:
        """(id, mode, state, reason) of every known bot; Redis' live state wins over the row."""
        rows: dict[str, tuple[str, str, str]] = {}
        try:
            for r in await self._rows("SELECT id, mode, state, state_reason FROM bots ORDER BY id"):
                rows[r.id] = (r.mode, r.state, r.state_reason)
        except SQLAlchemyError:
            pass
        async for key in self._redis.scan_iter(match="tradingbot:bot:*"):
            bot_id = (key.decode() if isinstance(key, bytes) else str(key)).split(":", 2)[2]
            rows.setdefault(bot_id, ("", "stopped", ""))
        out = []
        for bot_id, (mode, state, reason) in sorted(rows.items()):
            status = await aread_status(self._redis, bot_id)
            if status is not None:
                mode, state, reason = status.mode or mode, status.state.value, status.reason
            out.append((bot_id, mode, state, reason))
        return out

    async def status(self) -> str:
        bots = await self.bots()
        if not bots:
            return "No bots known yet."
        lines = [
            f"{bot_id}: {state} ({mode or '?'}){' - ' + reason if reason else ''}"
            for bot_id, mode, state, reason in bots
        ]
        return "Bots\n" + "\n".join(lines)

    async def positions(self) -> str:
        rows = await self._rows(
            "SELECT p.bot_id, i.symbol, p.side, p.qty, p.avg_entry, p.realised_pnl "
            "FROM positions p JOIN instruments i ON i.id = p.instrument_id "
            "WHERE p.side <> 'flat' ORDER BY p.bot_id, i.symbol"
        )
        if not rows:
            return "No open positions."
        return "Open positions\n" + "\n".join(
            f"{r.bot_id} {r.symbol}: {r.side} {_num(r.qty)} @ {_num(r.avg_entry)} "
            f"(realised {_money(r.realised_pnl)})"
            for r in rows
        )

    async def pnl(self) -> str:
        rows = await self._rows(
            "SELECT b.bot_id, b.realised, e.equity, e.unrealised, e.drawdown FROM "
            "(SELECT bot_id, sum(realised_pnl - fees) AS realised FROM positions GROUP BY bot_id) b"
            " LEFT JOIN LATERAL (SELECT equity, unrealised, drawdown FROM equity_snapshots s "
            "WHERE s.bot_id = b.bot_id ORDER BY ts DESC LIMIT 1) e ON true ORDER BY b.bot_id"
        )
        if not rows:
            return "No P&L yet: no bot has traded."
        lines = []
        for r in rows:
            line = f"{r.bot_id}: realised {_money(r.realised)}"
            if r.equity is not None:
                line += (
                    f", unrealised {_money(r.unrealised)}, equity {_money(r.equity)}, "
                    f"drawdown {Decimal(r.drawdown):.2%}"
                )
            lines.append(line)
        return "P&L\n" + "\n".join(lines)

    async def daily(self, now: datetime) -> str:
        start = datetime.combine(now.date(), time(0), UTC)
        rows = await self._rows(
            "SELECT bot_id, count(*) AS n, count(*) FILTER (WHERE pnl_net > 0) AS won, "
            "sum(pnl_net) AS pnl, sum(fees) AS fees FROM trades WHERE exit_time >= :start "
            "GROUP BY bot_id ORDER BY bot_id",
            start=start.replace(tzinfo=None),
        )
        head = f"Today {now.date().isoformat()} (UTC)"
        if not rows:
            return f"{head}\nNo trades closed today."
        return f"{head}\n" + "\n".join(
            f"{r.bot_id}: {r.n} trades, {r.won} won, net P&L {_money(r.pnl)} "
            f"(fees {_money(r.fees)})"
            for r in rows
        )

    async def trades(self, limit: int = 10) -> str:
        rows = await self._rows(
            "SELECT t.bot_id, i.symbol, t.side, t.qty, t.entry_price, t.exit_price, t.pnl_net, "
            "t.exit_time, t.exit_reason FROM trades t JOIN instruments i ON i.id = t.instrument_id"
            " ORDER BY t.exit_time DESC, t.id DESC LIMIT :limit",
            limit=limit,
        )
        if not rows:
            return "No closed trades yet."
        return f"Last {len(rows)} trades\n" + "\n".join(
            f"{r.exit_time:%m-%d %H:%M} {r.bot_id} {r.symbol} {r.side} {_num(r.qty)}: "
            f"{_num(r.entry_price)} -> {_num(r.exit_price)}, "
            f"P&L {_money(r.pnl_net)} ({r.exit_reason})"
            for r in rows
        )

    async def signal(self, symbol: str) -> str:
        url = f"{self._api_url}/api/v1/signals/{symbol.upper()}"
        headers = {"Authorization": f"Bearer {self._api_token}"}
        client = self._http or httpx.AsyncClient(timeout=10)
        try:
            reply = await client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            return f"The engine API did not answer: {type(exc).__name__}"
        finally:
            if self._http is None:
                await client.aclose()
        if reply.status_code != 200:
            return f"No signal for {symbol.upper()}: HTTP {reply.status_code}"
        body = reply.json()
        score = body.get("score")
        reasons = "\n".join(f"- {r}" for r in body.get("reasons", [])[:5])
        return (
            f"{body.get('symbol')} {body.get('interval')} {body.get('strategy')}: "
            f"{body.get('action')}"
            f"{f' (score {score:.0f})' if score is not None else ''} at {body.get('price')}\n"
            f"{reasons}"
        ).strip()

    async def control(
        self, command: Command, bot_ids: Sequence[str], *, actor: str, reason: str
    ) -> str:
        """Send ``command`` to the given bots (all it applies to when none), audit each one."""
        targets = list(bot_ids)
        known = await self.bots()
        unknown = sorted(set(targets) - {b for b, _, _, _ in known})
        if unknown:  # a typo must not look like a bot that was stopped
            names = ", ".join(b for b, _, _, _ in known) or "none"
            return f"Unknown bot {', '.join(unknown)}; known: {names}. Nothing sent."
        if not targets:
            targets = [b for b, _, state, _ in known if state in _TARGETS[command]]
        if not targets:
            return f"No bot to {command.value.replace('_', ' ')}."
        now = datetime.now(UTC)
        for bot_id in targets:
            entry = await asend_command(
                self._redis, bot_id, ControlCommand(command, actor, reason, now)
            )
            await self._audit(actor, f"bot.{command.value}", bot_id, reason, entry)
        return f"{command.value.replace('_', ' ')} sent to {', '.join(targets)}"

    async def _audit(self, actor: str, action: str, bot_id: str, reason: str, entry: str) -> None:
        if self._engine is None:
            return
        engine = self._engine

        def write() -> None:
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO audit_log (actor, action, details) VALUES "
                        "(:actor, :action, CAST(:details AS jsonb))"
                    ),
                    {
                        "actor": actor,
                        "action": action,
                        "details": json.dumps(
                            {"bot_id": bot_id, "reason": reason, "control_entry": entry}
                        ),
                    },
                )

        await asyncio.to_thread(write)
