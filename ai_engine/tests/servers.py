"""Real servers the tests start as processes, shared by every test folder (``import servers``:
pytest puts ``tests/`` on ``sys.path``, as for ``sentiment.fakes``).

* ``serve(command, health=URL)``: starts ``command`` and yields a ``Served`` once ``URL``
  answers with one of ``ok`` (default 200); fails the test with the process's output when it
  exits first or does not answer within ``timeout`` seconds; afterwards terminates it (killed
  when it ignores SIGTERM for 10 s) and keeps its output and exit status on the ``Served``
  (a test can then check that it stopped cleanly and what it printed).
* ``engine_api(data_dir, token=, database_url=, redis_url=)``: ``tradingbot api`` (the command
  docker-compose and the stack launcher run: a uvicorn process) on a free port; yields its
  base URL once ``/health`` answers (200, or 503 while a dependency is down).
* ``sim_exchange(data_dir, *args)``: ``tradingbot sim-exchange --port P *args``; yields the
  ``Served`` (``base`` = ``http://127.0.0.1:P``) once the ping route answers (``ping``:
  ``/api/v3/ping``, or ``/fapi/v1/ping`` for a futures-only sim).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from ai_engine.infra.waiting import wait_until

CLI = [sys.executable, "-m", "ai_engine.cli.main"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class Served:
    base: str
    process: subprocess.Popen[str]
    output: str = ""  # what it printed (stdout and stderr), once it has stopped

    @property
    def returncode(self) -> int | None:
        return self.process.returncode


@contextmanager
def serve(
    command: Sequence[str],
    *,
    base: str,
    health: str,
    ok: tuple[int, ...] = (200,),
    env: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> Iterator[Served]:
    """Run ``command`` until the block ends (module docstring)."""
    process = subprocess.Popen(
        list(command),
        env=dict(env) if env is not None else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served = Served(base, process)

    def answering_or_dead() -> bool:
        if process.poll() is not None:
            return True
        try:
            return httpx.get(health, timeout=1).status_code in ok
        except httpx.TransportError:
            return False

    try:
        if not wait_until(answering_or_dead, timeout=timeout) or process.poll() is not None:
            process.kill()
            served.output = process.communicate(timeout=10)[0]
            pytest.fail(f"{' '.join(command[:6])}... did not start: {served.output}")
        yield served
    finally:
        if process.returncode is None:  # not yet reaped (the failure above reaps it)
            process.terminate()
            try:
                served.output = process.communicate(timeout=10)[0]
            except subprocess.TimeoutExpired:
                process.kill()
                served.output = process.communicate(timeout=10)[0]


@contextmanager
def engine_api(
    data_dir: Path, *, token: str, database_url: str, redis_url: str, timeout: float = 30.0
) -> Iterator[str]:
    """``tradingbot api`` on a free port; yields ``http://127.0.0.1:PORT`` (module docstring)."""
    port = free_port()
    env = {
        **os.environ,
        "TRADINGBOT_API_TOKEN": token,
        "TRADINGBOT_DATABASE_URL": database_url,
        "TRADINGBOT_REDIS_URL": redis_url,
        "TRADINGBOT_LOG_LEVEL": "WARNING",
    }
    command = [*CLI, "--data-dir", str(data_dir), "api", "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with serve(
        command, base=base, health=f"{base}/health", ok=(200, 503), env=env, timeout=timeout
    ) as served:
        yield served.base


@contextmanager
def sim_exchange(data_dir: Path, *args: str, ping: str = "/api/v3/ping") -> Iterator[Served]:
    """``tradingbot sim-exchange`` on a free port (module docstring)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [*CLI, "--data-dir", str(data_dir), "sim-exchange", "--port", str(port), *args]
    with serve(command, base=base, health=base + ping) as served:
        yield served


def signed_get(base_url: str, path: str, params: dict[str, str], *, key: str, secret: str) -> Any:
    """A signed GET as a Binance client sends it (HMAC-SHA256 of the query string), its JSON:
    to read what a sim exchange holds for an account without a client library."""
    query = urlencode({**params, "timestamp": str(int(time.time() * 1000))})
    signature = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    answer = httpx.get(
        f"{base_url}{path}?{query}&signature={signature}", headers={"X-MBX-APIKEY": key}
    )
    answer.raise_for_status()
    return answer.json()
