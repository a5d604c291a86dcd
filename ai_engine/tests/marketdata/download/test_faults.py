"""Downloads under the faults Binance and networks produce, injected by the real sim exchange
(``/sim/faults``) and its real weight limiter: 5xx, timeouts and dropped answers are retried
with backoff; 429 storms are ridden out without ever reaching a 418 ban; a long ban stops."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from ai_engine.domain.enums import MarketType
from ai_engine.marketdata import BarStore
from ai_engine.marketdata.download import (
    BannedError,
    ChunkDone,
    DownloadRequest,
    Kind,
    RetriesExhaustedError,
    RetryPolicy,
)
from ai_engine.marketdata.download.caller import CallStats
from ai_engine.marketdata.download.retry import Outcome
from ai_engine.simexchange import ThreadedSimExchange

from .conftest import (
    SPOT_END,
    SPOT_START,
    FakeTiming,
    Recorder,
    downloader,
    same_columns,
    spot_config,
)

Serve = Callable[..., ThreadedSimExchange]
BTC = DownloadRequest("BTCUSDT", Kind.KLINES, MarketType.SPOT, SPOT_START, SPOT_END, "1m")
KLINES = "/api/v3/klines"
WEIGHTS = {"klines": 2, "exchangeInfo": 20}  # Binance's spot weights; time, ping: 1


def inject(sim: ThreadedSimExchange, *rules: dict[str, Any]) -> None:
    response = requests.post(f"{sim.base_url}/sim/faults", json=list(rules), timeout=5)
    assert response.status_code == 201, response.text


def fired(sim: ThreadedSimExchange) -> list[int]:
    rules = requests.get(f"{sim.base_url}/sim/faults", timeout=5).json()["rules"]
    return [int(rule["fired"]) for rule in rules]


def assert_equal_to_source(source: Path, store: Path) -> None:
    expected = BarStore(source).load_bars("BTCUSDT", "1m")
    assert same_columns(expected, BarStore(store).load_bars("BTCUSDT", "1m")) == []


def assert_retry_after_honoured(stats: CallStats) -> None:
    """After every 429/418, nothing was sent before its Retry-After had passed."""
    attempts = stats.attempts
    for before, after in itertools.pairwise(attempts):
        failure = before.failure
        if failure is not None and failure.outcome in (Outcome.RATE_LIMITED, Outcome.BANNED):
            assert failure.retry_after_s is not None
            assert after.sent_at >= before.sent_at + failure.retry_after_s


def test_5xx_timeouts_and_dropped_answers_are_retried(
    spot_source: Path, serve: Serve, fake_time: FakeTiming, tmp_path: Path
) -> None:
    sim = serve(spot_config(spot_source), wall=fake_time)
    inject(
        sim,
        {"action": "status", "status": 503, "path": KLINES, "times": 2},
        {"action": "status", "status": 500, "path": KLINES, "times": 1},
        {"action": "timeout", "ms": 1500, "path": KLINES, "times": 2},
        {"action": "drop_response", "path": KLINES, "times": 1},
    )
    client = downloader(tmp_path / "store", sim, fake_time, timeout_s=0.3)
    try:
        report = client.download(BTC)
        stats = client.client(MarketType.SPOT).caller.stats
    finally:
        client.close()
    assert_equal_to_source(spot_source, tmp_path / "store")
    assert fired(sim) == [2, 1, 2, 1]
    assert report.retries == 6
    whats = [a.failure.what for a in stats.attempts if a.failure is not None]
    assert [w.split(" (")[0] for w in whats] == [
        "HTTP 503", "HTTP 503", "HTTP 500", "timeout", "timeout", "connection error",
    ]  # fmt: skip
    # Exponential backoff with jitter, and nothing else: attempt n waits within [d/2, d],
    # d = 0.5 s x 2^(n-1).
    assert len(fake_time.slept) == 6
    for n, pause in enumerate(fake_time.slept, start=1):
        ceiling = 0.5 * 2 ** (n - 1)
        assert ceiling / 2 <= pause <= ceiling


def test_a_request_that_keeps_failing_gives_up_with_the_last_error(
    spot_source: Path, serve: Serve, fake_time: FakeTiming, tmp_path: Path
) -> None:
    sim = serve(spot_config(spot_source), wall=fake_time)
    inject(sim, {"action": "status", "status": 502, "path": KLINES})
    client = downloader(tmp_path / "store", sim, fake_time, policy=RetryPolicy(max_attempts=4))
    try:
        with pytest.raises(RetriesExhaustedError, match=r"after 4 attempts; last: HTTP 502"):
            client.download(BTC)
    finally:
        client.close()
    assert fired(sim) == [4]
    assert not (tmp_path / "store").exists()


def test_pacing_keeps_every_minute_under_the_weight_limit(
    spot_source: Path, serve: Serve, fake_time: FakeTiming, tmp_path: Path
) -> None:
    """44 klines requests of weight 2 with a limit of 30 a minute: the downloader spreads them
    over minutes on its own, from the X-MBX-USED-WEIGHT-1M counts, and never sees a 429."""
    recorder = Recorder()
    sim = serve(spot_config(spot_source, weight_limit=30), wall=fake_time, recorder=recorder)
    client = downloader(tmp_path / "store", sim, fake_time, chunk_bars=100)
    try:
        report = client.download(BTC)
        stats = client.client(MarketType.SPOT).caller.stats
    finally:
        client.close()
    assert_equal_to_source(spot_source, tmp_path / "store")
    assert report.requests == 44
    assert set(recorder.statuses()) == {200}
    weight_by_minute: dict[int, int] = {}
    for attempt in stats.attempts:
        weight = WEIGHTS.get(attempt.label.split()[0], 1)
        minute = math.floor(attempt.sent_at / 60)
        weight_by_minute[minute] = weight_by_minute.get(minute, 0) + weight
    assert max(weight_by_minute.values()) <= 30
    assert len(weight_by_minute) >= 4  # 109 weight at most 30 a minute


def test_a_429_storm_is_ridden_out_without_a_418_ban(
    spot_source: Path, serve: Serve, fake_time: FakeTiming, tmp_path: Path
) -> None:
    """A storm of 429s from the sim's fault rules, plus real ones from its weight limiter
    (another client on the same IP burns the minute's budget right before our requests): the
    download waits out every Retry-After, sends nothing in a minute after a 429 (the sim would
    ban the IP: 418), and ends equal to the source."""
    limit = 60
    recorder = Recorder()
    sim = serve(spot_config(spot_source, weight_limit=limit), wall=fake_time, recorder=recorder)
    inject(
        sim,
        {"action": "rate_limit", "retryAfter": 3, "path": KLINES, "probability": 0.5,
         "seed": 11, "times": 6},
    )  # fmt: skip
    neighbour = requests.Session()

    def burn_the_budget(done: ChunkDone) -> None:
        if done.done % 5 != 2:
            return
        used = 0
        while used < limit - 1:  # up to one below the limit: our next request goes over it
            answer = neighbour.get(f"{sim.api_url}/v3/ping", timeout=5)
            assert answer.status_code == 200, answer.text
            used = int(answer.headers["X-MBX-USED-WEIGHT-1M"])

    client = downloader(tmp_path / "store", sim, fake_time, chunk_bars=200)
    client.on_chunk = burn_the_budget
    try:
        report = client.download(BTC)
        stats = client.client(MarketType.SPOT).caller.stats
    finally:
        client.close()
        neighbour.close()
    assert_equal_to_source(spot_source, tmp_path / "store")
    assert fired(sim) == [6]  # the injected storm happened
    real_429 = recorder.statuses(KLINES).count(429)
    assert real_429 >= 2  # and the limiter's own 429s
    assert 418 not in recorder.statuses()  # never banned
    assert report.rate_limited == 6 + real_429
    assert report.banned == 0
    assert_retry_after_honoured(stats)


def test_a_short_ban_is_waited_out(
    spot_source: Path, serve: Serve, fake_time: FakeTiming, tmp_path: Path
) -> None:
    sim = serve(spot_config(spot_source), wall=fake_time)
    inject(sim, {"action": "ban", "retryAfter": 30, "path": KLINES, "times": 1})
    client = downloader(tmp_path / "store", sim, fake_time)
    started = fake_time.t
    try:
        report = client.download(BTC)
        stats = client.client(MarketType.SPOT).caller.stats
    finally:
        client.close()
    assert_equal_to_source(spot_source, tmp_path / "store")
    assert report.banned == 1
    assert fake_time.t - started >= 30
    assert_retry_after_honoured(stats)


def test_a_long_ban_stops_with_a_clear_error(
    spot_source: Path, serve: Serve, fake_time: FakeTiming, tmp_path: Path
) -> None:
    sim = serve(spot_config(spot_source), wall=fake_time)
    inject(sim, {"action": "ban", "retryAfter": 600, "path": KLINES, "times": 1})
    client = downloader(tmp_path / "store", sim, fake_time)
    try:
        with pytest.raises(BannedError) as caught:
            client.download(BTC)
    finally:
        client.close()
    message = str(caught.value)
    assert "HTTP 418" in message
    assert "Retry-After 600 s" in message
    assert "longer than the 180 s" in message
    assert caught.value.retry_after_s == 600
