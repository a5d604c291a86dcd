"""The stack launcher's bookkeeping without starting the stack: the Rails environment it
builds, the description file, which recorded pids it may signal, `down` with nothing recorded,
and `up` refusing to start a second stack on the same var dir."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ai_engine.infra import rails
from ai_engine.infra import stack as stack_infra
from ai_engine.infra.errors import ServiceError
from ai_engine.infra.stack import Stack, StackProcess
from ai_engine.settings import Settings


def _settings(var_dir: Path) -> Settings:
    return Settings(_env_file=None, var_dir=var_dir, database_url=None, redis_url=None)  # type: ignore[call-arg]


def _stack(var_dir: Path, processes: list[StackProcess]) -> Stack:
    return Stack(
        var_dir=str(var_dir), rails_url="http://127.0.0.1:1", cable_url="ws://127.0.0.1:1/cable",
        dashboard_url=None, engine_url="http://127.0.0.1:2", engine_api_token="t0ken",
        database_url="postgresql+psycopg://postgres@127.0.0.1:3/tradingbot",
        redis_url="redis://127.0.0.1:4/0", operator={"email": "o@x", "password": "p"},
        viewer={"email": "v@x", "password": "p"}, logs=str(var_dir), speed="20", trader=False,
        services_started=False, started_at="2026-11-22T03:00:00+00:00", processes=processes,
    )  # fmt: skip


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()


def test_rails_environment_uses_libpq_url_and_separate_redis_databases(tmp_path: Path) -> None:
    config = rails.RailsConfig(
        database_url="postgresql+psycopg://postgres@127.0.0.1:5555/tradingbot",
        redis_url="redis://127.0.0.1:6666/0",
        engine_url="http://127.0.0.1:7777",
        engine_token="secret",
        port=8888,
        secret_key_base="k" * 128,
        dashboard_dist=tmp_path,
    )
    env = rails.environment(config, base={"DASHBOARD_DIST": "/elsewhere", "HOME": "/root"})
    assert env["DATABASE_URL"] == "postgresql://postgres@127.0.0.1:5555/tradingbot"
    assert env["REDIS_URL"] == "redis://127.0.0.1:6666/1"  # ActionCable pub/sub
    assert env["EVENTS_REDIS_URL"] == "redis://127.0.0.1:6666/0"  # the engine's stream
    assert (env["PORT"], env["ENGINE_API_TOKEN"], env["RAILS_ENV"]) == (
        "8888",
        "secret",
        "production",
    )
    assert env["DASHBOARD_DIST"] == str(tmp_path)
    assert env["HOME"] == "/root"
    without = rails.environment(
        rails.RailsConfig(**{**config.__dict__, "dashboard_dist": None}),
        base={"DASHBOARD_DIST": "/x"},
    )
    assert "DASHBOARD_DIST" not in without


def test_description_round_trips_and_is_private(tmp_path: Path) -> None:
    described = _stack(tmp_path, [StackProcess("rails", 1, ["puma"], "/l", "puma")])
    path = tmp_path / "out" / "stack.json"
    stack_infra.write_json(described, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Stack.from_dict(json.loads(path.read_text())) == described


def test_only_live_pids_running_the_recorded_program_count_as_ours(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    mine = StackProcess("worker", sleeper.pid, ["python"], "/l", "time.sleep(60)")
    recycled = StackProcess("rails", sleeper.pid, ["puma"], "/l", "puma")
    gone = StackProcess("relay", 2**22 + 1, ["bin/relay"], "/l", "relay:run")
    described = _stack(tmp_path, [mine, recycled, gone])
    assert stack_infra.running(described) == [mine]


def test_down_with_nothing_recorded_stops_nothing(tmp_path: Path) -> None:
    assert stack_infra.down(_settings(tmp_path)) == []


def test_up_refuses_while_a_recorded_stack_runs(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    if rails.ruby_problem() is not None:
        pytest.skip(f"needs Ruby: {rails.ruby_problem()}")
    settings = _settings(tmp_path)
    live = StackProcess("worker", sleeper.pid, ["python"], "/l", "time.sleep(60)")
    stack_infra.write_json(_stack(tmp_path, [live]), stack_infra.stack_dir(settings) / "stack.json")
    with pytest.raises(ServiceError, match="already runs"):
        stack_infra.up(settings)
    assert sleeper.poll() is None  # refused, and left alone


def test_down_stops_the_processes_of_an_up_killed_while_starting(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    settings = _settings(tmp_path)
    starting = stack_infra.stack_dir(settings) / stack_infra.STARTING_FILE
    process = StackProcess("engine", sleeper.pid, ["python"], "/l", "time.sleep(60)")
    stack_infra.write_json(_stack(tmp_path, [process]), starting)
    if rails.ruby_problem() is None:
        with pytest.raises(ServiceError, match="stack down"):
            stack_infra.up(settings)
    assert stack_infra.down(settings) == ["engine"]
    assert sleeper.wait(timeout=15) == -15  # SIGTERM
    assert not starting.exists()
