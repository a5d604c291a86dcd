"""GET /api/v1/signals/{symbol}, POST /api/v1/signals/batch, GET /api/v1/strategies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from ai_engine.api.signals_service import SignalService
from ai_engine.domain.clock import ManualClock, from_epoch_ms
from ai_engine.domain.enums import MarketType
from ai_engine.marketdata import BarStore
from ai_engine.strategies import BUILTIN, MarketInput, get
from ai_engine.strategies.live import latest

from .tokens import AUTH, TOKEN

URL = "/api/v1/signals"


def at(client: TestClient, store: Path, moment: datetime) -> TestClient:
    """The same app, its clock stopped at ``moment`` (what a live engine sees then)."""
    client.app.state.signals = SignalService(BarStore(store), ManualClock(moment))  # type: ignore[attr-defined]
    return client


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", f"{URL}/BTCUSDT"), ("post", f"{URL}/batch"), ("get", "/api/v1/strategies")],
)
@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}]
)
def test_every_route_needs_the_token(
    client: TestClient, method: str, path: str, headers: dict[str, str]
) -> None:
    response = client.request(method, path, headers=headers, json={"symbols": ["BTCUSDT"]})
    assert response.status_code == 401
    assert "action" not in response.text


def test_latest_signal_shape_and_values(client: TestClient, sample_store: Path) -> None:
    response = client.get(f"{URL}/BTCUSDT", headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    bars = BarStore(sample_store).load_bars("BTCUSDT", "1m")
    assert body["symbol"] == "BTCUSDT"
    assert body["strategy"] == "composite_score"
    assert body["interval"] == "1m"
    assert body["market"] == "spot"
    assert body["bar_open_time"] == int(bars.open_time[-1])
    # as_of: the close of the last closed bar (its open + 1 minute), UTC.
    assert body["as_of"] == "2023-03-26T00:00:00Z"
    assert body["price"] == float(bars.close[-1])
    assert body["action"] in {"BUY", "SELL", "HOLD"}
    assert 0 <= body["score"] <= 100
    assert body["confidence"] == pytest.approx(abs(body["score"] - 50) / 50)
    assert [c["name"] for c in body["components"]] == [
        "rsi", "macd", "bollinger", "ema_cross", "vwap", "order_flow", "price_action",
        "liquidity", "tick_momentum",
    ]  # fmt: skip
    assert sum(c["weight"] for c in body["components"]) == pytest.approx(1.0)
    weighted = sum(c["weight"] * c["vote"] for c in body["components"])
    assert body["score"] == pytest.approx(50 + 50 * weighted)
    assert body["reasons"]
    assert all(isinstance(words, str) and " " in words for words in body["reasons"])
    assert body["params"]["min_score"] == 80.0
    assert body["params"]["min_confluence"] == 4


@pytest.mark.parametrize("name", BUILTIN.names())
def test_the_api_serves_what_the_strategy_computes(
    client: TestClient, sample_store: Path, name: str
) -> None:
    body = client.get(f"{URL}/ETHUSDT", params={"strategy": name}, headers=AUTH).json()
    bars = BarStore(sample_store).load_bars("ETHUSDT", "1m")
    expected = latest(get(name), MarketInput.from_bars(bars, 60_000))
    assert body["action"] == expected.action.value
    assert body["score"] == expected.score
    assert body["reasons"] == list(expected.reasons)
    assert [c["vote"] for c in body["components"]] == [c.vote for c in expected.components]


def test_a_buy_at_the_clock_s_last_closed_bar(client: TestClient, sample_store: Path) -> None:
    bars = BarStore(sample_store).load_bars("BTCUSDT", "1m")
    signals = get("ema_cross").run(MarketInput.from_bars(bars, 60_000))
    entry = int(np.flatnonzero(signals.entries_long)[-3])
    close = from_epoch_ms(int(bars.open_time[entry]) + 60_000)
    # 30 s into the next bar: that bar is still forming, so the entry bar is the last closed.
    live = at(client, sample_store, close + timedelta(seconds=30))
    body = live.get(f"{URL}/BTCUSDT", params={"strategy": "ema_cross"}, headers=AUTH).json()
    assert body["as_of"] == close.isoformat().replace("+00:00", "Z")
    assert body["action"] == "BUY"
    assert "fast EMA crossed above the slow EMA" in body["reasons"]
    assert body["price"] == float(bars.close[entry])


def test_a_short_entry_comes_with_a_stop_and_a_take_profit(
    client: TestClient, sample_store: Path
) -> None:
    bars = BarStore(sample_store).load_bars("AVAXUSDT", "1m", market=MarketType.USDM)
    signals = get("orderflow_breakout").run(MarketInput.from_bars(bars, 60_000))
    entry = int(np.flatnonzero(signals.entries_short)[-1])
    live = at(client, sample_store, from_epoch_ms(int(bars.open_time[entry]) + 60_000))
    body = live.get(
        f"{URL}/AVAXUSDT",
        params={"strategy": "orderflow_breakout", "market": "usdm"},
        headers=AUTH,
    ).json()
    assert body["action"] == "SELL"
    assert body["take_profit"] < body["price"] < body["stop"]
    assert body["stop"] == pytest.approx(float(signals.stop[entry]))
    assert "close broke below the recent low (support)" in body["reasons"]


def test_resampled_interval_ends_on_a_closed_bucket(client: TestClient, sample_store: Path) -> None:
    moment = datetime(2023, 3, 25, 12, 7, 30, tzinfo=UTC)  # 12:05 bucket still forming
    live = at(client, sample_store, moment)
    body = live.get(
        f"{URL}/BTCUSDT", params={"interval": "5m", "strategy": "ma_crossover"}, headers=AUTH
    ).json()
    assert body["interval"] == "5m"
    assert body["as_of"] == "2023-03-25T12:05:00Z"
    five = BarStore(sample_store).load_bars("BTCUSDT", "5m")
    assert body["price"] == float(five.close[five.open_time == body["bar_open_time"]][0])


def test_parameters_in_the_query_are_used_and_echoed(client: TestClient) -> None:
    body = client.get(
        f"{URL}/BTCUSDT",
        params={"strategy": "ema_cross", "params": "fast=5,slow=20,fee_multiple=1"},
        headers=AUTH,
    ).json()
    assert body["params"]["fast"] == 5
    assert body["params"]["slow"] == 20
    assert body["params"]["fee_multiple"] == 1.0


@pytest.mark.parametrize(
    ("path", "params", "status", "words"),
    [
        (f"{URL}/DOGEUSDT", {}, 404, "stored bars: binance spot BTCUSDT 1m"),
        (f"{URL}/AVAXUSDT", {}, 404, "no bars for binance spot AVAXUSDT 1m"),
        (f"{URL}/BTCUSDT", {"interval": "90s"}, 404, "nor bars that resample to it"),
        (f"{URL}/BTCUSDT", {"strategy": "nope"}, 422, "unknown strategy 'nope'; known:"),
        (f"{URL}/BTCUSDT", {"interval": "7x"}, 422, "interval"),
        (f"{URL}/BTCUSDT", {"interval": "1mo"}, 422, "interval"),
        (f"{URL}/btcusdt", {}, 422, "symbol"),
        (f"{URL}/BTCUSDT", {"market": "margin"}, 422, "market"),
        (f"{URL}/BTCUSDT", {"params": "fast"}, 422, "expected name=value"),
        (f"{URL}/BTCUSDT", {"strategy": "ema_cross", "params": "fast=40"}, 422, "below slow"),
        (f"{URL}/BTCUSDT", {"params": "min_score=101"}, 422, "outside the range [50, 100]"),
        (f"{URL}/BTCUSDT", {"params": "speed=1"}, 422, "unknown parameter(s) speed"),
    ],
)
def test_refusals_say_what_is_wrong(
    client: TestClient, path: str, params: dict[str, str], status: int, words: str
) -> None:
    response = client.get(path, params=params, headers=AUTH)
    assert response.status_code == status, response.text
    assert words in response.text


def test_repeated_gets_are_served_from_the_cache(client: TestClient) -> None:
    service: SignalService = client.app.state.signals  # type: ignore[attr-defined]
    first = client.get(f"{URL}/ETHUSDT", headers=AUTH).json()
    misses, hits = service.misses, service.hits
    for _ in range(5):
        assert client.get(f"{URL}/ETHUSDT", headers=AUTH).json() == first
    assert (service.misses, service.hits) == (misses, hits + 5)
    client.get(f"{URL}/ETHUSDT", params={"params": "min_score=70"}, headers=AUTH)
    assert service.misses == misses + 1


def test_batch_answers_each_symbol(client: TestClient) -> None:
    response = client.post(
        f"{URL}/batch",
        json={"symbols": ["BTCUSDT", "ETHUSDT", "DOGEUSDT", "btc/usdt"], "strategy": "ema_cross"},
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [s["symbol"] for s in body["signals"]] == ["BTCUSDT", "ETHUSDT"]
    single = client.get(f"{URL}/ETHUSDT", params={"strategy": "ema_cross"}, headers=AUTH).json()
    assert body["signals"][1] == single
    errors = {e["symbol"]: e for e in body["errors"]}
    assert errors["DOGEUSDT"]["status"] == 404
    assert errors["btc/usdt"]["status"] == 422
    assert "bad symbol" in errors["btc/usdt"]["detail"]


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"symbols": []}, "symbols"),
        ({"symbols": ["BTCUSDT"], "strategy": "nope"}, "unknown strategy"),
        ({"symbols": ["BTCUSDT"], "interval": "7x"}, "interval"),
        ({"symbols": ["BTCUSDT"], "params": {"min_score": 10}}, "outside the range"),
        ({"symbols": ["BTCUSDT"] * 101}, "symbols"),
    ],
)
def test_a_bad_batch_is_refused_whole(
    client: TestClient, payload: dict[str, object], words: str
) -> None:
    response = client.post(f"{URL}/batch", json=payload, headers=AUTH)
    assert response.status_code == 422
    assert words in response.text


def test_strategies_list_with_parameter_schemas(client: TestClient) -> None:
    response = client.get("/api/v1/strategies", headers=AUTH)
    assert response.status_code == 200
    listed = {s["name"]: s for s in response.json()["strategies"]}
    assert sorted(listed) == BUILTIN.names()
    ema = listed["ema_cross"]
    assert ema["long_only"] is True
    assert "issue 6" in ema["plan"]
    fast = next(p for p in ema["params"] if p["name"] == "fast")
    assert fast == {
        "name": "fast", "type": "int", "default": 12, "low": 2.0, "high": 1000.0,
        "description": "fast EMA period",
    }  # fmt: skip
    assert all(s["plan"] and s["params"] for s in listed.values())


def test_openapi_documents_the_signal_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {f"{URL}/{{symbol}}", f"{URL}/batch", "/api/v1/strategies"} <= set(paths)
    assert "404" in paths[f"{URL}/{{symbol}}"]["get"]["responses"]


def test_at_names_the_moment_a_replay_is_at(client: TestClient, sample_store: Path) -> None:
    """``at``: the signal of the last bar closed by then, the same as an engine whose clock
    stands there; never later than the engine's own now; a zone is required."""
    moment = datetime(2023, 3, 24, 15, 7, 30, tzinfo=UTC)
    params = {"strategy": "ema_cross", "at": moment.isoformat()}
    asked = client.get(f"{URL}/BTCUSDT", params=params, headers=AUTH).json()
    assert asked["as_of"] == "2023-03-24T15:07:00Z"
    stopped = at(client, sample_store, moment)
    same = stopped.get(f"{URL}/BTCUSDT", params={"strategy": "ema_cross"}, headers=AUTH).json()
    for key in ("as_of", "bar_open_time", "action", "score", "reasons", "price"):
        assert asked[key] == same[key], key
    later = {"strategy": "ema_cross", "at": "2023-03-25T00:00:00Z"}  # after the clock's now
    capped = stopped.get(f"{URL}/BTCUSDT", params=later, headers=AUTH).json()
    assert capped["as_of"] == "2023-03-24T15:07:00Z"
    naive = client.get(f"{URL}/BTCUSDT", params={"at": "2023-03-24T15:07:30"}, headers=AUTH)
    assert naive.status_code == 422
    assert "zone" in naive.text
