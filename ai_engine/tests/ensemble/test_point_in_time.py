"""Point-in-time: a replay that uses sentiment never sees a score before it was knowable.

A day of real BTCUSDT 1m bars is replayed; at each bar close the ensemble gets the sentiment
the store returns "as of" that close (``sentiment_as_of``). Forty articles are spread over the
day with fetch lags and scoring delays, some re-scored hours later with another prompt. Every
score that counted at a bar must have ``fetched_at <= close`` and ``scored_at <= close``, and
the value must equal an oracle computed here from the raw rows. A leaky oracle that ignores
fetch and score times gives other values on this data, so the test can fail.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ai_engine.domain.clock import from_epoch_ms
from ai_engine.ensemble import EnsembleParams, combine
from ai_engine.marketdata.parsing import parse_file
from ai_engine.marketdata.schema import bars_of
from ai_engine.sentiment.aggregate import HALF_LIFE, LOOKBACK
from ai_engine.sentiment.articles import Article
from ai_engine.sentiment.scores import Score
from ai_engine.store.db import make_engine
from ai_engine.store.sentiment import SentimentRepository
from ai_engine.strategies import MarketInput, get
from ai_engine.strategies.signals import score_of

BARS = (
    Path(__file__).resolve().parents[2]
    / "sample_data/binance/spot/klines_1m/BTCUSDT-1m-2023-03-25.csv.gz"
)


@dataclass(frozen=True)
class Row:
    score_id: int
    article: int
    sentiment: float
    weight_base: float  # relevance * confidence
    published_at: datetime
    fetched_at: datetime
    scored_at: datetime


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _score(article: Article, rng: random.Random, scored_at: datetime, prompt: str) -> Score:
    return Score(
        source=article.source, article_id=article.id, status="ok",
        sentiment=round(rng.uniform(-1, 1), 3), relevance=round(rng.uniform(0.2, 1), 3),
        confidence=round(rng.uniform(0.2, 1), 3), assets=("BTC",), rationale="replay test",
        model="claude-haiku-4-5", prompt_version=prompt, prompt_hash=prompt * 8,
        scored_at=scored_at, input_tokens=100, output_tokens=30,
    )  # fmt: skip


def _populate(repo: SentimentRepository, day: datetime) -> list[Row]:
    rng = random.Random(8)
    rows: list[Row] = []
    for n in range(40):
        published = day + timedelta(minutes=rng.randrange(0, 24 * 60))
        fetched = published + timedelta(minutes=rng.randrange(1, 90))
        article = Article("cryptopanic", f"pit-{n}", f"https://x/{n}", f"Bitcoin story {n}", "",
                          published, fetched, ("BTC",))  # fmt: skip
        assert repo.save_articles([article]) == 1
        versions = [(fetched + timedelta(minutes=rng.randrange(0, 30)), "v1")]
        if n % 4 == 0:  # re-scored hours later with another prompt: must not leak backwards
            versions.append((fetched + timedelta(hours=rng.randrange(3, 9)), "v2"))
        for scored_at, prompt in versions:
            score = _score(article, rng, scored_at, prompt)
            score_id = repo.save_score(score)
            rows.append(Row(score_id, n, score.sentiment, score.relevance * score.confidence,
                            published, fetched, scored_at))  # fmt: skip
    return rows


def _oracle(rows: list[Row], at: datetime, *, leaky: bool = False) -> tuple[float, set[int]]:
    latest: dict[int, Row] = {}
    for row in rows:
        if not leaky and (row.fetched_at > at or row.scored_at > at):
            continue
        held = latest.get(row.article)
        if held is None or row.scored_at > held.scored_at:
            latest[row.article] = row
    total = acc = 0.0
    used = set()
    for row in latest.values():
        age = at - min(row.published_at, row.fetched_at)
        if age > LOOKBACK:
            continue
        w = row.weight_base * 0.5 ** (max(age, timedelta(0)) / HALF_LIFE)
        total += w
        acc += w * row.sentiment
        used.add(row.score_id)
    return (acc / total if total else 0.0), used


def test_a_replay_never_sees_a_score_before_its_fetch_and_score_times(engine: Engine) -> None:
    parsed = parse_file(BARS)
    data = MarketInput.from_bars(bars_of(parsed.table), 60_000)
    strategy = get("composite_score")
    technical = score_of(strategy.prepare(data)[1], len(data))
    day = from_epoch_ms(int(data.open_time[0]))
    repo = SentimentRepository(engine)
    rows = _populate(repo, day)
    by_id = {row.score_id: row for row in rows}

    params = EnsembleParams(technical=0.5, model=0.0, sentiment=0.5, threshold=0.5)
    leaks_caught = checked = with_news = 0
    for i in range(0, len(data), 5):  # every fifth bar close of the day
        close = from_epoch_ms(int(data.close_time[i]))
        news = repo.sentiment_as_of("BTC", close)
        for score_id in news.score_ids:
            row = by_id[score_id]
            assert row.fetched_at <= close, (close, row)
            assert row.scored_at <= close, (close, row)
        value, used = _oracle(rows, close)
        assert set(news.score_ids) == used
        assert news.value == pytest.approx(value, abs=1e-12)
        leaky_value, _ = _oracle(rows, close, leaky=True)
        leaks_caught += abs(leaky_value - value) > 1e-9
        score = None if technical[i] != technical[i] else float(technical[i])  # NaN in warm-up
        decision = combine(technical_score=score, model_probability=None, sentiment=news,
                           params=params)  # fmt: skip
        part = decision.part("sentiment")
        if news.has_evidence:
            with_news += 1
            assert part.raw == news.value
            assert news.newest_knowable_at is not None
            assert news.newest_knowable_at <= close
        else:
            assert part.value is None
        checked += 1
    assert checked == 288
    assert with_news > 200  # most of the day has news to weigh
    assert leaks_caught > 100  # ignoring fetch/score times would change most bars


def test_a_score_becomes_visible_exactly_when_fetched_and_scored(engine: Engine) -> None:
    repo = SentimentRepository(engine)
    t0 = datetime.fromisoformat("2026-11-22T01:00:00+00:00")
    article = Article("rss:x", "a1", "https://x/a1", "Bitcoin up", "", t0,
                      t0 + timedelta(minutes=10), ("BTC",))  # fmt: skip
    repo.save_articles([article])
    scored = t0 + timedelta(minutes=25)
    repo.save_score(_score(article, random.Random(1), scored, "v1"))
    tick = timedelta(milliseconds=1)
    assert repo.sentiment_as_of("BTC", t0 + timedelta(minutes=10)).count == 0  # fetched only
    assert repo.sentiment_as_of("BTC", scored - tick).count == 0
    assert repo.sentiment_as_of("BTC", scored).count == 1
    assert repo.sentiment_as_of("btc", scored + timedelta(hours=1)).count == 1
    assert repo.sentiment_as_of("ETH", scored).count == 0
    assert repo.sentiment_as_of("BTC", t0 + LOOKBACK + timedelta(minutes=1)).count == 0
    assert [s.score.scored_at for s in repo.recent("BTC", scored)] == [scored]
    assert repo.recent("BTC", scored - tick) == []
