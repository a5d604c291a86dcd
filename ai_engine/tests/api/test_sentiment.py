"""GET /api/v1/sentiment/{asset} and the ensemble in the signal routes (real PostgreSQL, the
real anthropic SDK against the local fake Messages API)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sentiment.fakes import API_KEY, FakeAnthropic, serve
from sqlalchemy import Engine

from ai_engine.api.app import create_app
from ai_engine.sentiment.articles import Article
from ai_engine.sentiment.claude import NO_KEY
from ai_engine.sentiment.prompt import current_prompt
from ai_engine.sentiment.scores import Score
from ai_engine.settings import Settings
from ai_engine.store.db import make_engine
from ai_engine.store.sentiment import SentimentRepository

from .tokens import AUTH, TOKEN

AS_OF = datetime(2023, 3, 26, tzinfo=UTC)  # close of the sample data's last BTCUSDT bar


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def fake() -> Iterator[tuple[FakeAnthropic, str]]:
    fake = FakeAnthropic()
    with serve(fake.app()) as url:
        yield fake, url


def app_with(sample_store: Path, database_url: str | None, **settings: object) -> TestClient:
    values = {"data_dir": sample_store, "api_token": TOKEN, **settings}
    app = create_app(Settings(_env_file=None, **values), database_url=database_url)  # type: ignore[arg-type]
    return TestClient(app)


def store_news(engine: Engine) -> SentimentRepository:
    """Two good BTC scores before the last bar's close, one after it, and one error."""
    repo = SentimentRepository(engine)
    rng = random.Random(3)
    prompt = current_prompt()
    h, m = timedelta(hours=1), timedelta(minutes=1)
    rows = [  # (id, published, fetched, scoring lag, sentiment, status)
        ("b1", AS_OF - 3 * h, AS_OF - 2 * h, 5 * m, 0.8, "ok"),
        ("b2", AS_OF - h, AS_OF - 50 * m, m, 0.4, "ok"),
        ("b3", AS_OF - 2 * m, AS_OF + 3 * m, m, -0.9, "ok"),  # fetched after the last close
        ("b4", AS_OF - h, AS_OF - 40 * m, 2 * m, 0.0, "error"),
    ]
    for ident, published, fetched, lag, value, status in rows:
        article = Article("cryptopanic", ident, f"https://x/{ident}", f"Bitcoin {ident}", "",
                          published, fetched, ("BTC",))  # fmt: skip
        repo.save_articles([article])
        ok = status == "ok"
        repo.save_score(Score(
            source="cryptopanic", article_id=ident, status=status,  # type: ignore[arg-type]
            sentiment=value, relevance=0.9 if ok else 0.0, confidence=0.8 if ok else 0.0,
            assets=("BTC",), rationale="test" if ok else "", model="claude-haiku-4-5",
            prompt_version=prompt.version, prompt_hash=prompt.hash, scored_at=fetched + lag,
            input_tokens=rng.randrange(100, 200), output_tokens=30,
            error=None if ok else "Claude answered HTTP 529: overloaded",
        ))  # fmt: skip
    return repo


def test_sentiment_needs_the_token(make_client: Callable[..., TestClient]) -> None:
    assert make_client().get("/api/v1/sentiment/BTC").status_code == 401


def test_without_a_database_503(make_client: Callable[..., TestClient]) -> None:
    response = make_client().get("/api/v1/sentiment/BTC", headers=AUTH)
    assert response.status_code == 503
    assert "no database configured" in response.json()["detail"]


def test_point_in_time_aggregate_and_articles_without_a_key(
    sample_store: Path, database_url: str, engine: Engine
) -> None:
    repo = store_news(engine)
    client = app_with(sample_store, database_url)
    body = client.get("/api/v1/sentiment/BTCUSDT", params={"at": "2023-03-26T00:00:00Z"},
                      headers=AUTH).json()  # fmt: skip
    expected = repo.sentiment_as_of("BTC", AS_OF)
    assert body["asset"] == "BTC"
    assert (body["enabled"], body["reason"]) == (False, NO_KEY)
    assert body["count"] == 2 == expected.count  # b3 was fetched after AS_OF; b4 is an error
    assert body["value"] == pytest.approx(expected.value)
    assert 0.4 < body["value"] < 0.8
    assert body["prompt_hash"] == current_prompt().hash
    assert [a["id"] for a in body["articles"]] == ["b4", "b2", "b1"]  # newest scored first
    error = body["articles"][0]
    assert (error["status"], error["sentiment"]) == ("error", 0.0)
    assert error["error"] == "Claude answered HTTP 529: overloaded"
    later = client.get("/api/v1/sentiment/btc", params={"at": "2023-03-26T01:00:00Z"},
                       headers=AUTH).json()  # fmt: skip
    assert later["count"] == 3
    assert later["value"] < body["value"]
    early = client.get("/api/v1/sentiment/BTC", params={"at": "2023-03-25T12:00:00Z"},
                       headers=AUTH).json()  # fmt: skip
    assert (early["count"], early["value"], early["articles"]) == (0, None, [])
    bad = client.get("/api/v1/sentiment/BTC", params={"at": "2023-03-25T12:00:00"}, headers=AUTH)
    assert bad.status_code == 422


