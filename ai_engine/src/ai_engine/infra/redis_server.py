"""One Redis server in a folder we own, daemonised so it outlives the command that started it.

Layout under `root` (services_dir/redis): `redis.pid`, `redis.log`. Nothing is persisted
(`--save ""`, no AOF): Redis holds nothing that cannot be rebuilt (see ARCHITECTURE.md).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import redis

from ai_engine.infra.errors import ServiceError
from ai_engine.infra.processes import command_line, file_size, pid_alive, read_tail
from ai_engine.infra.urls import mask_url
from ai_engine.infra.waiting import wait_until

_PORT_TAKEN = ("Address already in use", "Could not create server TCP listening socket")


@dataclass(frozen=True)
class RedisProcess:
    pid: int
    port: int


def pid_file(root: Path) -> Path:
    return root / "redis.pid"


def log_file(root: Path) -> Path:
    return root / "redis.log"


def start(root: Path, ports: Iterable[int], timeout: float) -> RedisProcess:
    """Start redis-server on the first port of `ports` not taken; wait until it answers."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceError("redis-server not found: install the redis-server package")
    root.mkdir(parents=True, exist_ok=True)
    tried: list[int] = []
    for port in ports:
        tried.append(port)
        started = _start_on(binary, root, port, timeout)
        if started is not None:
            return started
    raise ServiceError(
        f"Redis could not bind a port (tried {tried}: address in use); "
        "set TRADINGBOT_REDIS_PORT=0 or to a free port"
    )


def _start_on(binary: str, root: Path, port: int, timeout: float) -> RedisProcess | None:
    """Our server on `port`, or None when the port turned out to be taken."""
    # A stale pidfile would make a failed start look like a running server.
    pid_file(root).unlink(missing_ok=True)
    offset = file_size(log_file(root))
    files = ["--dir", str(root.resolve()), "--pidfile", str(pid_file(root).resolve())]
    launch = subprocess.run(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--daemonize", "yes", "--logfile", str(log_file(root).resolve()), *files],
        capture_output=True,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    if launch.returncode != 0:
        raise ServiceError(f"redis-server refused to start:\n{launch.stdout}{launch.stderr}")

    def ours() -> bool:
        pid = read_pid(root)
        return pid is not None and server_pid(port) == pid

    def port_taken() -> bool:
        return any(marker in read_tail(log_file(root), offset) for marker in _PORT_TAKEN)

    wait_until(lambda: ours() or port_taken(), timeout)
    pid = read_pid(root)
    if pid is not None and ours():
        return RedisProcess(pid, port)
    if port_taken():
        return None
    tail = read_tail(log_file(root), offset)
    raise ServiceError(f"Redis on port {port} did not answer within {timeout:.0f} s:\n{tail}")


def server_pid(port: int) -> int | None:
    """The pid the Redis on `port` reports, None if nothing answers there.

    Comparing it with our pidfile tells our server from another session's on a reused port.
    """
    try:
        with redis.Redis(
            host="127.0.0.1", port=port, socket_timeout=2, socket_connect_timeout=2
        ) as client:
            info = client.info("server")
    except redis.RedisError:
        return None
    pid = info.get("process_id")
    return pid if isinstance(pid, int) else None


def problem(url: str) -> str | None:
    """None if the server at `url` answers PING, else why not (passwords masked)."""
    try:
        with redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2) as client:
            client.ping()
    except (redis.RedisError, ValueError) as exc:
        return str(exc).strip().replace(url, mask_url(url))
    return None


def running(root: Path, port: int) -> RedisProcess | None:
    """Our server, if the pidfile's process is alive and is what answers on `port`."""
    pid = read_pid(root)
    if pid is None or not pid_alive(pid) or server_pid(port) != pid:
        return None
    return RedisProcess(pid, port)


def stop(root: Path, pid: int, port: int | None, timeout: float) -> None:
    """Stop our server: SIGTERM (Redis exits cleanly), SIGKILL if it lingers.

    The pid may come from a stale pidfile and have been recycled, even by another session's
    Redis, so the process title ("redis-server 127.0.0.1:PORT") must name our port.
    """
    if not pid_alive(pid):
        return
    title = command_line(pid)  # '' where /proc is missing: then trust the pid
    if title and ("redis-server" not in title or (port is not None and f":{port}" not in title)):
        return
    os.kill(pid, signal.SIGTERM)
    if not wait_until(lambda: not pid_alive(pid), timeout):
        os.kill(pid, signal.SIGKILL)
        if not wait_until(lambda: not pid_alive(pid), timeout):
            raise ServiceError(f"Redis (pid {pid}) did not stop")
    pid_file(root).unlink(missing_ok=True)


def read_pid(root: Path) -> int | None:
    """The pid in our pidfile (None if there is none); it may be dead."""
    try:
        return int(pid_file(root).read_text().strip())
    except (OSError, ValueError):
        return None
