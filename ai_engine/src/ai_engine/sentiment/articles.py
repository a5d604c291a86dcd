"""News articles as the engine keeps them, and the error for one bad item in a feed.

Rules:
* ``published_at`` and ``fetched_at`` are tz-aware UTC. ``fetched_at`` comes from the injected
  clock of whoever fetched the article: it is the moment the engine could first know the news,
  and the point-in-time rule (``docs/sentiment.md``) is built on it, never on ``published_at``
  (a source may back-date or post-date its items).
* ``(source, id)`` identifies an article; ``id`` is the source's own id (or the URL when the
  source has none).
* A malformed item is a ``BadNewsItem`` naming the source, the item's position and the field;
  the parser keeps every other item (``Parsed.errors`` collects the bad ones).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ai_engine.domain.clock import require_utc
from ai_engine.domain.errors import DomainValueError


class BadNewsItem(DomainValueError):  # noqa: N818 - reads as "a bad news item"
    """One item of a news payload could not be read (or the whole payload, ``item=None``)."""

    def __init__(self, source: str, field: str, problem: str, *, item: int | None = None) -> None:
        where = source if item is None else f"{source} item {item}"
        super().__init__(f"{where}: field {field!r}: {problem}")
        self.source = source
        self.field = field
        self.item = item


@dataclass(frozen=True, slots=True)
class Article:
    source: str  # "cryptopanic", "coingecko", "rss:<feed name>"
    id: str
    url: str
    title: str
    summary: str
    published_at: datetime
    fetched_at: datetime
    assets: tuple[str, ...] = ()  # upper-case tickers the source (or our matcher) tagged

    def __post_init__(self) -> None:
        require_utc(self.published_at, what="published_at")
        require_utc(self.fetched_at, what="fetched_at")
        if not self.source or not self.id or not self.title:
            raise DomainValueError("an article needs a source, an id and a title")

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.id)


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one fetch of one source gave: the good articles and the bad items."""

    source: str
    articles: tuple[Article, ...] = ()
    errors: tuple[BadNewsItem, ...] = field(default=())
