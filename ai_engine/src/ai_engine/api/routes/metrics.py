"""``GET /metrics``: Prometheus text format, no authentication (scraped on the private network).

The app's ``StreamScraper`` (built on the first scrape from ``app.state.redis_url``) holds a
registry of its own: the event-derived trading metrics and the Celery queue depth. Without a
Redis URL the page still answers (empty trading metrics).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST
from redis import Redis

from ai_engine.metrics.scrape import StreamScraper

router = APIRouter(tags=["metrics"])


def _scraper(request: Request) -> StreamScraper:
    state = request.app.state
    scraper: StreamScraper | None = getattr(state, "metrics_scraper", None)
    if scraper is None:
        url: str | None = getattr(state, "redis_url", None)
        scraper = StreamScraper(Redis.from_url(url) if url else None)
        state.metrics_scraper = scraper
    return scraper


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    return Response(_scraper(request).render(), media_type=CONTENT_TYPE_LATEST)
