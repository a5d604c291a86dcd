"""The whole system on one machine, for the demo and the browser tests: `tradingbot stack up|down`.

`up` starts, on free ports: PostgreSQL + Redis (`local_services`, reused when already up), the
engine schema and the bundled real data, the engine API (uvicorn), the Celery research worker,
Rails on puma (serving the built dashboard when frontend/dist exists) and the event relay, then
the demo bot replaying real data (`tradingbot run --config bots/demo.yaml --mode replay`). It
returns once the engine answers and Rails' /api/health sees the engine and the relay ok.

Rules:
- Every process runs detached (its own session, so its own process group) with its output in
  <var>/stack/logs/<name>.log; `stack.json` there records pid, command line and log of each, the
  URLs, the engine token (generated per stack; Rails gets it, the browser never does) and the
  demo credentials. The file is readable by its owner only.
- `down` stops the recorded process groups (SIGTERM, SIGKILL after a grace period), newest
  first, after checking each pid still runs the recorded command (pids get recycled); it stops
  PostgreSQL and Redis only when this stack started them.
- A failed `up` stops what it started before raising ServiceError.
- One stack per var dir: `up` refuses while the recorded one still runs.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ai_engine.infra import local_services, rails
from ai_engine.infra.errors import ServiceError
from ai_engine.infra.ports import free_port
from ai_engine.infra.processes import command_line, pid_alive, read_tail
from ai_engine.infra.waiting import wait_until
from ai_engine.settings import Settings

STATE_FILE = "stack.json"
STARTING_FILE = "starting.json"  # the processes of an `up` still in progress (or killed in it)
READY_TIMEOUT = 120.0
STOP_GRACE = 10.0
DEFAULT_SPEED = "20"
DEMO_BOT = rails.REPO_ROOT / "bots" / "demo.yaml"
DASHBOARD_DIST = rails.REPO_ROOT / "frontend" / "dist"
SAMPLE_DIR = rails.REPO_ROOT / "ai_engine" / "sample_data"


@dataclass(frozen=True)
class StackProcess:
    """One process `up` started."""

    name: str
    pid: int
    command: list[str]
    log: str
    marker: str  # found in its /proc cmdline while it is this process (pids get recycled)


@dataclass
class Stack:
    """What `up` started and where it answers (written to stack.json and --json)."""

    var_dir: str
    rails_url: str
    cable_url: str
    dashboard_url: str | None
    engine_url: str
    engine_api_token: str
    database_url: str
    redis_url: str
    operator: dict[str, str]
    viewer: dict[str, str]
    logs: str
    speed: str
    trader: bool
    services_started: bool
    started_at: str
    processes: list[StackProcess] = field(default_factory=list)
    launcher: str = "tradingbot stack"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Stack:
        values = dict(raw)
        values["processes"] = [StackProcess(**p) for p in raw.get("processes", [])]
        return cls(**values)


@dataclass(frozen=True)
class StackOptions:
    speed: str = DEFAULT_SPEED
    trader: bool = True
    bot_config: Path = DEMO_BOT
    dashboard_dist: Path | None = DASHBOARD_DIST  # used only when it holds index.html
    sample_dir: Path | None = SAMPLE_DIR  # imported into the store (idempotent); None: skip
    dashboard_origin: str = ""
    operator: tuple[str, str] = ("operator@example.com", "operator-demo")
    viewer: tuple[str, str] = ("viewer@example.com", "viewer-demo")
    ready_timeout: float = READY_TIMEOUT


def stack_dir(settings: Settings) -> Path:
    return (settings.var_dir / "stack").resolve()


def load(settings: Settings) -> Stack | None:
    """The recorded stack (None when there is none)."""
    path = stack_dir(settings) / STATE_FILE
    try:
        return Stack.from_dict(json.loads(path.read_text()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        raise ServiceError(f"cannot read {path} ({exc}); delete it after stopping by hand") from exc


def running(stack: Stack) -> list[StackProcess]:
    """The recorded processes that still run their recorded command."""
    return [p for p in stack.processes if _is_ours(p)]


def up(
    settings: Settings,
    options: StackOptions | None = None,
    *,
    progress: Callable[[str], None] = lambda _message: None,
) -> Stack:
    """Start the stack (module docstring) and return it; ServiceError when it cannot start."""
    opts = options or StackOptions()
    problem = rails.ruby_problem()
    if problem is not None:
        raise ServiceError(f"the stack needs Rails: {problem}")
    previous = load(settings)
    if previous is not None and running(previous):
        raise ServiceError(
            f"a stack already runs from {stack_dir(settings)} (Rails at {previous.rails_url}); "
            "run `tradingbot stack down` first"
        )
    home = stack_dir(settings)
    if (home / STARTING_FILE).exists():
        raise ServiceError(
            f"another `stack up` is starting from {home}, or one was killed while starting; "
            "run `tradingbot stack down` first"
        )
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    before = local_services.status(settings)
    services_started = not (before.postgres.answering and before.redis.answering)
    progress("PostgreSQL and Redis")
    urls = local_services.up(settings)
    started: list[StackProcess] = []
    try:
        stack = _start(settings, opts, urls, home, started, services_started, progress)
    except BaseException:
        _stop_all(started)
        (home / STARTING_FILE).unlink(missing_ok=True)
        if services_started:
            local_services.down(settings)
        raise
    return stack


def _start(
    settings: Settings,
    opts: StackOptions,
    urls: local_services.ServiceUrls,
    home: Path,
    started: list[StackProcess],
    services_started: bool,
    progress: Callable[[str], None],
) -> Stack:
    from ai_engine.store.migrate import upgrade  # heavy imports, only when starting

    logs = home / "logs"
    progress("engine schema")
    upgrade(urls.database_url)
    if opts.sample_dir is not None:
        progress(f"bundled real data from {opts.sample_dir}")
        _import_sample(settings, opts.sample_dir)

    token = secrets.token_urlsafe(32)
    engine_port = free_port()
    rails_port = free_port()
    while rails_port == engine_port:
        rails_port = free_port()
    engine_url = f"http://127.0.0.1:{engine_port}"
    rails_url = f"http://127.0.0.1:{rails_port}"
    engine_env = _engine_env(settings, urls, token)

    def launch(
        name: str, command: Sequence[str], cwd: Path, env: dict[str, str], marker: str
    ) -> None:
        started.append(_launch(name, list(command), cwd, env, logs / f"{name}.log", marker))
        _write_private(home / STARTING_FILE, {"processes": [asdict(p) for p in started]})

    progress(f"engine API on {engine_url}, research worker")
    python = sys.executable
    launch("engine", [python, "-m", "ai_engine.cli.main", "api", "--port", str(engine_port)],
           rails.REPO_ROOT, engine_env, "ai_engine.cli.main api")  # fmt: skip
    launch("worker", [python, "-m", "celery", "-A", "ai_engine.workers.app", "worker",
                      "-Q", "research", "--concurrency", "1", "--pool", "solo",
                      "--loglevel", "WARNING"], rails.REPO_ROOT, engine_env, "celery")  # fmt: skip

    dist = opts.dashboard_dist
    dashboard = dist.resolve() if dist is not None and (dist / "index.html").is_file() else None
    config = rails.RailsConfig(
        database_url=urls.database_url,
        redis_url=urls.redis_url,
        engine_url=engine_url,
        engine_token=token,
        port=rails_port,
        secret_key_base=secrets.token_hex(64),
        dashboard_dist=dashboard,
        dashboard_origin=opts.dashboard_origin,
        demo_operator=opts.operator,
        demo_viewer=opts.viewer,
    )
    rails_env = rails.environment(config)
    progress("Rails gems (bundle install --local)")
    rails.setup(rails_env, logs / "rails-setup.log")
    progress(f"Rails (puma) on {rails_url}; migrations, demo users, then the event relay")
    # puma renames its process ("puma 5.6.5 (tcp://...)"); the relay runs `rails ... relay:run`
    launch("rails", rails.puma_command(home / "puma.pid"), rails.RAILS_APP, rails_env, "puma")
    launch("relay", rails.relay_command(), rails.RAILS_APP, rails_env, "relay:run")

    _wait_ready(engine_url, rails_url, started, opts.ready_timeout)
    trader = opts.trader and opts.bot_config.is_file()
    if opts.trader and not trader:
        progress(f"no bot config at {opts.bot_config}: the demo bot is not started")
    if trader:
        progress(f"demo bot {opts.bot_config.name}, replay at speed {opts.speed}")
        launch("trader", [python, "-m", "ai_engine.cli.main", "run", "--config",
                          str(opts.bot_config), "--mode", "replay", "--speed", opts.speed],
               rails.REPO_ROOT, engine_env, "ai_engine.cli.main run")  # fmt: skip

    stack = Stack(
        var_dir=str(settings.var_dir.resolve()),
        rails_url=rails_url,
        cable_url=f"ws://127.0.0.1:{rails_port}/cable",
        dashboard_url=rails_url if dashboard is not None else None,
        engine_url=engine_url,
        engine_api_token=token,
        database_url=urls.database_url,
        redis_url=urls.redis_url,
        operator={"email": opts.operator[0], "password": opts.operator[1]},
        viewer={"email": opts.viewer[0], "password": opts.viewer[1]},
        logs=str(logs),
        speed=opts.speed,
        trader=trader,
        services_started=services_started,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        processes=list(started),
    )
    write_json(stack, home / STATE_FILE)
    (home / STARTING_FILE).unlink(missing_ok=True)
    return stack


def down(settings: Settings) -> list[str]:
    """Stop the recorded stack (module docstring); returns the names of what was stopped."""
    stopped = _stop_unfinished(stack_dir(settings) / STARTING_FILE)
    stack = load(settings)
    if stack is None:
        return stopped
    stopped += [p.name for p in running(stack)]
    _stop_all(stack.processes)
    if stack.services_started:
        local_services.down(settings)
        stopped.append("postgres+redis")
    (stack_dir(settings) / STATE_FILE).unlink(missing_ok=True)
    return stopped


def write_json(stack: Stack, path: Path) -> None:
    """Write the stack description to `path`, readable by its owner only (it holds the token)."""
    _write_private(path, stack.to_dict())


def _write_private(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(payload, handle, indent=2)
        handle.write("\n")
    os.replace(tmp, path)


def _stop_unfinished(path: Path) -> list[str]:
    """Stop the processes of an `up` that was killed before it finished (names stopped)."""
    try:
        raw = json.loads(path.read_text())
        processes = [StackProcess(**p) for p in raw["processes"]]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ServiceError(f"cannot read {path} ({exc}); stop its processes by hand") from exc
    names = [p.name for p in processes if _is_ours(p)]
    _stop_all(processes)
    path.unlink(missing_ok=True)
    return names


def _engine_env(settings: Settings, urls: local_services.ServiceUrls, token: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "TRADINGBOT_VAR_DIR": str(settings.var_dir.resolve()),
            "TRADINGBOT_DATA_DIR": str(settings.store_dir.resolve()),
            "TRADINGBOT_DATABASE_URL": urls.database_url,
            "TRADINGBOT_REDIS_URL": urls.redis_url,
            "TRADINGBOT_API_TOKEN": token,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _import_sample(settings: Settings, sample_dir: Path) -> None:
    from ai_engine.domain.errors import BadMarketData
    from ai_engine.marketdata.importer import expand_paths, import_files

    files = expand_paths([sample_dir])
    if not files:
        raise ServiceError(f"no Binance data files under {sample_dir}")
    try:
        import_files(files, settings.store_dir)
    except BadMarketData as exc:
        raise ServiceError(f"importing {sample_dir} failed: {exc}") from exc


def _launch(
    name: str, command: list[str], cwd: Path, env: dict[str, str], log: Path, marker: str
) -> StackProcess:
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    # The process outlives this one (`stack up` returns): nobody waits on it here, and a
    # Popen collected while it runs would warn, so keep it referenced until we exit.
    _CHILDREN.append(process)
    return StackProcess(name=name, pid=process.pid, command=command, log=str(log), marker=marker)


_CHILDREN: list[subprocess.Popen[bytes]] = []


def _wait_ready(
    engine_url: str, rails_url: str, started: list[StackProcess], timeout: float
) -> None:
    """Until the engine answers /health and Rails' /api/health sees engine and relay ok."""
    last: dict[str, Any] = {}

    def dead() -> StackProcess | None:
        return next((p for p in started if not pid_alive(p.pid)), None)

    def ready() -> bool:
        nonlocal last
        if dead() is not None:
            return True
        if _get_json(f"{engine_url}/health") is None:
            return False
        last = _get_json(f"{rails_url}/api/health") or {}
        engine = last.get("engine", {}).get("status")
        relay = last.get("relay", {}).get("status")
        return engine in ("ok", "degraded") and relay == "ok"

    ok = wait_until(ready, timeout, interval=0.2)
    failed = dead()
    if failed is not None:
        raise ServiceError(
            f"{failed.name} exited while the stack started; its log ({failed.log}):\n"
            f"{read_tail(Path(failed.log))}"
        )
    if not ok:
        raise ServiceError(
            f"the stack did not become ready within {timeout:.0f} s; Rails /api/health said "
            f"{json.dumps(last) if last else 'nothing'}; logs in {Path(started[0].log).parent}"
        )


def _get_json(url: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            body = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return body if isinstance(body, dict) else None


def _is_ours(process: StackProcess) -> bool:
    if not pid_alive(process.pid):
        return False
    title = command_line(process.pid)
    return not title or process.marker in title  # no /proc: the pid is all we know


def _stop_all(processes: Sequence[StackProcess]) -> None:
    """SIGTERM each process group (newest first), SIGKILL what outlives the grace period."""
    live = [p for p in reversed(processes) if _is_ours(p)]
    for process in live:
        _signal_group(process.pid, signal.SIGTERM)
    for process in live:
        if not wait_until(lambda p=process: not pid_alive(p.pid), STOP_GRACE):  # type: ignore[misc]
            _signal_group(process.pid, signal.SIGKILL)
            wait_until(lambda p=process: not pid_alive(p.pid), STOP_GRACE)  # type: ignore[misc]
    for child in _CHILDREN:
        child.poll()  # reap what this process started and stopped


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the process group `pid` leads (start_new_session), else the process alone."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass
