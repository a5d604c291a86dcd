"""`GET /metrics` scraped while `tradingbot run --config ... --mode replay --speed max` trades
real bars (a subprocess: the trader, its Celery orders worker and the sim exchange), checked
against the events the run published."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

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


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    page = client.get("/metrics")
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
               "--mode", "replay", "--speed", "max"]  # fmt: skip
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    mid_run: list[float] = []
    labels = {"bot": BOT, "symbol": "BTCUSDT"}
    try:
        while process.poll() is None:
            count = sample(scrape(api), "tradingbot_tick_to_order_seconds_count", **labels)
            if count:
                mid_run.append(count)
            time.sleep(0.2)
        output = process.communicate(timeout=30)[0]
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert mid_run, "no scrape during the run saw an order"  # scraped while it traded

    final = scrape(api)
    with Redis.from_url(redis_url) as r:
        events = [e for _, e in read_events(r, "0-0", count=100_000) if e.bot_id == BOT]
    orders = [e for e in events if e.type == "order"]
    first_status: dict[str, str] = {}
    for e in orders:
        first_status.setdefault(e.data["client_order_id"], e.data["status"])
    terminal = {"filled", "canceled", "rejected", "expired"}
    measurable = {
        e.data["client_order_id"]
        for e in orders
        if e.data["status"] in terminal and first_status[e.data["client_order_id"]] not in terminal
    }
    assert first_status
    ticks = sample(final, "tradingbot_tick_to_order_seconds_count", **labels)
    trips = sample(final, "tradingbot_order_round_trip_seconds_count", **labels)
    assert 0 < ticks <= len(first_status)
    assert sample(final, "tradingbot_tick_to_order_seconds_sum", **labels) > 0
    assert trips == len(measurable)  # orders reported once (final status only) have none
    assert mid_run[0] <= ticks
    fills = [e for e in events if e.type == "fill"]
    for side in ("buy", "sell"):
        n = sum(1 for f in fills if f.data["side"] == side)
        assert sample(final, "tradingbot_fills_total", **labels, side=side) == n
    assert sample(final, "tradingbot_bot_state", bot=BOT, state="stopped") == 1
    assert sample(final, "tradingbot_equity", bot=BOT) > 0
