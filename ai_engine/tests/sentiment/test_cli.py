"""`tradingbot sentiment fetch|score|show` through the real CLI root, against the fakes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ai_engine.cli.main import app

from .fakes import API_KEY, FakeAnthropic, FakeNews


def _env(tmp_path: Path, database_url: str | None, **extra: str) -> dict[str, str | None]:
    env: dict[str, str | None] = {
        "TRADINGBOT_VAR_DIR": str(tmp_path),
        "TRADINGBOT_DATABASE_URL": database_url,
        "TRADINGBOT_ANTHROPIC_API_KEY": None,
        "TRADINGBOT_CRYPTOPANIC_TOKEN": None,
        "TRADINGBOT_NEWS_FEEDS": None,
        "TRADINGBOT_SENTIMENT_REQUESTS_PER_MINUTE": "60000",
    }
    return {**env, **extra}


def test_fetch_score_show(
    tmp_path: Path,
    database_url: str,
    fake_news: tuple[FakeNews, str],
    fake_claude: tuple[FakeAnthropic, str],
) -> None:
    runner = CliRunner()
    news, news_url = fake_news
    env = _env(
        tmp_path,
        database_url,
        TRADINGBOT_CRYPTOPANIC_TOKEN=news.token,
        TRADINGBOT_NEWS_FEEDS=json.dumps({"coindesk": f"{news_url}/feeds/coindesk.xml"}),
        TRADINGBOT_ANTHROPIC_BASE_URL=fake_claude[1],
    )
    fetched = runner.invoke(
        app,
        ["sentiment", "fetch", "--cryptopanic-url", news_url, "--coingecko-url", news_url,
         "--feed", f"theblock={news_url}/feeds/theblock.xml"],
    env=env)  # fmt: skip
    assert fetched.exit_code == 0, fetched.output
    assert fetched.output.startswith("fetched 12 articles from 4 sources, 12 new")
    assert news.token not in fetched.output

    disabled = runner.invoke(app, ["sentiment", "score"], env=env)
    assert disabled.exit_code == 0, disabled.output
    assert disabled.output.strip() == (
        "sentiment disabled: no Anthropic API key (set TRADINGBOT_ANTHROPIC_API_KEY)"
    )
    assert fake_claude[0].requests == []

    env["TRADINGBOT_ANTHROPIC_API_KEY"] = API_KEY
    scored = runner.invoke(app, ["sentiment", "score", "--limit", "100"], env=env)
    assert scored.exit_code == 0, scored.output
    assert scored.output.startswith("scored 12 ok, 0 errors, 0 skipped; 1920 tokens")
    assert API_KEY not in scored.output
    assert len(fake_claude[0].requests) == 12

    shown = runner.invoke(app, ["sentiment", "show", "BTCUSDT", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.output)
    assert body["asset"] == "BTC"
    assert body["count"] == len(body["articles"]) == 4  # BTC-tagged items of the fixtures
    assert body["value"] > 0  # the fake reads "inflows", "record", "calls" as bullish
    table = runner.invoke(app, ["sentiment", "show", "SOL"], env=env)
    assert table.exit_code == 0
    assert table.output.startswith("SOL sentiment as of ")
    assert "Solana DEX suffers $4.1 million exploit" in table.output
    early = runner.invoke(app, ["sentiment", "show", "BTC", "--at", "2026-01-01T00:00:00Z"],
                          env=env)  # fmt: skip
    assert "n/a (no scored news)" in early.output


def test_no_database_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sentiment", "show", "BTC"], env=_env(tmp_path, None))
    assert result.exit_code == 1
    assert "run `tradingbot services up` or set TRADINGBOT_DATABASE_URL" in result.output
