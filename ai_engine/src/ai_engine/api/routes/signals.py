"""Signals and strategies: GET /api/v1/signals/{symbol}, POST /api/v1/signals/batch,
GET /api/v1/strategies. Thin: parse, call ``SignalService``, serialise.

``at`` (GET, optional): the signal as of that moment (the bar closed by then; never later than
the server's now), so a replay's dashboard gets what was knowable at its replay clock.

Status codes: unknown symbol (no such series, or no bar closed by ``at``) 404; unknown
strategy, bad interval, bad parameters or an ``at`` without a zone 422; each with a message
saying what is known or allowed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from ai_engine.api.routes.sentiment import attach_ensemble
from ai_engine.api.signals_schemas import (
    INTERVAL_PATTERN,
    SYMBOL_PATTERN,
    ComponentOut,
    ErrorOut,
    ModelInfoOut,
    SignalBatchIn,
    SignalBatchOut,
    SignalOut,
    StrategiesOut,
    StrategyOut,
    SymbolError,
)
from ai_engine.api.signals_service import SignalResult, SignalService
from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import DomainValueError
from ai_engine.marketdata.store import UnknownSeries
from ai_engine.strategies import StrategyParamError, UnknownStrategy, parse_assignments

router = APIRouter(prefix="/api/v1", tags=["signals"])

_REFUSED: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "No such series in the store."},
    422: {"model": ErrorOut, "description": "Unknown strategy, bad interval or parameters."},
}


def _service(request: Request) -> SignalService:
    service: SignalService = request.app.state.signals
    return service


def _out(result: SignalResult) -> SignalOut:
    r = result.reading
    return SignalOut(
        symbol=result.symbol,
        interval=result.interval,
        market=result.market.value,
        strategy=result.strategy,
        params=result.params,
        as_of=result.as_of,
        bar_open_time=r.open_time_ms,
        action=r.action.value,
        confidence=r.confidence,
        score=r.score,
        components=[
            ComponentOut(name=c.name, value=c.value, weight=c.weight, vote=c.vote)
            for c in r.components
        ],
        reasons=list(r.reasons),
        price=r.price,
        stop=r.stop,
        take_profit=r.take_profit,
        model=None if result.model is None else ModelInfoOut(**result.model),
    )


def _refused(exc: Exception) -> HTTPException:
    """The HTTP error for a refusal of the service (see the module docstring)."""
    if isinstance(exc, UnknownSeries):
        return HTTPException(status_code=404, detail=str(exc))
    return HTTPException(status_code=422, detail=str(exc))


_REFUSALS = (UnknownSeries, UnknownStrategy, StrategyParamError, DomainValueError)


def _moment(at: datetime | None) -> datetime | None:
    """``at`` in UTC; 422 when it has no zone or is out of range."""
    if at is None:
        return None
    if at.tzinfo is None:
        raise HTTPException(status_code=422, detail="at must carry a zone (UTC), e.g. ...Z")
    try:
        return at.astimezone(UTC)
    except (OverflowError, ValueError):
        raise HTTPException(status_code=422, detail="at is out of range") from None


@router.get("/signals/{symbol}", response_model=SignalOut, responses=_REFUSED)
async def signal(
    request: Request,
    symbol: Annotated[str, Path(pattern=SYMBOL_PATTERN, examples=["BTCUSDT"])],
    interval: Annotated[str, Query(pattern=INTERVAL_PATTERN, examples=["1m", "5m"])] = "1m",
    strategy: Annotated[str, Query(max_length=64, examples=["composite_score"])] = (
        "composite_score"
    ),
    params: Annotated[
        str, Query(max_length=2000, description="Strategy parameters: name=value,name=value.")
    ] = "",
    market: MarketType = MarketType.SPOT,
    at: Annotated[
        datetime | None,
        Query(
            description=(
                "Point in time (UTC, at most now; default now): the signal of the last bar "
                "closed by then, with the sentiment knowable at that bar's close (a replay "
                "asks at its replay clock)."
            )
        ),
    ] = None,
) -> SignalOut:
    """The latest signal of one symbol: decided at the close of the last closed bar."""
    service = _service(request)
    moment = _moment(at)
    try:
        overrides = parse_assignments(params)
        result = await run_in_threadpool(
            partial(service.signal, at=moment), symbol, interval, strategy, overrides, market
        )
    except _REFUSALS as exc:
        raise _refused(exc) from exc
    return await attach_ensemble(request, _out(result), summarise=True)


@router.post("/signals/batch", response_model=SignalBatchOut, responses={422: _REFUSED[422]})
async def signal_batch(request: Request, body: SignalBatchIn) -> SignalBatchOut:
    """Latest signals of many symbols with one strategy. A symbol the store does not hold is
    listed under ``errors``; a bad strategy, interval or parameter refuses the whole batch."""
    service = _service(request)
    try:
        service.resolve(body.strategy, body.params)
    except _REFUSALS as exc:
        raise _refused(exc) from exc
    signals: list[SignalOut] = []
    errors: list[SymbolError] = []
    for symbol in body.symbols:
        try:
            result = await run_in_threadpool(
                service.signal, symbol, body.interval, body.strategy, body.params, body.market
            )
        except _REFUSALS as exc:
            refused = _refused(exc)
            errors.append(
                SymbolError(symbol=symbol, status=refused.status_code, detail=str(refused.detail))
            )
            continue
        signals.append(await attach_ensemble(request, _out(result), summarise=False))
    return SignalBatchOut(signals=signals, errors=errors)


@router.get("/strategies", response_model=StrategiesOut)
async def strategies(request: Request) -> StrategiesOut:
    """Every strategy with its plan and parameter schema (defaults, inclusive ranges)."""
    return StrategiesOut(
        strategies=[StrategyOut.model_validate(item) for item in _service(request).strategies()]
    )
