"""RSS 2.0 and Atom feeds, parsed with the standard library's ElementTree.

feedparser is not a dependency. ElementTree does not fetch external entities, and the expat
bundled with Python 3.11 refuses "billion laughs" entity expansion; payloads are also capped
in size (``base.MAX_BYTES``). RSS: ``channel/item`` with ``title``, ``link``, ``guid``,
``pubDate`` (RFC 822), ``description``. Atom: ``feed/entry`` with ``title``, ``link@href``,
``id``, ``published`` or ``updated`` (ISO-8601), ``summary``. Assets: matched in the text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime

import httpx

from ai_engine.domain.clock import Clock
from ai_engine.sentiment.articles import Article, BadNewsItem, Parsed
from ai_engine.sentiment.assets import assets_in
from ai_engine.sentiment.sources._fields import parse_time
from ai_engine.sentiment.sources.base import get_body

_ATOM = "{http://www.w3.org/2005/Atom}"
_TAGS = re.compile(r"<[^>]+>")


def parse_feed(name: str, body: bytes, fetched_at: datetime) -> Parsed:
    source = f"rss:{name}"
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise BadNewsItem(source, "<body>", f"not XML ({exc})") from None
    read: Callable[[ET.Element, str, int, datetime], Article]
    if root.tag == f"{_ATOM}feed":
        items, read = root.findall(f"{_ATOM}entry"), _atom_entry
    elif root.tag == "rss" and root.find("channel") is not None:
        items, read = root.findall("channel/item"), _rss_item
    else:
        raise BadNewsItem(source, "<root>", f"neither RSS nor Atom (root {root.tag!r})")
    articles: list[Article] = []
    errors: list[BadNewsItem] = []
    for index, item in enumerate(items):
        try:
            articles.append(read(item, source, index, fetched_at))
        except BadNewsItem as exc:
            errors.append(exc)
    return Parsed(source, tuple(articles), tuple(errors))


def _text(item: ET.Element, tag: str) -> str:
    found = item.find(tag)
    return "" if found is None or found.text is None else found.text.strip()


def _required(value: str, field: str, source: str, index: int) -> str:
    if not value:
        raise BadNewsItem(source, field, "missing or empty", item=index)
    return value


def _plain(html: str) -> str:
    return " ".join(_TAGS.sub(" ", html).split())


def _rss_item(item: ET.Element, source: str, index: int, fetched_at: datetime) -> Article:
    title = _required(_text(item, "title"), "title", source, index)
    link = _text(item, "link")
    summary = _plain(_text(item, "description"))
    return Article(
        source=source,
        id=_required(_text(item, "guid") or link, "guid", source, index),
        url=_required(link, "link", source, index),
        title=title,
        summary=summary,
        published_at=parse_time(_text(item, "pubDate"), "pubDate", source, index),
        fetched_at=fetched_at,
        assets=assets_in(title, summary),
    )


def _atom_entry(entry: ET.Element, source: str, index: int, fetched_at: datetime) -> Article:
    title = _required(_text(entry, f"{_ATOM}title"), "title", source, index)
    link = entry.find(f"{_ATOM}link[@rel='alternate']")
    if link is None:  # (an Element's truth value is its child count: compare with None)
        link = entry.find(f"{_ATOM}link")
    href = "" if link is None else link.get("href", "").strip()
    summary = _plain(_text(entry, f"{_ATOM}summary") or _text(entry, f"{_ATOM}content"))
    stamp_field = "published" if entry.find(f"{_ATOM}published") is not None else "updated"
    return Article(
        source=source,
        id=_required(_text(entry, f"{_ATOM}id") or href, "id", source, index),
        url=_required(href, "link", source, index),
        title=title,
        summary=summary,
        published_at=parse_time(_text(entry, f"{_ATOM}{stamp_field}"), stamp_field, source, index),
        fetched_at=fetched_at,
        assets=assets_in(title, summary),
    )


class RssFeed:
    def __init__(self, name: str, url: str) -> None:
        self.name = f"rss:{name}"
        self.feed_name = name
        self.url = url

    def __repr__(self) -> str:
        return f"RssFeed({self.feed_name!r}, {self.url!r})"

    async def fetch(self, client: httpx.AsyncClient, clock: Clock) -> Parsed:
        body = await get_body(client, self.name, self.url)
        return parse_feed(self.feed_name, body, clock.now())
