"""Backtests: POST /api/v1/backtests, GET /api/v1/backtests/{id}[/report|/trades].

Thin: parse, call ``BacktestService``, serialise. A job runs on a Celery ``research`` worker;
poll ``GET /api/v1/backtests/{id}`` until ``status`` is ``done`` (or ``failed``, with
``error``). Status codes: 202 accepted; 422 an invalid spec, in FastAPI's validation-error
shape with ``loc`` naming the field (``["body", "params", "fast"]``), whether the body is
malformed or the spec is refused on its meaning (unknown strategy, inconsistent parameters,
``end`` before ``start``, a symbol without data); 404 unknown id; 409 report or trades asked
before the job is done; 503 no database or broker.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from ai_engine.api.backtests_schemas import (
    BacktestAccepted,
    BacktestIn,
    BacktestOut,
    BacktestTradeOut,
    BacktestTradesOut,
)
from ai_engine.api.backtests_service import BacktestService, UnavailableError
from ai_engine.api.signals_schemas import ErrorOut
from ai_engine.backtest.jobs import SpecFieldError
from ai_engine.marketdata.intervals import to_ms
from ai_engine.store.backtests import Backtest

router = APIRouter(prefix="/api/v1/backtests", tags=["backtests"])

_ID = Annotated[uuid.UUID, Path(description="The id POST returned.")]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such id."}
}
_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorOut, "description": "No database or broker."}
}
_NOT_DONE: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut, "description": "The job is not done yet (or failed)."}
}


def _service(request: Request) -> BacktestService:
    service: BacktestService = request.app.state.backtests
    return service


def _links(job_id: str) -> dict[str, str]:
    base = f"/api/v1/backtests/{job_id}"
    return {"self": base, "report": f"{base}/report", "trades": f"{base}/trades"}


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BacktestAccepted,
    responses={**_UNAVAILABLE, 422: {"model": ErrorOut, "description": "Invalid spec."}},
)
async def submit(request: Request, body: BacktestIn, response: Response) -> BacktestAccepted:
    """Queue a backtest; 202 with its id. The spec is checked completely first."""
    service = _service(request)
    try:
        job_id = await run_in_threadpool(
            service.submit,
            strategy=body.strategy,
            params=body.params,
            symbols=body.symbol_list(),
            interval=body.interval,
            start_ms=to_ms(body.start),
            end_ms=to_ms(body.end),
            market=body.market.value,
            config=body.config,
        )
    except SpecFieldError as exc:
        loc = ["body", *_wire_field(exc.field, body).split(".")]
        raise HTTPException(
            status_code=422, detail=[{"loc": loc, "msg": exc.message, "type": "value_error"}]
        ) from exc
    except UnavailableError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc
    text = str(job_id)
    response.headers["Location"] = _links(text)["self"]
    return BacktestAccepted(id=text, status="queued", links=_links(text))


@router.get("/{job_id}", response_model=BacktestOut, responses={**_NOT_FOUND, **_UNAVAILABLE})
async def status_of(request: Request, job_id: _ID) -> BacktestOut:
    """Status, progress and (when done) metrics of a backtest."""
    row = await _row(request, job_id)
    return BacktestOut(
        id=str(row.id),
        status=row.status,
        progress=row.progress,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        spec=row.spec,
        metrics=row.metrics,
        summary=row.summary,
        error=row.error,
        links=_links(str(row.id)),
    )


@router.get(
    "/{job_id}/report",
    response_class=HTMLResponse,
    responses={**_NOT_FOUND, **_NOT_DONE, **_UNAVAILABLE, 200: {"content": {"text/html": {}}}},
)
async def report(request: Request, job_id: _ID) -> HTMLResponse:
    """The self-contained HTML report of a finished backtest."""
    row = await _row(request, job_id, with_report=True)
    _require_done(row)
    return HTMLResponse(row.report_html or "")


@router.get(
    "/{job_id}/trades",
    response_model=BacktestTradesOut,
    responses={**_NOT_FOUND, **_NOT_DONE, **_UNAVAILABLE},
)
async def trades(
    request: Request,
    job_id: _ID,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> BacktestTradesOut:
    """The closed trades of a finished backtest, in the order they closed (paged)."""
    row = await _row(request, job_id)
    _require_done(row)
    try:
        total, rows = await run_in_threadpool(_service(request).trades, job_id, offset, limit)
    except UnavailableError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc
    return BacktestTradesOut(
        id=str(job_id),
        total=total,
        offset=offset,
        trades=[
            BacktestTradeOut(
                seq=t.seq,
                symbol=t.symbol,
                side=t.side,
                entry_time=t.entry_time,
                exit_time=t.exit_time,
                entry_price=float(t.entry_price),
                exit_price=float(t.exit_price),
                quantity=float(t.quantity),
                entry_fee=float(t.entry_fee),
                exit_fee=float(t.exit_fee),
                funding=float(t.funding),
                pnl=float(t.pnl),
                entry_reason=t.entry_reason,
                exit_reason=t.exit_reason,
            )
            for t in rows
        ],
    )


async def _row(request: Request, job_id: uuid.UUID, *, with_report: bool = False) -> Backtest:
    try:
        row = await run_in_threadpool(_service(request).get, job_id, with_report=with_report)
    except UnavailableError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc
    if row is None:
        raise HTTPException(status_code=404, detail=f"no backtest {job_id}")
    return row


def _require_done(row: Backtest) -> None:
    if row.status != "done":
        detail = f"backtest {row.id} is {row.status}"
        raise HTTPException(
            status_code=409, detail=f"{detail}: {row.error}" if row.error else detail
        )


def _wire_field(field: str, body: BacktestIn) -> str:
    # The spec names "symbols"; a body that gave one "symbol" gets that name back.
    if field == "symbols" and body.symbol is not None:
        return "symbol"
    return field
