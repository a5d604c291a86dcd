"""Fixtures of the alert tests: the fake Bot API, the engine API (a real `tradingbot api`
process), and the alerts process itself (``run_alerts`` in this event loop)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import servers

from ai_engine.alerts.service import AlertService
from ai_engine.alerts.settings import AlertSettings
from ai_engine.marketdata import import_files
from ai_engine.marketdata.importer import expand_paths
from ai_engine.settings import Settings

from .fake_bot_api import FakeBotApi

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"  # shaped like a real one
API_TOKEN = "engine-api-token-for-tests"
OPERATOR, STRANGER = 4242, 6666
SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"


@pytest.fixture
async def fake_bot() -> AsyncIterator[FakeBotApi]:
    fake = FakeBotApi(TOKEN)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture(scope="session")
def alert_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("store")
    import_files(expand_paths([SAMPLE_DIR / "binance" / "spot"]), root)
    return root


@pytest.fixture
def engine_api(alert_store: Path, database_url: str, redis_url: str) -> Iterator[str]:
    """`tradingbot api` (the command docker-compose runs), on a free port."""
    with servers.engine_api(
        alert_store, token=API_TOKEN, database_url=database_url, redis_url=redis_url
    ) as base:
        yield base


@dataclass
class RunningAlerts:
    service: AlertService
    task: asyncio.Task[None]
    stop: asyncio.Event


def make_settings(
    fake: FakeBotApi, api_url: str, **thresholds: Any
) -> tuple[Settings, AlertSettings]:
    settings = Settings(_env_file=None, api_token=API_TOKEN)  # type: ignore[call-arg,arg-type]
    alerts = AlertSettings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_token=TOKEN,  # type: ignore[arg-type]
        telegram_chat_ids=(OPERATOR,),
        telegram_base_url=f"{fake.url}/bot",
        engine_api_url=api_url,
        telegram_poll_timeout_s=1,  # stopping waits for the poll in flight
        **thresholds,
    )
    return settings, alerts


@pytest.fixture
async def start_alerts(
    fake_bot: FakeBotApi, redis_url: str, database_url: str
) -> AsyncIterator[Callable[..., Any]]:
    """Start ``run_alerts`` (Telegram polling + the alert loop); stopped after the test."""
    from ai_engine.alerts.runner import run_alerts

    running: list[RunningAlerts] = []

    async def start(api_url: str = "http://127.0.0.1:9", **kwargs: Any) -> RunningAlerts:
        clock = kwargs.pop("clock", None)
        settings, alerts = make_settings(fake_bot, api_url, **kwargs)
        stop = asyncio.Event()
        ready: asyncio.Future[AlertService] = asyncio.get_running_loop().create_future()

        def on_ready(service: AlertService) -> None:
            service.block_ms = 100
            service.evaluate_every_s = 0.1
            if clock is not None:
                service.clock = clock
            ready.set_result(service)

        task = asyncio.create_task(
            run_alerts(
                settings,
                alerts,
                redis_url=redis_url,
                database_url=database_url,
                stop=stop,
                on_ready=on_ready,
            )
        )
        done, _ = await asyncio.wait({task, ready}, timeout=20, return_when="FIRST_COMPLETED")
        if task in done:
            task.result()  # raises what stopped it
        service = await asyncio.wait_for(ready, 1)
        run = RunningAlerts(service, task, stop)
        running.append(run)
        return run

    yield start
    for run in running:
        run.stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(run.task, 15)
