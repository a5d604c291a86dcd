"""CryptoPanic: ``GET {base}/api/v1/posts/?auth_token=..&public=true&kind=news[&currencies=..]``.

Payload: ``{"count", "next", "previous", "results": [{"id", "kind", "title", "url",
"published_at" (ISO), "created_at", "domain", "source": {...}, "currencies": [{"code", ...}]}]}``.
Assets come from ``currencies[].code``, else from the title. The token is a query parameter:
it never appears in an error message (see ``base``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx

from ai_engine.domain.clock import Clock
from ai_engine.sentiment.articles import Article, BadNewsItem, Parsed
from ai_engine.sentiment.assets import assets_in, clean_assets
from ai_engine.sentiment.sources._fields import collect, json_body, parse_time, text_field
from ai_engine.sentiment.sources.base import get_body

NAME = "cryptopanic"
BASE_URL = "https://cryptopanic.com"


def parse_cryptopanic(body: bytes, fetched_at: datetime) -> Parsed:
    payload = json_body(body, NAME)
    results = payload.get("results") if isinstance(payload, dict) else None
    if not isinstance(results, list):
        raise BadNewsItem(NAME, "results", "missing or not a list")
    return collect(NAME, results, fetched_at, _article)


def _article(item: dict[str, Any], index: int, fetched_at: datetime) -> Article:
    title = text_field(item, "title", NAME, index)
    currencies = item.get("currencies") or []
    if not isinstance(currencies, list):
        raise BadNewsItem(NAME, "currencies", "not a list", item=index)
    codes = clean_assets([c.get("code") for c in currencies if isinstance(c, dict)])
    summary = item.get("description") or item.get("body") or ""
    return Article(
        source=NAME,
        id=text_field(item, "id", NAME, index),
        url=text_field(item, "url", NAME, index),
        title=title,
        summary=summary if isinstance(summary, str) else "",
        published_at=parse_time(item.get("published_at"), "published_at", NAME, index),
        fetched_at=fetched_at,
        assets=codes or assets_in(title),
    )


class CryptoPanic:
    name = NAME

    def __init__(
        self, token: str, *, base_url: str = BASE_URL, currencies: Sequence[str] = ()
    ) -> None:
        self._token = token
        self.base_url = base_url.rstrip("/")
        self.currencies = tuple(currencies)

    def __repr__(self) -> str:  # the token stays out of logs and tracebacks
        return f"CryptoPanic(base_url={self.base_url!r}, currencies={self.currencies!r})"

    async def fetch(self, client: httpx.AsyncClient, clock: Clock) -> Parsed:
        params = {"auth_token": self._token, "public": "true", "kind": "news"}
        if self.currencies:
            params["currencies"] = ",".join(self.currencies)
        body = await get_body(client, NAME, f"{self.base_url}/api/v1/posts/", params)
        return parse_cryptopanic(body, clock.now())
