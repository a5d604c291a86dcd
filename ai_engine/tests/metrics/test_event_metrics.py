"""The metrics module: every name defined once, the event-derived values, the hooks, the queue
depth collector on a real Redis, and the API's /metrics page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from ai_engine.api.app import create_app
from ai_engine.events import EngineEvent, publish
from ai_engine.metrics import definitions
from ai_engine.metrics.definitions import EngineMetrics, ProcessMetrics, new_registry
from ai_engine.metrics.queues import QueueDepthCollector
from ai_engine.metrics.stream import EventMetrics
from ai_engine.settings import Settings

T = datetime(2026, 11, 21, 12, tzinfo=UTC)


def value(registry, name: str, **labels: str) -> float | None:
    got = registry.get_sample_value(name, labels)
    return None if got is None else float(got)


def event(kind: str, data: dict, symbol: str = "BTCUSDT") -> EngineEvent:
    return EngineEvent(kind, data, T, "bot-a", symbol)


def test_every_metric_is_named_tradingbot_and_labelled_from_the_known_set() -> None:
    registry = new_registry()
    EngineMetrics.create(registry)
    ProcessMetrics.create(registry)  # the hook metrics, in a registry of their own here
    allowed = {"bot", "symbol", "venue", "market", "side", "status", "queue", "check",
               "component", "model", "kind", "code", "state", "result", "type",
               "stream"}  # fmt: skip
    names = [m.name for m in registry.collect()]
    assert len(names) == len(set(names)) >= 25
    for collector in registry._collector_to_names:
        assert set(getattr(collector, "_labelnames", ())) <= allowed
    assert all(n.startswith("tradingbot_") for n in names)


def test_latencies_slippage_and_gauges_from_the_stream() -> None:
    registry = new_registry()
    metrics = EventMetrics(registry)
    entries = [
        ("1000000-0", event("bar", {"close": "100", "open_time": 0})),
        ("1000040-0", event("order", {"client_order_id": "c1", "side": "buy",
                                       "status": "submitted"})),
        ("1000250-0", event("order", {"client_order_id": "c1", "side": "buy",
                                       "status": "filled"})),
        ("1000251-0", event("fill", {"client_order_id": "c1", "side": "buy", "price": "100.5",
                                      "quantity": "2", "fee": "0", "fee_asset": "USDT"})),
        ("1000300-0", event("equity", {"equity": "9990", "realized_pnl": "0",
                                        "unrealized_pnl": "-10", "drawdown_pct": "0.1"}, "")),
        ("1000400-0", event("bot", {"state": "halted", "mode": "paper", "reason": "x"}, "")),
        ("1000500-0", event("health", {"component": "ws", "status": "degraded", "detail": "",
                                        "stale_s": 42}, "")),
        ("1000600-0", event("fill", {"client_order_id": "c2", "side": "sell", "price": "101",
                                      "quantity": "2", "fee": "0", "fee_asset": "USDT"})),
    ]  # fmt: skip
    metrics.apply_all(entries)
    bs = {"bot": "bot-a", "symbol": "BTCUSDT"}
    assert value(registry, "tradingbot_tick_to_order_seconds_count", **bs) == 1
    assert value(registry, "tradingbot_tick_to_order_seconds_sum", **bs) == pytest.approx(0.040)
    assert value(registry, "tradingbot_order_round_trip_seconds_sum", **bs) == pytest.approx(0.21)
    # an order reported once, already filled, has no round trip to measure
    metrics.apply("1000700-0", event("order", {"client_order_id": "c9", "status": "filled"}))
    assert value(registry, "tradingbot_order_round_trip_seconds_count", **bs) == 1
    # bought 0.5 above the decision close of 100: 50 bps worse (a histogram with negative
    # buckets has no _sum in Prometheus: read the buckets)
    buy = {**bs, "side": "buy"}
    assert value(registry, "tradingbot_slippage_bps_bucket", **buy, le="20.0") == 0
    assert value(registry, "tradingbot_slippage_bps_bucket", **buy, le="50.0") == 1
    assert value(registry, "tradingbot_orders_total", **bs, side="buy", status="filled") == 1
    assert value(registry, "tradingbot_equity", bot="bot-a") == 9990
    assert value(registry, "tradingbot_drawdown_ratio", bot="bot-a") == pytest.approx(0.001)
    assert value(registry, "tradingbot_bot_state", bot="bot-a", state="halted") == 1
    assert value(registry, "tradingbot_bot_state", bot="bot-a", state="running") == 0
    assert value(registry, "tradingbot_risk_halted", bot="bot-a") == 1
    assert value(registry, "tradingbot_ws_staleness_seconds", bot="bot-a", component="ws") == 42
    assert value(registry, "tradingbot_component_health", bot="bot-a", component="ws") == 0.5
    assert value(registry, "tradingbot_trades_total", bot="bot-a", result="won") == 1
    assert value(registry, "tradingbot_win_rate", bot="bot-a") == 1


def test_an_order_reported_once_with_its_times_has_a_round_trip_and_a_tick_to_order() -> None:
    # the trader publishes the order once, final, after the worker answered; the event carries
    # queued_at (the trader enqueued it) and acked_at (the venue answered the worker)
    registry = new_registry()
    metrics = EventMetrics(registry)
    bar_at = 1_000_000.0  # the bar entry's Redis time, seconds
    timed = {"queued_at": bar_at + 0.012, "acked_at": bar_at + 0.047}
    metrics.apply_all([
        ("1000000000-0", event("bar", {"close": "100", "open_time": 0})),
        ("1000000060-0", event("order", {"client_order_id": "c1", "side": "buy",
                                          "status": "filled", **timed})),
        ("1000000061-0", event("order", {"client_order_id": "c1", "side": "buy",
                                          "status": "filled", **timed})),  # a repeat: once
        ("1000000070-0", event("order", {"client_order_id": "c2", "side": "sell",
                                          "status": "rejected", "queued_at": bar_at + 0.05})),
    ])  # fmt: skip
    bs = {"bot": "bot-a", "symbol": "BTCUSDT"}
    assert value(registry, "tradingbot_tick_to_order_seconds_count", **bs) == 1
    assert value(registry, "tradingbot_tick_to_order_seconds_sum", **bs) == pytest.approx(0.012)
    assert value(registry, "tradingbot_order_round_trip_seconds_count", **bs) == 1
    assert value(registry, "tradingbot_order_round_trip_seconds_sum", **bs) == pytest.approx(0.035)


def test_process_hooks_record_in_the_default_registry() -> None:
    definitions.observe_used_weight("mainnet", "spot", 1500)
    spot = {"venue": "mainnet", "market": "spot"}
    assert value(REGISTRY, "tradingbot_rate_limit_used_weight", **spot) == 1500
    assert value(REGISTRY, "tradingbot_rate_limit_headroom_ratio", **spot) == 0.75
    definitions.observe_used_weight("mainnet", "usdm", 1800)  # USD-M: 2400 a minute
    usdm = {"venue": "mainnet", "market": "usdm"}
    assert value(REGISTRY, "tradingbot_rate_limit_headroom_ratio", **usdm) == 0.25
    definitions.observe_used_weight("mainnet", "usdm", 9999)  # past the limit: no headroom
    assert value(REGISTRY, "tradingbot_rate_limit_headroom_ratio", **usdm) == 0
    before = value(REGISTRY, "tradingbot_claude_tokens_total", model="m", kind="input") or 0
    definitions.count_claude_tokens("m", 120, 30)
    assert (
        value(REGISTRY, "tradingbot_claude_tokens_total", model="m", kind="input") == before + 120
    )
    definitions.observe_inference("lgbm-1", 0.002)
    assert value(REGISTRY, "tradingbot_model_inference_seconds_count", model="lgbm-1") >= 1
    definitions.count_reconnect("binance_spot", "kline")
    assert value(REGISTRY, "tradingbot_ws_reconnects_total", venue="binance_spot", stream="kline")


def test_queue_depth_is_read_on_each_scrape(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    registry = new_registry()
    registry.register(QueueDepthCollector(client))
    assert value(registry, "tradingbot_celery_queue_depth", queue="orders") == 0
    client.lpush("orders", "a", "b", "c")
    assert value(registry, "tradingbot_celery_queue_depth", queue="orders") == 3
    assert value(registry, "tradingbot_celery_queue_up") == 1
    client.close()
    down = new_registry()
    down.register(QueueDepthCollector(redis.Redis(port=1, socket_connect_timeout=0.2)))
    assert value(down, "tradingbot_celery_queue_up") == 0


def test_api_metrics_page_needs_no_token_and_follows_the_stream(redis_url: str) -> None:
    settings = Settings(_env_file=None, api_token="secret-token")  # type: ignore[call-arg,arg-type]
    client = TestClient(create_app(settings, redis_url=redis_url))
    first = client.get("/metrics")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/plain")
    with redis.Redis.from_url(redis_url) as r:
        publish(r, EngineEvent("equity", {"equity": "1234.5"}, datetime.now(UTC), "bot-z"))
    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
    equity = [s for s in families["tradingbot_equity"].samples if s.labels["bot"] == "bot-z"]
    assert [s.value for s in equity] == [1234.5]
    assert "tradingbot_celery_queue_depth" in families
    assert "process_cpu_seconds" in families  # the API process's own collectors
    client.app.state.metrics_scraper.redis.close()  # type: ignore[attr-defined]  # the API has no shutdown hook
