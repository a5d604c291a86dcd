"""GET /health: unauthenticated liveness and dependency status."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ai_engine.api.health import check_health
from ai_engine.api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "A dependency is down."}},
)
async def health(request: Request) -> JSONResponse:
    """Database, Redis and market-data store status; 503 when any of them is down."""
    state = request.app.state
    report = await run_in_threadpool(
        check_health, state.database_url, state.redis_url, state.settings.store_dir
    )
    return JSONResponse(report.to_dict(), status_code=200 if report.ok else 503)
