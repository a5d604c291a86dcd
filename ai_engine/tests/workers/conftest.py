"""A real Celery research worker (in a thread of the test process, solo pool) on the test
Redis, with a Parquet store of real sample bars."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import celery.contrib.testing.tasks  # noqa: F401 - registers celery.ping, which start_worker needs
import pytest
from celery.contrib.testing.worker import start_worker

from ai_engine.marketdata.importer import expand_paths, import_files
from ai_engine.settings import Settings
from ai_engine.workers.app import close_celery, make_celery

KLINES = Path(__file__).resolve().parents[2] / "sample_data" / "binance" / "spot" / "klines_1m"

# celery 5.7's Redis result backend calls redis-py 8's deprecated setex once per result.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")


@pytest.fixture(scope="session")
def research_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """BTCUSDT and ETHUSDT spot 1m, 2023-03-23 .. 25 (real sample bars)."""
    root = tmp_path_factory.mktemp("research-store")
    import_files(expand_paths(sorted(KLINES.glob("*USDT-1m-2023-03-2*.csv.gz"))), root)
    return root


@pytest.fixture
def celery_app(research_store: Path, redis_url: str) -> Iterator[Any]:
    settings = Settings(_env_file=None, data_dir=research_store)  # type: ignore[call-arg]
    app = make_celery(settings, redis_url=redis_url)
    yield app
    close_celery(app)


@pytest.fixture
def research_worker() -> Callable[[Any], AbstractContextManager[Any]]:
    """``with research_worker(app):`` runs a worker consuming the research queue."""

    def run(app: Any) -> AbstractContextManager[Any]:
        return start_worker(
            app,
            pool="solo",
            concurrency=1,
            queues=["research"],
            perform_ping_check=False,
            shutdown_timeout=30,
            loglevel="WARNING",
        )

    return run


@pytest.fixture
def worker(
    celery_app: Any, research_worker: Callable[[Any], AbstractContextManager[Any]]
) -> Iterator[Any]:
    with research_worker(celery_app) as running:
        yield running
