"""CoinGecko news: ``GET {base}/api/v3/news`` (header ``x-cg-pro-api-key`` when a key is set).

Two shapes are read, both seen from CoinGecko: the legacy ``{"data": [{"title", "description",
"url", "updated_at" (epoch s), "news_site", ...}], "count", "page"}`` and the newer list of
``{"id", "title", "url", "posted_at" (ISO), "source_name", "related_coin_ids": [...]}``.
Items without an ``id`` are identified by their URL. Assets from ``related_coin_ids`` (mapped
to tickers), else from the title and description.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from ai_engine.domain.clock import Clock
from ai_engine.sentiment.articles import Article, BadNewsItem, Parsed
from ai_engine.sentiment.assets import COINGECKO_IDS, assets_in
from ai_engine.sentiment.sources._fields import collect, json_body, parse_time, text_field
from ai_engine.sentiment.sources.base import get_body

NAME = "coingecko"
BASE_URL = "https://api.coingecko.com"


def parse_coingecko(body: bytes, fetched_at: datetime) -> Parsed:
    payload = json_body(body, NAME)
    items = payload.get("data") if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        raise BadNewsItem(NAME, "data", "missing or not a list")
    return collect(NAME, items, fetched_at, _article)


def _article(item: dict[str, Any], index: int, fetched_at: datetime) -> Article:
    title = text_field(item, "title", NAME, index)
    url = text_field(item, "url", NAME, index)
    summary = text_field(item, "description", NAME, index, required=False)
    time_field = "posted_at" if "posted_at" in item else "updated_at"
    coins = item.get("related_coin_ids") or []
    tagged = tuple(
        sorted({COINGECKO_IDS[c] for c in coins if isinstance(c, str) and c in COINGECKO_IDS})
    )
    return Article(
        source=NAME,
        id=text_field(item, "id", NAME, index, required=False) or url,
        url=url,
        title=title,
        summary=summary,
        published_at=parse_time(item.get(time_field), time_field, NAME, index),
        fetched_at=fetched_at,
        assets=tagged or assets_in(title, summary),
    )


class CoinGeckoNews:
    name = NAME

    def __init__(self, *, base_url: str = BASE_URL, api_key: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"CoinGeckoNews(base_url={self.base_url!r})"

    async def fetch(self, client: httpx.AsyncClient, clock: Clock) -> Parsed:
        headers = {"x-cg-pro-api-key": self._api_key} if self._api_key else None
        body = await get_body(client, NAME, f"{self.base_url}/api/v3/news", headers=headers)
        return parse_coingecko(body, clock.now())
