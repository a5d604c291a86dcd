"""What every source shares: the protocol, one guarded GET, and fetching several at once.

Rules:
* A source that cannot be reached or answers non-2xx raises ``SourceUnavailable`` (retryable);
  ``fetch_all`` turns that into an error line and goes on with the other sources.
* Secrets travel as query parameters for some sources (CryptoPanic's ``auth_token``): messages
  never include the request URL or its query, only the source name and the path.
* Payloads larger than ``MAX_BYTES`` are refused (a feed is a few hundred kB at most).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import httpx

from ai_engine.domain.clock import Clock
from ai_engine.domain.errors import RetryableError
from ai_engine.sentiment.articles import Parsed

MAX_BYTES = 5_000_000


class SourceUnavailable(RetryableError):  # noqa: N818 - reads as "source unavailable"
    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source


class NewsSource(Protocol):
    name: str

    async def fetch(self, client: httpx.AsyncClient, clock: Clock) -> Parsed: ...


@dataclass(frozen=True)
class FetchReport:
    parsed: tuple[Parsed, ...]
    failures: tuple[str, ...]  # one line per source that could not be fetched at all


async def get_body(
    client: httpx.AsyncClient,
    source: str,
    url: str,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """The body of a 2xx answer to GET ``url``; ``SourceUnavailable`` otherwise (no secrets)."""
    path = httpx.URL(url).path
    try:
        response = await client.get(url, params=params, headers=headers)
    except httpx.TimeoutException:
        raise SourceUnavailable(source, f"GET {path} timed out") from None
    except httpx.HTTPError as exc:
        raise SourceUnavailable(source, f"GET {path} failed: {type(exc).__name__}") from None
    if response.status_code // 100 != 2:
        raise SourceUnavailable(source, f"GET {path} answered HTTP {response.status_code}")
    body = response.content
    if len(body) > MAX_BYTES:
        raise SourceUnavailable(source, f"GET {path} answered {len(body)} bytes (> {MAX_BYTES})")
    return body


async def fetch_all(
    sources: Sequence[NewsSource], client: httpx.AsyncClient, clock: Clock
) -> FetchReport:
    """Fetch every source concurrently; a failing source is reported, never raised."""
    results = await asyncio.gather(
        *(s.fetch(client, clock) for s in sources), return_exceptions=True
    )
    parsed: list[Parsed] = []
    failures: list[str] = []
    for source, result in zip(sources, results, strict=True):
        if isinstance(result, SourceUnavailable):
            failures.append(str(result))
        elif isinstance(result, BaseException):
            if not isinstance(result, Exception):
                raise result  # KeyboardInterrupt, cancellation: not ours to swallow
            failures.append(f"{source.name}: {type(result).__name__}: {result}")
        else:
            parsed.append(result)
    return FetchReport(tuple(parsed), tuple(failures))
