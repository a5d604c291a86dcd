"""GET /api/v1/market/candles: bars from the Parquet store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from ai_engine.api.schemas import Candle, CandlesResponse
from ai_engine.domain.enums import MarketType
from ai_engine.marketdata.store import Bars, BarStore

router = APIRouter(prefix="/api/v1/market", tags=["market"])

MAX_LIMIT = 5000


def _utc(value: datetime | None) -> datetime | None:
    # Query strings often omit the offset; the API documents naive times as UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _window(bars: Bars, limit: int, from_start: bool) -> list[Candle]:
    n = len(bars)
    lo, hi = (0, min(n, limit)) if from_start else (max(0, n - limit), n)
    rows = zip(
        bars.open_time[lo:hi].tolist(),
        bars.open[lo:hi].tolist(),
        bars.high[lo:hi].tolist(),
        bars.low[lo:hi].tolist(),
        bars.close[lo:hi].tolist(),
        bars.volume[lo:hi].tolist(),
        bars.quote_volume[lo:hi].tolist(),
        bars.trades[lo:hi].tolist(),
        bars.taker_buy_volume[lo:hi].tolist(),
        strict=True,
    )
    return [
        Candle(
            time=t,
            open=o,
            high=h,
            low=lo_,
            close=c,
            volume=v,
            quote_volume=qv,
            trades=tr,
            taker_buy_volume=tb,
        )
        for t, o, h, lo_, c, v, qv, tr, tb in rows
    ]


@router.get("/candles", response_model=CandlesResponse)
async def candles(
    request: Request,
    symbol: Annotated[str, Query(pattern=r"^[A-Z0-9]{2,20}$", examples=["BTCUSDT"])],
    interval: Annotated[str, Query(examples=["1m", "5m", "1h"])] = "1m",
    start: Annotated[
        datetime | None, Query(description="Inclusive; ISO 8601, naive means UTC.")
    ] = None,
    end: Annotated[datetime | None, Query(description="Exclusive; ISO 8601.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 500,
    market: MarketType = MarketType.SPOT,
) -> CandlesResponse:
    """Bars of one symbol. With `start`, the first `limit` bars from it; else the last `limit`
    bars before `end` (or the newest). Intervals not stored are resampled from 1m."""
    start, end = _utc(start), _utc(end)
    if start is not None and end is not None and start >= end:
        raise HTTPException(status_code=422, detail="start must be before end")
    store: BarStore = request.app.state.bar_store
    try:
        bars = await run_in_threadpool(store.load_bars, symbol, interval, start, end, market=market)
    except LookupError as exc:
        raise HTTPException(status_code=404, detail=str(exc).strip("'\"")) from exc
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    return CandlesResponse(
        symbol=symbol,
        interval=interval,
        market=market.value,
        candles=_window(bars, limit, from_start=start is not None),
    )
