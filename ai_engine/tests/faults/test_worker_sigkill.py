"""A real execution worker process SIGKILLed between submit and ack, then restarted.

The worker (``celery -A ai_engine.workers.order_worker worker``, its own process) sends the
order; the sim applies it and holds the answer (fault ``timeout`` with ``apply``); the worker
is killed with SIGKILL while it waits. The message was never acknowledged (``acks_late``), so a
restarted worker gets it again: it finds the row ``submitted``, queries the client id, finds
the order the dead one placed and records it -- one order at the venue, fills recorded once,
balances equal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ai_engine.settings import Settings
from ai_engine.workers.app import close_celery, make_celery
from ai_engine.workers.orders import TASK

from .conftest import KEY, SECRET, Desk

# celery 5.7's Redis result backend calls redis-py 8's deprecated setex once per result.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")


@contextmanager
def worker_process(
    desk: Desk, redis_url: str, queue: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "TRADINGBOT_DATABASE_URL": desk.database_url,
        "TRADINGBOT_REDIS_URL": redis_url,
        "TRADINGBOT_ORDERS_VENUE": f"sim-spot:{desk.base_url}",
        "TRADINGBOT_ORDERS_API_KEY": KEY,
        "TRADINGBOT_ORDERS_API_SECRET": SECRET,
        "TRADINGBOT_ORDERS_VISIBILITY_S": "2",
        "PYTHONWARNINGS": "ignore",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "ai_engine.workers.order_worker", "worker",
        "-Q", queue, "-P", "solo", "-c", "1", "--without-gossip", "--without-mingle",
        "--without-heartbeat", "-l", "INFO", "-n", f"orders-{uuid.uuid4().hex[:6]}@%h",
    ]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_for(check: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_worker_killed_between_submit_and_ack_is_restarted_and_resolves_by_client_id(
    desk: Desk, redis_url: str, tmp_path: Path
) -> None:
    # The venue applies the first order, then holds its answer for 60 s: the worker waits.
    desk.add_faults({"action": "timeout", "method": "POST", "path": "/api/v3/order",
                     "ms": 60_000, "apply": True, "times": 1})  # fmt: skip
    cid = desk.intent("buy", "0.01")
    queue = f"orders-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    app = make_celery(Settings(), redis_url=redis_url, database_url=desk.database_url)
    try:
        with worker_process(desk, redis_url, queue, log) as first:
            result = app.send_task(TASK, args=[cid], queue=queue)
            _wait_for(lambda: cid in desk.venue_orders(), 60, "the venue to fill the order")
            assert desk.statuses()[cid] == "submitted"  # sent, the answer not yet back
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL
        assert desk.statuses()[cid] == "submitted"  # the dead worker recorded nothing more
        with worker_process(desk, redis_url, queue, log):
            answer = result.get(timeout=90)
        assert answer["status"] == "filled", log.read_text()[-3000:]
        assert answer["note"] == "found at the venue after a redelivery"
        assert {k: len(v) for k, v in desk.venue_orders().items()} == {cid: 1}
        desk.assert_books_match()
    finally:
        close_celery(app)