def test_the_signal_carries_ensemble_explanation_and_sentiment_without_key_or_database(
    client: TestClient,
) -> None:
    body = client.get("/api/v1/signals/BTCUSDT", headers=AUTH).json()
    ensemble = body["ensemble"]
    assert [p["name"] for p in ensemble["parts"]] == ["technical", "model", "sentiment"]
    technical = ensemble["parts"][0]
    assert technical["raw"] == body["score"]
    assert technical["value"] == pytest.approx((body["score"] - 50) / 50)
    assert technical["share"] == 1.0  # model and sentiment are left out
    assert ensemble["weights"] == {"technical": 0.5, "model": 0.3, "sentiment": 0.2}
    assert ensemble["score"] == pytest.approx(technical["value"])
    assert (ensemble["summary_source"], ensemble["summary_error"]) == ("template", NO_KEY)
    assert ensemble["summary"] == body["explanation"]
    assert body["explanation"].startswith(f"BTCUSDT: {ensemble['action']}. Combined ")
    sentiment = body["sentiment"]
    assert sentiment["available"] is False
    assert sentiment["value"] is None
    assert sentiment["reason"].startswith(NO_KEY + "; sentiment unavailable: no database")
    assert body["action"] in {"BUY", "SELL", "HOLD"}  # the strategy's own, unchanged


def test_with_a_key_sentiment_counts_and_claude_writes_the_summary(
    sample_store: Path, database_url: str, engine: Engine, fake: tuple[FakeAnthropic, str]
) -> None:
    repo = store_news(engine)
    fake[0].script(text="Indicators are mixed while recent Bitcoin news leans positive.")
    client = app_with(sample_store, database_url, anthropic_api_key=API_KEY,
                      anthropic_base_url=fake[1], ensemble_weight_sentiment=0.5)  # fmt: skip
    body = client.get("/api/v1/signals/BTCUSDT", headers=AUTH).json()
    sentiment = body["sentiment"]
    expected = repo.sentiment_as_of("BTC", AS_OF)
    assert body["as_of"] == "2023-03-26T00:00:00Z"
    assert (sentiment["available"], sentiment["count"]) == (True, 2)
    assert sentiment["value"] == pytest.approx(expected.value)
    part = body["ensemble"]["parts"][2]
    assert part["value"] == pytest.approx(expected.value)
    assert part["share"] == pytest.approx(0.5 / (0.5 + 0.5))  # no model serving
    ensemble = body["ensemble"]
    assert ensemble["summary_source"] == "claude"
    assert ensemble["summary"] == "Indicators are mixed while recent Bitcoin news leans positive."
    assert body["explanation"] in fake[0].requests[0]["messages"][0]["content"]
    again = client.get("/api/v1/signals/BTCUSDT", headers=AUTH).json()
    assert again["ensemble"] == ensemble
    assert len(fake[0].requests) == 1
    state = client.get("/api/v1/sentiment/BTC", headers=AUTH).json()
    assert (state["enabled"], state["reason"]) == (True, None)
    assert API_KEY not in str(state)


def test_a_failing_claude_falls_back_to_the_template(
    sample_store: Path, database_url: str, fake: tuple[FakeAnthropic, str]
) -> None:
    for _ in range(3):  # the API's client retries twice (SDK default back-off) before giving up
        fake[0].script(status=500)
    client = app_with(sample_store, database_url, anthropic_api_key=API_KEY,
                      anthropic_base_url=fake[1])  # fmt: skip
    response = client.get("/api/v1/signals/ETHUSDT", headers=AUTH)
    assert response.status_code == 200
    ensemble = response.json()["ensemble"]
    assert ensemble["summary_source"] == "template"
    assert ensemble["summary_error"].startswith("Claude answered HTTP 500")
    assert ensemble["summary"] == response.json()["explanation"]
    assert len(fake[0].requests) == 3


def test_a_replay_asks_at_its_clock_and_gets_what_was_knowable_at_the_bot_s_bar(
    sample_store: Path, database_url: str, engine: Engine
) -> None:
    """The dashboard of a replay passes its replay clock as ``at``: the signal is the bar
    closed by then and its sentiment counts only the news knowable at that bar's close (not
    at the end of the stored data, which is what the engine's own clock sees)."""
    store_news(engine)
    client = app_with(sample_store, database_url)
    replay_clock = AS_OF - timedelta(hours=1) + timedelta(seconds=30)
    body = client.get("/api/v1/signals/BTCUSDT", params={"at": replay_clock.isoformat()},
                      headers=AUTH).json()  # fmt: skip
    assert body["as_of"] == "2023-03-25T23:00:00Z"
    sentiment = body["sentiment"]
    assert sentiment["as_of"] == "2023-03-25T23:00:00Z"
    assert sentiment["count"] == 1  # b1 only: b2 was scored at 23:11, after the bar
    assert sentiment["available"] is True
    parts = {p["name"]: p for p in body["ensemble"]["parts"]}
    assert parts["sentiment"]["value"] is not None
    end = client.get("/api/v1/signals/BTCUSDT", headers=AUTH).json()
    assert (end["as_of"], end["sentiment"]["count"]) == ("2023-03-26T00:00:00Z", 2)
    early = client.get("/api/v1/signals/BTCUSDT", params={"at": "2023-03-25T12:00:30Z"},
                       headers=AUTH).json()  # fmt: skip
    assert early["sentiment"]["reason"].endswith(
        "no scored news about BTC knowable at 2023-03-25T12:00:00+00:00"
    )
