"""USD-M replay parity: ``ema_cross`` with shorts on three days of real BTCUSDT perpetual 1m
(2025-05-26 .. 28, 4,320 bars) with its funding, at leverage 3, through the full path --
trader, PostgreSQL, Celery over Redis, the execution worker's USD-M client (python-binance),
the sim's ``/fapi`` futures engine -- gives the backtest's trades with market ``usdm`` and
latency zero: the same bars and sides, equal prices (one fill rule: the next bar's open), fees
each the same rate of its own notional and quantities within the lot step (``drift.compare``).

Funding has a tolerance: the sim charges an event at the mark when it falls due (the close of
the bar before its hour), the backtest at the open of the bar of its hour -- so every event may
differ by ``|rate| x qty x |open - previous close|``, a few cents here -- and the sim charges
an event stamped at the very end of the data (2025-05-29 00:00:00.000, the last bar's close,
before the position is closed there) that the backtest drops as after its last bar: one
trade's funding may differ by up to one event, ``|rate| x notional``.
"""

from __future__ import annotations

import gzip
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import servers
from sqlalchemy.orm import Session

from ai_engine.backtest.service import BacktestRequest, run_backtest
from ai_engine.store import db as store_db
from ai_engine.trader.bot_config import parse_bot_config
from ai_engine.trader.drift import compare, trades_of_run
from ai_engine.trader.replay import (
    KEY,
    SECRET,
    ReplayError,
    ReplayRequest,
    check_request,
    run_replay,
)

from .conftest import USDM_KLINES
from .conftest import pytestmark as _celery_marks

pytestmark = _celery_marks

PERP = Path(__file__).resolve().parents[2] / "sample_data/binance/futures_um"
KLINES = USDM_KLINES
FUNDING = PERP / "funding_rate/BTCUSDT-fundingRate-2025-05-26_2025-05-29.csv.gz"
CASH, FEE, LEVERAGE = 100_000, "0.0005", 3
SHORTS = {"shorts": True}


def _largest_rate() -> float:
    with gzip.open(FUNDING, "rt") as rows:
        lines = rows.read().split()[1:]
    return max(abs(float(line.split(",")[1])) for line in lines)


