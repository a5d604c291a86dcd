"""`GET /metrics` scraped while `tradingbot run --config ... --mode replay --speed max
--metrics-port 0` trades real bars (a subprocess: the trader, its Celery orders worker and the
sim exchange), checked against the events the run published: the API's tick-to-order and order
round-trip histograms (from the order events' ``queued_at``/``acked_at``), and the trader's own
``/metrics`` (its venue clients' rate-limit headroom)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis

from ai_engine.api.app import create_app
from ai_engine.events import read_events
from ai_engine.settings import Settings

KLINES = Path(__file__).resolve().parents[2] / "sample_data" / "binance" / "spot" / "klines_1m"
BOT = "metrics-replay"
CONFIG = f"""
id: {BOT}
symbols: [BTCUSDT]
strategy: {{name: ema_cross}}
safety: {{heartbeat_s: 0.5, flatten_on_stop: true}}
data:
  files: ["{KLINES}/BTCUSDT-1m-2023-03-23.csv.gz"]
  end: "2023-03-23T12:00:00Z"
"""
pytestmark = pytest.mark.timeout(240)
METRICS_LINE = re.compile(r"metrics on (http://\S+/metrics)")


def scrape(client: TestClient | str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    page = client.get("/metrics") if isinstance(client, TestClient) else httpx.get(client)
    assert page.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(page.text)
        for s in family.samples
    }


def sample(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_latency_histograms_fill_while_a_replay_runs(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text(CONFIG)
    settings = Settings(_env_file=None, api_token="t0ken-for-tests")  # type: ignore[call-arg,arg-type]
    api = TestClient(create_app(settings, database_url=database_url, redis_url=redis_url))
    env = {
        **os.environ,
        "TRADINGBOT_DATABASE_URL": database_url,
        "TRADINGBOT_REDIS_URL": redis_url,
        "TRADINGBOT_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "ai_engine.cli.main", "run", "--config", str(config),
               "--mode", "replay", "--speed", "max",
               "--metrics-port", "0", "--metrics-host", "127.0.0.1"]  # fmt: skip
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")))  # type: ignore[union-attr]
    reader.start()
    mid_run: list[float] = []
    trader_headroom: list[float] = []
    labels = {"bot": BOT, "symbol": "BTCUSDT"}
    sim_spot = {"venue": "sim", "market": "spot"}
    try:
        while process.poll() is None:
            count = sample(scrape(api), "tradingbot_tick_to_order_seconds_count", **labels)
            if count:
                mid_run.append(count)
            url = next((m[1] for m in map(METRICS_LINE.match, lines) if m), None)
            if url is not None:
                try:
                    own = scrape(url)
                except httpx.TransportError:  # the run ended between poll() and the scrape
                    own = {}
                headroom = own.get(
                    ("tradingbot_rate_limit_headroom_ratio", tuple(sorted(sim_spot.items())))
                )
                if headroom is not None:
                    trader_headroom.append(headroom)
            time.sleep(0.2)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        reader.join(timeout=30)
        process.stdout.close()  # type: ignore[union-attr]
    output = "".join(lines)
    assert process.returncode == 0, output
    assert mid_run, "no scrape during the run saw an order"  # scraped while it traded
    # the trader's own /metrics (--metrics-port 0: a free port, printed) served its venue
    # clients' X-MBX-USED-WEIGHT-1M (the replay's sim allows 10**9 a minute; the gauge uses
    # Binance's spot limit, 6000)
    assert trader_headroom, f"no scrape of the trader's own metrics: {output[-2000:]}"
    assert all(0 <= h < 1 for h in trader_headroom)

    final = scrape(api)
    with Redis.from_url(redis_url) as r:
        events = [e for _, e in read_events(r, "0-0", count=100_000) if e.bot_id == BOT]
    orders = [e for e in events if e.type == "order"]
    first_status: dict[str, str] = {}
    for e in orders:
        first_status.setdefault(e.data["client_order_id"], e.data["status"])
    terminal = {"filled", "canceled", "rejected", "expired"}
    assert first_status
    assert all(status in terminal for status in first_status.values())  # reported once, final
    # every order event carries queued_at; one the venue answered, acked_at (the worker's)
    timed: dict[str, float] = {}
    for e in orders:
        assert e.data["queued_at"] > 0
        if "acked_at" in e.data:
            assert e.data["acked_at"] >= e.data["queued_at"]
            timed.setdefault(e.data["client_order_id"], e.data["acked_at"] - e.data["queued_at"])
    assert timed.keys() == first_status.keys()  # the sim answers every market order
    ticks = sample(final, "tradingbot_tick_to_order_seconds_count", **labels)
    trips = sample(final, "tradingbot_order_round_trip_seconds_count", **labels)
    tick_sum = sample(final, "tradingbot_tick_to_order_seconds_sum", **labels)
    trip_sum = sample(final, "tradingbot_order_round_trip_seconds_sum", **labels)
    assert 0 < ticks <= len(first_status)
    assert mid_run[0] <= ticks
    assert 0 < tick_sum < ticks * 5  # bar published -> order enqueued: milliseconds, not seconds
    assert trips == len(timed) > 0  # one round trip per order the venue answered
    assert trip_sum == pytest.approx(sum(timed.values()), abs=1e-3)
    assert 0 < trip_sum < trips * 5  # enqueued -> the sim's answer, on this machine
    fills = [e for e in events if e.type == "fill"]
    for side in ("buy", "sell"):
        n = sum(1 for f in fills if f.data["side"] == side)
        assert sample(final, "tradingbot_fills_total", **labels, side=side) == n
    assert sample(final, "tradingbot_bot_state", bot=BOT, state="stopped") == 1
    assert sample(final, "tradingbot_equity", bot=BOT) > 0
    api.app.state.metrics_scraper.redis.close()  # type: ignore[attr-defined]  # no shutdown hook
