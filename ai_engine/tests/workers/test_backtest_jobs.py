"""``backtest.jobs.run_job`` (what ``research.run_backtest`` does) on real PostgreSQL: a job
that cannot run is marked failed with its reason, a finished one is not run again."""

from __future__ import annotations

import uuid
from pathlib import Path

from ai_engine.backtest.jobs import JobSpec, check_spec, run_job
from ai_engine.store import backtest_queries as q
from ai_engine.store.db import make_engine, session_factory

START_MS = 1_679_529_600_000  # 2023-03-23T00:00:00Z
DAY_MS = 86_400_000


def _submit(database_url: str, spec: JobSpec) -> str:
    engine = make_engine(database_url)
    job_id = uuid.uuid4()
    with session_factory(engine).begin() as session:
        q.insert(
            session, job_id, strategy=spec.strategy, interval=spec.interval, spec=spec.to_dict()
        )
    engine.dispose()
    return str(job_id)


def _row(database_url: str, job_id: str) -> tuple[str, float, str | None, int]:
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        row = q.get(session, uuid.UUID(job_id))
        assert row is not None
        out = (row.status, row.progress, row.error, q.trade_count(session, row.id))
    engine.dispose()
    return out


def test_a_job_without_data_fails_with_its_reason(database_url: str, research_store: Path) -> None:
    # The data was there when the job was accepted and is gone when it runs (another store).
    spec = check_spec(
        strategy="ema_cross", params={}, symbols=["BTCUSDT"], interval="1m", start_ms=START_MS,
        end_ms=START_MS + DAY_MS, market="spot", config={}, store_dir=research_store,
    )  # fmt: skip
    job_id = _submit(database_url, spec)
    assert run_job(database_url, research_store / "elsewhere", job_id) == "failed"
    status, _, error, trades = _row(database_url, job_id)
    assert status == "failed"
    assert error is not None
    assert "no bars for binance spot BTCUSDT 1m" in error
    assert trades == 0


def test_a_done_job_is_not_run_twice(database_url: str, research_store: Path) -> None:
    spec = check_spec(
        strategy="ema_cross", params={"fast": 5, "slow": 20}, symbols=["ETHUSDT"], interval="5m",
        start_ms=START_MS, end_ms=START_MS + 3 * DAY_MS, market="spot", config={"cash": 100},
        store_dir=research_store,
    )  # fmt: skip
    assert spec.params == {"fast": 5, "slow": 20, "fee_rate": 0.001}
    job_id = _submit(database_url, spec)
    assert run_job(database_url, research_store, job_id) == "done"
    status, progress, error, trades = _row(database_url, job_id)
    assert (status, progress, error) == ("done", 1.0, None)
    assert trades > 0
    # A redelivered message: the job is done, nothing runs, nothing is duplicated.
    assert run_job(database_url, research_store / "elsewhere", job_id) == "done"
    assert _row(database_url, job_id)[3] == trades
