"""Reading a JSON news payload and one field of one item, with errors that name the source,
item and field. ``collect`` keeps every item that parses and names every one that does not."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from ai_engine.sentiment.articles import Article, BadNewsItem, Parsed

ReadItem = Callable[[dict[str, Any], int, datetime], Article]


def json_body(body: bytes, source: str) -> Any:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadNewsItem(source, "<body>", f"not JSON ({exc})") from None


def collect(source: str, items: list[Any], fetched_at: datetime, read: ReadItem) -> Parsed:
    articles: list[Article] = []
    errors: list[BadNewsItem] = []
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise BadNewsItem(
                    source, "<item>", f"expected an object, got {type(item).__name__}", item=index
                )
            articles.append(read(item, index, fetched_at))
        except BadNewsItem as exc:
            errors.append(exc)
    return Parsed(source, tuple(articles), tuple(errors))


def text_field(
    item: dict[str, Any], name: str, source: str, index: int, *, required: bool = True
) -> str:
    value = item.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise BadNewsItem(source, name, "missing or empty", item=index)
        return ""
    if not isinstance(value, str | int):
        raise BadNewsItem(source, name, f"expected text, got {type(value).__name__}", item=index)
    return str(value).strip()


def parse_time(value: object, field: str, source: str, index: int) -> datetime:
    """ISO-8601 (``Z`` or offset), RFC 822 (RSS) or epoch seconds -> tz-aware UTC."""
    if isinstance(value, bool) or value is None or value == "":
        raise BadNewsItem(source, field, "missing time", item=index)
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(float(value), UTC)
        if not isinstance(value, str):
            raise TypeError(type(value).__name__)
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, OverflowError, OSError, IndexError) as exc:
        raise BadNewsItem(source, field, f"not a time: {value!r} ({exc})", item=index) from None
    if parsed.tzinfo is None:
        raise BadNewsItem(source, field, f"time without a zone: {value!r}", item=index)
    return parsed.astimezone(UTC)
