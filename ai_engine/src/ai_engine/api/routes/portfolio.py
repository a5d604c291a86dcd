"""The trading record: GET /api/v1/positions, /orders, /trades, /account, /pnl.

Read-only, newest first, bounded by ``limit`` (at most 1 000). Filters (``bot_id``,
``symbol``, ``status``, ``since``) are optional. Positions carry the mark price, unrealised
P&L, stop and take-profit from the trader's latest ``position`` event when one is in the event
stream (null otherwise). P&L is net of fees and funding. 503 without a database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from starlette.concurrency import run_in_threadpool

from ai_engine.api.bots_schemas import AccountOut, OrdersOut, PnlOut, PositionsOut, TradesOut
from ai_engine.api.bots_service import BotsService
from ai_engine.api.database import UnavailableError
from ai_engine.api.routes.bots import BOT_ID_PATTERN
from ai_engine.api.signals_schemas import ErrorOut

router = APIRouter(prefix="/api/v1", tags=["portfolio"])

_503: dict[int | str, dict[str, Any]] = {503: {"model": ErrorOut, "description": "No database."}}
_BotId = Annotated[str | None, Query(max_length=64, pattern=BOT_ID_PATTERN)]
_Symbol = Annotated[str | None, Query(max_length=32, pattern=r"^[A-Z0-9]+$")]
_Limit = Annotated[int, Query(ge=1, le=1_000)]
_Offset = Annotated[int, Query(ge=0, le=1_000_000)]


async def _call(request: Request, method: str, **kwargs: Any) -> Any:
    service: BotsService = request.app.state.bots
    try:
        return await run_in_threadpool(getattr(service, method), **kwargs)
    except UnavailableError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from exc


@router.get("/positions", response_model=PositionsOut, responses=_503)
async def positions(
    request: Request, bot_id: _BotId = None, include_flat: bool = False
) -> dict[str, Any]:
    """Open positions (``include_flat``: also the flat ones)."""
    rows = await _call(request, "positions", bot_id=bot_id, open_only=not include_flat)
    return {"positions": rows}


@router.get("/orders", response_model=OrdersOut, responses=_503)
async def orders(
    request: Request,
    bot_id: _BotId = None,
    symbol: _Symbol = None,
    status_: Annotated[str | None, Query(alias="status", pattern=r"^[a-z_]{1,32}$")] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    limit: _Limit = 100,
    offset: _Offset = 0,
) -> dict[str, Any]:
    """Orders, newest first (``open=true``: only those not yet final)."""
    rows = await _call(
        request, "orders", bot_id=bot_id, symbol=symbol, status=status_,
        open_only=open_only, limit=limit, offset=offset,
    )  # fmt: skip
    return {"orders": rows}


@router.get("/trades", response_model=TradesOut, responses=_503)
async def trades(
    request: Request,
    bot_id: _BotId = None,
    symbol: _Symbol = None,
    since: datetime | None = None,
    limit: _Limit = 100,
    offset: _Offset = 0,
) -> dict[str, Any]:
    """Closed round trips, newest exit first, net of fees."""
    rows = await _call(
        request, "trades", bot_id=bot_id, symbol=symbol, since=since, limit=limit, offset=offset
    )
    return {"trades": rows}


@router.get("/account", response_model=AccountOut, responses=_503)
async def account(request: Request, bot_id: _BotId = None) -> dict[str, Any]:
    """The newest equity snapshot of every bot (equity, cash, unrealised, drawdown)."""
    return {"accounts": await _call(request, "account", bot_id=bot_id)}


@router.get("/pnl", response_model=PnlOut, responses=_503)
async def pnl(request: Request, bot_id: _BotId = None, since: datetime | None = None) -> Any:
    """Realised P&L net of fees, win rate, profit factor, daily P&L; the equity curve of a bot."""
    return await _call(request, "pnl", bot_id=bot_id, since=since)
