"""POST /api/v1/backtests through a real Celery worker and PostgreSQL; invalid specs get 422."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import celery.contrib.testing.tasks  # noqa: F401 - start_worker's ping task
import numpy as np
import pytest
from celery.contrib.testing.worker import start_worker
from fastapi.testclient import TestClient

from ai_engine.backtest.config import BacktestConfig
from ai_engine.backtest.engine import run
from ai_engine.backtest.metrics import compute_metrics
from ai_engine.infra.waiting import wait_until
from ai_engine.marketdata import BarStore
from ai_engine.marketdata.intervals import iso
from ai_engine.settings import Settings
from ai_engine.workers.app import close_celery, make_celery

from .tokens import AUTH

URL = "/api/v1/backtests"
START, END = "2023-03-23T00:00:00Z", "2023-03-26T00:00:00Z"
SPEC: dict[str, Any] = {
    "strategy": "ema_cross",
    "params": {"fast": 8, "slow": 30},
    "symbol": "BTCUSDT",
    "interval": "1m",
    "start": START,
    "end": END,
    "config": {"cash": 5000, "fee_taker": 0.00075},
}

# celery 5.7's Redis result backend calls redis-py 8's deprecated setex once per result.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")


@pytest.fixture
def services_client(
    make_client: Callable[..., TestClient], database_url: str, redis_url: str
) -> Iterator[TestClient]:
    client = make_client(database_url, redis_url)
    yield client
    client.app.state.backtests.close()  # type: ignore[attr-defined]


@pytest.fixture
def worker(sample_store: Path, database_url: str, redis_url: str) -> Iterator[None]:
    settings = Settings(_env_file=None, data_dir=sample_store)  # type: ignore[call-arg]
    app = make_celery(settings, redis_url=redis_url, database_url=database_url)
    with start_worker(app, pool="solo", queues=["research"], perform_ping_check=False):
        yield
    close_celery(app)


def _done(client: TestClient, job_id: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def finished() -> bool:
        seen.update(client.get(f"{URL}/{job_id}", headers=AUTH).json())
        return seen["status"] in ("done", "failed")

    assert wait_until(finished, timeout=60)
    return seen


def test_submit_poll_and_fetch_metrics_report_and_trades(
    services_client: TestClient, worker: None, sample_store: Path
) -> None:
    accepted = services_client.post(URL, json=SPEC, headers=AUTH)
    assert accepted.status_code == 202, accepted.text
    job_id = accepted.json()["id"]
    assert accepted.headers["location"] == f"{URL}/{job_id}"
    job = _done(services_client, job_id)
    assert job["status"] == "done", job["error"]
    assert job["progress"] == 1.0
    assert job["spec"]["symbols"] == ["BTCUSDT"]

    # The same backtest run here, through the engine's public API, on the same bars.
    span = (datetime.fromisoformat(START), datetime.fromisoformat(END))
    bars = BarStore(sample_store).load_bars("BTCUSDT", "1m", *span)
    expected = run(
        "ema_cross",
        bars,
        params=SPEC["params"],
        config=BacktestConfig(cash=5000, fee_taker=0.00075),
        symbol="BTCUSDT",
    )
    metrics = compute_metrics(expected)
    assert job["metrics"]["trades"] == metrics.trades > 0
    assert job["metrics"]["final_equity"] == pytest.approx(expected.final_equity, rel=1e-12)
    assert job["summary"]["final_equity"] == pytest.approx(expected.final_equity, rel=1e-12)
    assert job["summary"]["bars"] == len(bars)

    report = services_client.get(f"{URL}/{job_id}/report", headers=AUTH)
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/html")
    assert "<svg" in report.text
    assert "Equity and drawdown" in report.text

    page = services_client.get(f"{URL}/{job_id}/trades", params={"limit": 5}, headers=AUTH)
    assert page.status_code == 200
    body = page.json()
    assert body["total"] == metrics.trades
    assert len(body["trades"]) == min(5, metrics.trades)
    first = body["trades"][0]
    t = expected.trades
    assert first["entry_time"].replace("+00:00", "Z") == iso(int(t.entry_time[0]))
    assert first["entry_price"] == pytest.approx(float(t.entry_price[0]), rel=1e-15)
    assert first["pnl"] == pytest.approx(float(t.pnl[0]), rel=1e-12)
    assert first["side"] == "long"
    rest = services_client.get(
        f"{URL}/{job_id}/trades", params={"offset": 5, "limit": 10_000}, headers=AUTH
    ).json()
    pnl = [x["pnl"] for x in body["trades"]] + [x["pnl"] for x in rest["trades"]]
    np.testing.assert_allclose(pnl, t.pnl, rtol=1e-12)


def test_a_portfolio_of_two_symbols(services_client: TestClient, worker: None) -> None:
    spec = {**SPEC, "symbol": None, "symbols": ["ETHUSDT", "BTCUSDT"]}
    spec.pop("symbol")
    spec["config"] = {"max_positions": 2, "sizing": {"kind": "equity_pct", "value": 0.4}}
    job_id = services_client.post(URL, json=spec, headers=AUTH).json()["id"]
    job = _done(services_client, job_id)
    assert job["status"] == "done", job["error"]
    assert job["summary"]["symbols"] == ["BTCUSDT", "ETHUSDT"]
    trades = services_client.get(f"{URL}/{job_id}/trades", headers=AUTH).json()["trades"]
    assert {t["symbol"] for t in trades} == {"BTCUSDT", "ETHUSDT"}


def test_without_a_worker_the_job_waits_and_its_report_is_not_ready(
    services_client: TestClient,
) -> None:
    job_id = services_client.post(URL, json=SPEC, headers=AUTH).json()["id"]
    job = services_client.get(f"{URL}/{job_id}", headers=AUTH).json()
    assert (job["status"], job["progress"], job["metrics"]) == ("queued", 0.0, None)
    assert services_client.get(f"{URL}/{job_id}/report", headers=AUTH).status_code == 409
    assert services_client.get(f"{URL}/{job_id}/trades", headers=AUTH).status_code == 409
    unknown = services_client.get(f"{URL}/00000000-0000-0000-0000-000000000000", headers=AUTH)
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"strategy": "no_such"}, ["body", "strategy"]),
        ({"params": {"fast": 30, "slow": 20}}, ["body", "params", "fast"]),
        ({"params": {"fastt": 3}}, ["body", "params", "fastt"]),
        ({"params": {"fast": 1.5}}, ["body", "params", "fast"]),
        ({"symbol": "XRPUSDT"}, ["body", "symbol"]),
        ({"symbol": "BTC/USDT"}, ["body", "symbol"]),
        ({"interval": "7x"}, ["body", "interval"]),
        ({"start": END, "end": START}, ["body", "end"]),
        ({"start": "2023-03-23T00:00:00"}, ["body", "start"]),  # no offset: ambiguous
        ({"start": "2030-01-01T00:00:00Z", "end": "2030-02-01T00:00:00Z"}, ["body", "symbol"]),
        ({"config": {"sizing": {"kind": "all_in"}}}, ["body", "config", "sizing", "kind"]),
        ({"config": {"cash": "lots"}}, ["body", "config", "cash"]),
        ({"config": {"leverage": 5}}, ["body", "config", "leverage"]),
        ({"symbols": ["BTCUSDT"]}, ["body"]),  # both symbol and symbols
        ({"colour": "red"}, ["body", "colour"]),
    ],
)
def test_an_invalid_spec_gets_422_naming_the_field(
    client: TestClient, change: dict[str, Any], loc: list[str]
) -> None:
    response = client.post(URL, json={**SPEC, **change}, headers=AUTH)
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert errors[0]["loc"] == loc
    assert errors[0]["msg"]


def test_without_a_database_a_valid_spec_gets_503(client: TestClient) -> None:
    response = client.post(URL, json=SPEC, headers=AUTH)
    assert response.status_code == 503
    assert "no database" in response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path"), [("post", URL), ("get", f"{URL}/00000000-0000-0000-0000-000000000000")]
)
def test_the_routes_need_the_token(client: TestClient, method: str, path: str) -> None:
    assert client.request(method, path, json=SPEC).status_code == 401
