"""Claude's tokens in ``/metrics``: the API's composition gives ``sentiment.claude`` the metrics
hook ``count_claude_tokens``; a signal request whose summary Claude writes (the real anthropic
SDK against the sentiment tests' fake Messages API) shows up in the API's own scrape with the
exact ``usage`` of the answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sentiment.fakes import API_KEY, FakeAnthropic, serve

from ai_engine.api.app import create_app
from ai_engine.domain.clock import ManualClock
from ai_engine.marketdata import import_files
from ai_engine.marketdata.importer import expand_paths
from ai_engine.sentiment.claude import connect
from ai_engine.sentiment.limits import RateLimiter, TokenBudget
from ai_engine.settings import Settings

KLINES = Path(__file__).resolve().parents[2] / "sample_data" / "binance" / "spot" / "klines_1m"
TOKEN = "t0ken-for-metrics-tests"
MODEL = "claude-haiku-4-5"


@pytest.fixture
def fake() -> Iterator[tuple[FakeAnthropic, str]]:
    fake = FakeAnthropic()
    with serve(fake.app()) as url:
        yield fake, url


def tokens(client: TestClient) -> dict[str, float]:
    page = client.get("/metrics")
    assert page.status_code == 200
    return {
        s.labels["kind"]: s.value
        for family in text_string_to_metric_families(page.text)
        for s in family.samples
        if s.name == "tradingbot_claude_tokens_total" and s.labels.get("model") == MODEL
    }


def test_the_api_counts_the_tokens_of_each_claude_answer(
    tmp_path: Path, fake: tuple[FakeAnthropic, str]
) -> None:
    import_files(expand_paths(sorted(KLINES.glob("BTCUSDT-*.csv.gz"))), tmp_path)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path, models_dir=tmp_path / "models", api_token=TOKEN,  # type: ignore[arg-type]
        anthropic_api_key=API_KEY, anthropic_base_url=fake[1], sentiment_model=MODEL,  # type: ignore[arg-type]
    )  # fmt: skip
    fake[0].script(text="Indicators are mixed.", usage=(321, 45))
    with TestClient(create_app(settings)) as client:
        before = tokens(client)
        body = client.get(
            "/api/v1/signals/BTCUSDT", headers={"Authorization": f"Bearer {TOKEN}"}
        ).json()
        assert body["ensemble"]["summary_source"] == "claude", body["ensemble"]
        after = tokens(client)
        client.app.state.sentiment.close()  # type: ignore[attr-defined]  # the SDK's pool
    assert len(fake[0].requests) == 1
    assert after.get("input", 0) - before.get("input", 0) == 321
    assert after.get("output", 0) - before.get("output", 0) == 45


async def test_a_failing_observer_does_not_fail_the_call(
    fake: tuple[FakeAnthropic, str],
) -> None:
    told: list[tuple[str, int, int]] = []

    def broken(model: str, input_tokens: int, output_tokens: int) -> None:
        told.append((model, input_tokens, output_tokens))
        raise RuntimeError("observer bug")

    clock = ManualClock(datetime(2026, 11, 22, tzinfo=UTC))
    claude = connect(
        API_KEY, budget=TokenBudget(100_000, clock), limiter=RateLimiter(600),
        base_url=fake[1], on_usage=broken,
    )  # fmt: skip
    try:
        fake[0].script(text="ok", usage=(10, 2))
        message = await claude.create(max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    finally:
        claude.close()
    assert message.usage.input_tokens == 10
    assert told == [(claude.model, 10, 2)]
    assert claude.budget.spent() == 12