def test_a_usdm_replay_gives_the_backtests_longs_and_shorts(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    data = (KLINES, FUNDING)
    replay = run_replay(
        ReplayRequest(strategy="ema_cross", data=data, params=SHORTS, cash=Decimal(CASH),
                      fee=Decimal(FEE), market="usdm", leverage=LEVERAGE),
        database_url=database_url, redis_url=redis_url,
    )  # fmt: skip
    backtest = run_backtest(
        BacktestRequest(
            strategy="ema_cross", data=data, params=SHORTS, market="usdm",
            config={"latency_ms": 0, "leverage": LEVERAGE, "cash": CASH,
                    "fee_maker": float(FEE), "fee_taker": float(FEE)},
        ),
        data_dir=tmp_path,
    )  # fmt: skip
    ours: list[dict[str, Any]] = replay.document["trades"]
    theirs: list[dict[str, Any]] = backtest.document["trades"]
    assert len(theirs) >= 100
    assert {t["side"] for t in theirs} == {"long", "short"}
    report = compare(ours, theirs, replay.run_id)
    assert report.identical, report.describe()
    for mine, ref in zip(ours, theirs, strict=True):  # the fill rule: equal, not close
        assert (mine["entry_price"], mine["exit_price"]) == (ref["entry_price"], ref["exit_price"])
        assert mine["side"] == ref["side"]
    # Funding (module docstring): each trade's within one event, all but one within cents.
    one_event = _largest_rate() * LEVERAGE * CASH
    gaps = [abs(m["funding"] - r["funding"]) for m, r in zip(ours, theirs, strict=True)]
    assert sum(1 for t in theirs if t["funding"]) >= 5
    assert max(gaps) <= one_event
    assert sorted(gaps)[-2] <= 0.05
    assert replay.document["run"]["funding"] == pytest.approx(sum(m["funding"] for m in ours))
    # The record rebuilds the same trades (what `tradingbot drift --run` compares).
    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            assert compare(trades_of_run(session, replay.run_id), theirs).identical
    finally:
        engine.dispose()
    # The books are the venue's: its signed position (flat after the close at the end) and
    # its wallet, which holds every commission, realised P&L and funding payment.
    assert replay.venue_positions == {"BTCUSDT": 0}
    assert replay.holdings.base == 0
    assert replay.venue_balances == {"USDT": replay.holdings.quote}
    # Every trade's two orders filled at the venue, each client id as one venue order.
    assert len(replay.venue_orders) == 2 * len(ours)
    assert set(replay.venue_orders.values()) == {1}


END = datetime(2025, 5, 26, 6, tzinfo=UTC)  # 360 bars
# A 0.3 % stop and a take profit at 3R, both resting at the venue reduce-only; reversals close.
EXITS = {"stop": {"percent": 0.003}, "take_profits": [{"r": 3, "fraction": 1}]}


def _signed_get(base_url: str, path: str, params: dict[str, str]) -> Any:
    return servers.signed_get(base_url, path, params, key=KEY, secret=SECRET)


def test_a_supervised_usdm_bot_rests_reduce_only_exits_on_both_sides(
    database_url: str, redis_url: str
) -> None:
    bot = parse_bot_config(
        {"id": "usdm-exits", "market": "usdm", "leverage": LEVERAGE, "symbols": ["BTCUSDT"],
         "strategy": {"name": "ema_cross", "params": SHORTS},
         "risk": {"profile": "unrestricted", "overrides": {"leverage.max_leverage": LEVERAGE}},
         "account": {"cash": 10_000, "fee": FEE}, "exits": EXITS,
         "safety": {"heartbeat_s": 0.5, "dead_man_s": 5}, "events": {"book": False},
         "data": {"files": [str(KLINES), str(FUNDING)], "end": END.isoformat()}},
        source="usdm-exits.yaml",
    )  # fmt: skip
    seen: dict[str, dict[str, Any]] = {}  # the venue's open algo orders, by client id
    done = threading.Event()

    def watch(base_url: str) -> None:
        while not done.is_set():
            try:
                rows = _signed_get(base_url, "/fapi/v1/openAlgoOrders", {"symbol": "BTCUSDT"})
            except httpx.HTTPError:  # the sim has shut down: the run is over
                return
            for row in rows:
                seen.setdefault(row["clientAlgoId"], row)
            time.sleep(0.01)

    watcher: list[threading.Thread] = []

    def started(base_url: str) -> None:
        watcher.append(threading.Thread(target=watch, args=(base_url,), daemon=True))
        watcher[0].start()

    try:
        outcome = run_replay(
            ReplayRequest(strategy=bot.strategy, data=bot.data.files, params=bot.params,
                          cash=bot.cash, fee=bot.fee, risk_profile=bot.risk_profile, bot=bot,
                          end=bot.data.end),
            database_url=database_url, redis_url=redis_url, on_started=started,
        )  # fmt: skip
    finally:
        done.set()
        for thread in watcher:
            thread.join(timeout=5)
    trips = outcome.holdings.trips
    assert {t.side for t in trips} == {1, -1}
    assert outcome.run.refusals == 0  # no entry blocked: no reconciliation halt either
    # Every exit order at the venue was reduce-only; a short's stop is a BUY STOP_MARKET above
    # its entry, a long's a SELL below; the take profits rested as TAKE_PROFIT_MARKET.
    kinds = {(row["side"], row["orderType"]) for row in seen.values()}
    assert {("BUY", "STOP_MARKET"), ("SELL", "STOP_MARKET")} <= kinds
    assert {("BUY", "TAKE_PROFIT_MARKET"), ("SELL", "TAKE_PROFIT_MARKET")} & kinds
    assert all(row["reduceOnly"] or row["closePosition"] for row in seen.values())
    stops = [row for row in seen.values() if row["orderType"] == "STOP_MARKET"]
    for row in stops:  # each on its position's closing side, beyond its entry
        made = int(row["createTime"])
        trip = [t for t in trips if t.entry.fills[0].ts_ms <= made][-1]  # (a reversal's: the new)
        assert row["side"] == ("SELL" if trip.side > 0 else "BUY")
        assert (Decimal(row["triggerPrice"]) - trip.entry.avg_price) * trip.side < 0
    # The books are the venue's (position and wallet), and nothing is left resting.
    assert outcome.venue_positions == {"BTCUSDT": 0}
    assert outcome.holdings.base == 0
    assert outcome.venue_balances == {"USDT": outcome.holdings.quote}


SPOT_DAY = Path(__file__).resolve().parents[2] / (
    "sample_data/binance/spot/klines_1m/BTCUSDT-1m-2023-03-23.csv.gz"
)


@pytest.mark.parametrize(
    ("data", "market", "leverage", "words"),
    [
        ((SPOT_DAY,), "spot", 3, "leverage: 3: spot trades at 1"),
        ((SPOT_DAY,), "usdm", 3, "a usdm replay needs usdm klines"),
        ((KLINES,), "spot", 1, "a spot replay needs spot klines"),
        ((SPOT_DAY, FUNDING), "spot", 1, "funding files are for a usdm replay"),
        ((KLINES,), "coin", 1, "market: spot or usdm"),
    ],
)
def test_a_usdm_replay_is_refused_before_anything_starts(
    data: tuple[Path, ...], market: str, leverage: int, words: str
) -> None:
    request = ReplayRequest(strategy="ema_cross", data=data, market=market, leverage=leverage)
    with pytest.raises(ReplayError, match=words):
        check_request(request)
