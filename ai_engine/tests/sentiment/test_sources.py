"""News adapters over httpx against a local fake serving recorded payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from ai_engine.domain.clock import ManualClock
from ai_engine.sentiment.articles import BadNewsItem
from ai_engine.sentiment.sources import (
    CoinGeckoNews,
    CryptoPanic,
    RssFeed,
    SourceUnavailable,
    fetch_all,
    parse_coingecko,
    parse_cryptopanic,
    parse_feed,
)

from .conftest import NOW
from .fakes import FIXTURES, FakeNews, json_fixture


async def test_cryptopanic_articles_from_the_fake(
    fake_news: tuple[FakeNews, str], clock: ManualClock
) -> None:
    fake, url = fake_news
    source = CryptoPanic(fake.token, base_url=url, currencies=["BTC", "ETH"])
    async with httpx.AsyncClient() as client:
        parsed = await source.fetch(client, clock)
    assert parsed.errors == ()
    assert [a.id for a in parsed.articles] == ["21874411", "21874102", "21873350", "21872918"]
    first = parsed.articles[0]
    assert first.source == "cryptopanic"
    assert first.title.startswith("Bitcoin ETF Inflows")
    assert first.published_at == datetime(2026, 11, 22, 1, 42, 10, tzinfo=UTC)
    assert first.fetched_at == NOW  # from the injected clock
    assert first.assets == ("BTC",)
    assert parsed.articles[3].assets == ("BTC", "ETH")
    path, query = fake.seen[-1]
    assert path == "/api/v1/posts/"
    assert "currencies=BTC,ETH" in query
    assert "public=true" in query


async def test_coingecko_and_feeds(fake_news: tuple[FakeNews, str], clock: ManualClock) -> None:
    _, url = fake_news
    sources = [
        CoinGeckoNews(base_url=url),
        RssFeed("coindesk", f"{url}/feeds/coindesk.xml"),
        RssFeed("theblock", f"{url}/feeds/theblock.xml"),
    ]
    async with httpx.AsyncClient() as client:
        report = await fetch_all(sources, client, clock)
    assert report.failures == ()
    coingecko, coindesk, theblock = report.parsed
    assert [a.assets for a in coingecko.articles] == [("BTC",), (), ("SOL",)]
    assert coingecko.articles[0].id == coingecko.articles[0].url  # no id: the URL
    assert coingecko.articles[0].published_at == datetime(2026, 11, 21, 22, 0, tzinfo=UTC)
    assert [a.assets for a in coindesk.articles] == [("BTC",), ("ETH",), ()]
    assert coindesk.articles[0].summary == (
        "Open interest in bitcoin calls at the $110,000 strike rose to a record on Deribit."
    )
    assert coindesk.articles[0].published_at == datetime(2026, 11, 22, 1, 55, tzinfo=UTC)
    assert coindesk.articles[0].source == "rss:coindesk"
    assert theblock.articles[0].url.endswith("/solana-record-daily-transactions")
    assert theblock.articles[0].assets == ("SOL",)
    assert theblock.articles[1].published_at == datetime(2026, 11, 21, 18, 12, tzinfo=UTC)


async def test_a_failing_source_is_reported_and_the_others_kept(
    fake_news: tuple[FakeNews, str], clock: ManualClock
) -> None:
    fake, url = fake_news
    fake.statuses["/api/v3/news"] = 503
    sources = [CoinGeckoNews(base_url=url), CryptoPanic("wrong-token-xyz", base_url=url),
               RssFeed("coindesk", f"{url}/feeds/coindesk.xml")]  # fmt: skip
    async with httpx.AsyncClient() as client:
        report = await fetch_all(sources, client, clock)
    assert len(report.parsed) == 1
    assert len(report.parsed[0].articles) == 3
    assert report.failures == (
        "coingecko: GET /api/v3/news answered HTTP 503",
        "cryptopanic: GET /api/v1/posts/ answered HTTP 401",
    )
    assert not any("wrong-token-xyz" in line for line in report.failures)


async def test_an_unreachable_source_never_shows_its_token(clock: ManualClock) -> None:
    source = CryptoPanic("secret-token-abc", base_url="http://127.0.0.1:9")
    async with httpx.AsyncClient() as client:
        with pytest.raises(SourceUnavailable) as caught:
            await source.fetch(client, clock)
    assert "secret-token-abc" not in str(caught.value)
    assert "secret-token-abc" not in repr(source)


def test_malformed_items_name_source_item_and_field_and_the_rest_is_kept() -> None:
    payload = json_fixture("cryptopanic_posts.json")
    payload["results"][1]["published_at"] = "yesterday-ish"
    del payload["results"][2]["title"]
    parsed = parse_cryptopanic(json.dumps(payload).encode(), NOW)
    assert [a.id for a in parsed.articles] == ["21874411", "21872918"]
    assert str(parsed.errors[1]) == "cryptopanic item 2: field 'title': missing or empty"
    first = parsed.errors[0]
    assert (first.source, first.item, first.field) == ("cryptopanic", 1, "published_at")
    assert "yesterday-ish" in str(first)


def test_malformed_coingecko_and_rss_items() -> None:
    payload = json_fixture("coingecko_news.json")
    payload["data"][0]["updated_at"] = None
    payload["data"][2] = "not an object"
    parsed = parse_coingecko(json.dumps(payload).encode(), NOW)
    assert len(parsed.articles) == 1
    assert [(e.item, e.field) for e in parsed.errors] == [(0, "updated_at"), (2, "<item>")]

    xml = (FIXTURES / "coindesk_rss.xml").read_bytes()
    xml = xml.replace(b"<pubDate>Sat, 21 Nov 2026 22:40:12 +0000</pubDate>", b"")
    parsed = parse_feed("coindesk", xml, NOW)
    assert len(parsed.articles) == 2
    assert [(e.source, e.item, e.field) for e in parsed.errors] == [("rss:coindesk", 1, "pubDate")]


@pytest.mark.parametrize(
    ("parse", "body", "field"),
    [
        (parse_cryptopanic, b"<html>rate limited</html>", "<body>"),
        (parse_cryptopanic, b'{"results": 3}', "results"),
        (parse_coingecko, b'{"data": {}}', "data"),
    ],
)
def test_a_malformed_payload_is_one_clear_error(parse: object, body: bytes, field: str) -> None:
    with pytest.raises(BadNewsItem) as caught:
        parse(body, NOW)  # type: ignore[operator]
    assert caught.value.field == field


def test_a_feed_that_is_not_a_feed() -> None:
    with pytest.raises(BadNewsItem, match=r"rss:x: field '<body>': not XML"):
        parse_feed("x", b"{json}", NOW)
    with pytest.raises(BadNewsItem, match="neither RSS nor Atom"):
        parse_feed("x", b"<html><body/></html>", NOW)
