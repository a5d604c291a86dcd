from datetime import UTC, datetime

import numpy as np
import pytest
from fastapi.testclient import TestClient

from ai_engine.marketdata import BarStore

from .tokens import AUTH, TOKEN

URL = "/api/v1/market/candles"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": "Basic x"}],
)
def test_refuses_requests_without_the_token(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get(URL, params={"symbol": "BTCUSDT"}, headers=headers)
    assert response.status_code in (401, 403)
    assert "symbol" not in response.text


def test_newest_bars_by_default_match_the_store(client: TestClient, sample_store: object) -> None:
    response = client.get(URL, params={"symbol": "BTCUSDT", "limit": 3}, headers=AUTH)
    assert response.status_code == 200, response.text
    candles = response.json()["candles"]
    bars = BarStore(sample_store).load_bars("BTCUSDT", "1m")  # type: ignore[arg-type]
    assert [c["time"] for c in candles] == bars.open_time[-3:].tolist()
    assert [c["close"] for c in candles] == bars.close[-3:].tolist()
    assert candles[-1]["time"] == int(datetime(2023, 3, 25, 23, 59, tzinfo=UTC).timestamp() * 1000)


def test_window_from_start_is_inclusive_and_end_exclusive(client: TestClient) -> None:
    params = {
        "symbol": "ETHUSDT",
        "start": "2023-03-24T12:00:00Z",
        "end": "2023-03-24T12:10:00Z",
        "limit": 100,
    }
    candles = client.get(URL, params=params, headers=AUTH).json()["candles"]
    times = [c["time"] for c in candles]
    start_ms = int(datetime(2023, 3, 24, 12, tzinfo=UTC).timestamp() * 1000)
    assert times == [start_ms + i * 60_000 for i in range(10)]


def test_naive_times_are_utc(client: TestClient) -> None:
    naive = {"symbol": "BTCUSDT", "start": "2023-03-24T00:00:00", "limit": 1}
    aware = {**naive, "start": "2023-03-24T00:00:00+00:00"}
    assert (
        client.get(URL, params=naive, headers=AUTH).json()
        == client.get(URL, params=aware, headers=AUTH).json()
    )


def test_five_minute_bars_are_resampled_from_one_minute(client: TestClient) -> None:
    params = {"symbol": "BTCUSDT", "interval": "5m", "start": "2023-03-23T00:00:00Z", "limit": 2}
    five = client.get(URL, params=params, headers=AUTH).json()["candles"]
    ones = client.get(URL, params={**params, "interval": "1m", "limit": 10}, headers=AUTH).json()[
        "candles"
    ]
    assert five[0]["time"] == ones[0]["time"]
    assert five[1]["time"] - five[0]["time"] == 300_000
    first = ones[:5]
    assert five[0]["open"] == first[0]["open"]
    assert five[0]["close"] == first[-1]["close"]
    assert five[0]["high"] == max(c["high"] for c in first)
    assert five[0]["low"] == min(c["low"] for c in first)
    assert np.isclose(five[0]["volume"], sum(c["volume"] for c in first))


def test_futures_market_is_a_separate_series(client: TestClient) -> None:
    spot = client.get(URL, params={"symbol": "AVAXUSDT"}, headers=AUTH)
    assert spot.status_code == 404
    usdm = client.get(URL, params={"symbol": "AVAXUSDT", "market": "usdm"}, headers=AUTH)
    assert usdm.status_code == 200
    assert usdm.json()["market"] == "usdm"


def test_unknown_symbol_is_404_naming_what_is_stored(client: TestClient) -> None:
    response = client.get(URL, params={"symbol": "DOGEUSDT"}, headers=AUTH)
    assert response.status_code == 404
    assert "BTCUSDT" in response.json()["detail"]


@pytest.mark.parametrize(
    "params",
    [
        {"symbol": "BTCUSDT", "interval": "7x"},
        {"symbol": "BTCUSDT", "limit": 0},
        {"symbol": "BTCUSDT", "limit": 100_000},
        {"symbol": "btc/usdt"},
        {"symbol": "BTCUSDT", "start": "2023-03-25T00:00:00Z", "end": "2023-03-24T00:00:00Z"},
        {"symbol": "BTCUSDT", "start": "yesterday"},
        {"symbol": "BTCUSDT", "market": "margin"},
    ],
)
def test_bad_parameters_get_422(client: TestClient, params: dict[str, object]) -> None:
    response = client.get(URL, params=params, headers=AUTH)
    assert response.status_code == 422, response.text


def test_openapi_documents_the_routes_and_the_bearer_scheme(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/health", URL} <= set(schema["paths"])
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    assert client.get("/docs").status_code == 200
