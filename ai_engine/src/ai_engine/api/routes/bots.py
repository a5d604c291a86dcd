"""Bots: GET /api/v1/bots, GET /api/v1/bots/{id}, POST /api/v1/bots/{id}/{command}.

Commands: ``start``, ``stop``, ``pause``, ``resume``, ``emergency-stop``. Each is written to
``audit_log`` with the actor (header ``X-Actor``: the Rails app sends the dashboard user;
``api`` when absent) and then sent to the bot's trader, which applies it: 202 means "recorded
and delivered to the trader", not "done"; the bot's state (``GET /api/v1/bots/{id}``, and the
``bot`` event on ``WS /api/v1/events``) shows when it is. 404 unknown bot; 503 no database or
Redis.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, HTTPException, Path, Request, status
from starlette.concurrency import run_in_threadpool

from ai_engine.api.bots_schemas import BotOut, BotsOut, CommandAccepted, CommandIn
from ai_engine.api.bots_service import BotsService, BotView, UnknownBotError
from ai_engine.api.database import UnavailableError
from ai_engine.api.signals_schemas import ErrorOut
from ai_engine.events import Command

router = APIRouter(prefix="/api/v1/bots", tags=["bots"])

BOT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
_BOT = Annotated[str, Path(pattern=BOT_ID_PATTERN, description="The bot id (its config name).")]
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such bot."},
    503: {"model": ErrorOut, "description": "No database or Redis."},
}
COMMANDS = ("start", "stop", "pause", "resume", "emergency-stop")


def _service(request: Request) -> BotsService:
    service: BotsService = request.app.state.bots
    return service


async def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except UnknownBotError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc).strip("'\"")) from exc
    except UnavailableError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from exc


def bot_out(view: BotView) -> BotOut:
    row, live = view.row, view.live
    return BotOut(
        id=row.id, name=row.name, mode=row.mode, venue=row.venue, market=row.market,
        symbols=list(row.symbols), strategy=row.strategy, params=dict(row.params),
        risk_profile=row.risk_profile, state=row.state, state_reason=row.state_reason,
        heartbeat_at=row.heartbeat_at, heartbeat_age_s=view.heartbeat_age_s,
        heartbeat_stale=view.heartbeat_stale, updated_at=row.updated_at,
        live=None if live is None else {
            "state": live.state.value, "mode": live.mode, "reason": live.reason,
            "risk": dict(live.risk),
        },
    )  # fmt: skip


@router.get("", response_model=BotsOut, responses={503: _ERRORS[503]})
async def list_bots(request: Request) -> BotsOut:
    """Every bot with its recorded state, live status and heartbeat age."""
    views = await _call(_service(request).bots)
    return BotsOut(bots=[bot_out(v) for v in views])


@router.get("/{bot_id}", response_model=BotOut, responses=_ERRORS)
async def get_bot(request: Request, bot_id: _BOT) -> BotOut:
    """One bot: state, risk status (``live.risk``), heartbeat."""
    return bot_out(await _call(_service(request).bot, bot_id))


def _command_route(name: str) -> None:
    command = Command.parse(name)

    async def send(
        request: Request,
        bot_id: _BOT,
        body: Annotated[CommandIn | None, Body()] = None,
        x_actor: Annotated[str | None, Header(max_length=64, pattern=r"^[^\x00-\x1f]+$")] = None,
    ) -> CommandAccepted:
        actor = x_actor or "api"
        reason = body.reason if body else ""
        command_id = await _call(
            _service(request).command, bot_id, command, actor=actor, reason=reason
        )
        return CommandAccepted(
            bot_id=bot_id, command=command.value, command_id=command_id, actor=actor
        )

    send.__name__ = f"bot_{command.value}"
    send.__doc__ = f"Record and send `{name}` to the bot's trader (202: delivered, not done)."
    router.post(
        f"/{{bot_id}}/{name}",
        response_model=CommandAccepted,
        status_code=status.HTTP_202_ACCEPTED,
        responses=_ERRORS,
    )(send)


for _name in COMMANDS:
    _command_route(_name)
