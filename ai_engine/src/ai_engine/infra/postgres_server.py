"""One PostgreSQL cluster in a folder we own: initdb once, start, identify, stop.

Layout under `root` (services_dir/postgres): `data/` (the cluster), `server.log`, and the unix
socket, kept here rather than in /var/run/postgresql which belongs to the system cluster.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from ai_engine.infra.errors import ServiceError
from ai_engine.infra.pg_owner import as_cluster_owner, prepare_cluster_folder
from ai_engine.infra.processes import command_line, file_size, pid_alive, read_tail
from ai_engine.infra.urls import libpq_url, mask_url

_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes; postgres refuses longer socket paths
_PORT_TAKEN = "Address already in use"
# After a crash, orphaned backends keep the old shared memory attached for a moment.
_TRANSIENT = ("pre-existing shared memory block", "lock file")


@dataclass(frozen=True)
class Postmaster:
    """A running server as its postmaster.pid describes it."""

    pid: int
    port: int


def data_dir(root: Path) -> Path:
    return root / "data"


def log_file(root: Path) -> Path:
    return root / "server.log"


def bindir() -> Path:
    """Folder of initdb/pg_ctl: on PATH if there, else Debian's versioned folder."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidate = Path(out.stdout.strip())
        if out.returncode == 0 and (candidate / "pg_ctl").exists():
            return candidate
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=_major, reverse=True)
    if versions:
        return versions[0].parent
    raise ServiceError("PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql")


def _major(pg_ctl: Path) -> int:
    name = pg_ctl.parent.parent.name
    return int(name) if name.isdigit() else 0


def ensure_cluster(root: Path) -> None:
    """Create the cluster the first time; later starts reuse it (and its databases)."""
    prepare_cluster_folder(root)
    if (data_dir(root) / "PG_VERSION").exists():
        return
    command = [
        str(bindir() / "initdb"),
        "-D",
        str(data_dir(root)),
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
        "--no-instructions",
    ]
    result = subprocess.run(as_cluster_owner(command), capture_output=True, text=True)
    if result.returncode != 0:
        raise ServiceError(f"initdb failed in {root}:\n{result.stderr.strip()}")


def postmaster(root: Path) -> Postmaster | None:
    """The live server of this cluster, read from postmaster.pid (None if not running)."""
    try:
        lines = (data_dir(root) / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    if not pid_alive(pid):
        return None
    # After a crash the stale file's pid may belong to an unrelated process by now.
    title = command_line(pid)
    return None if title and "postgres" not in title else Postmaster(pid, port)


def start(root: Path, ports: Iterable[int], timeout: float) -> Postmaster:
    """Start the cluster on the first port of `ports` that is not taken; wait until ready."""
    tried: list[int] = []
    for port in ports:
        tried.append(port)
        deadline = time.monotonic() + timeout
        while True:
            offset = file_size(log_file(root))
            result = subprocess.run(
                as_cluster_owner(_pg_ctl_start(root, port, timeout)),
                capture_output=True,
                text=True,
                start_new_session=True,  # keep Ctrl-C in the caller's terminal away from it
            )
            running = postmaster(root)
            if result.returncode == 0 and running is not None:
                return running
            tail = read_tail(log_file(root), offset) or result.stderr.strip()
            if any(marker in tail for marker in _TRANSIENT) and time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            if _PORT_TAKEN in tail:
                break
            raise ServiceError(f"PostgreSQL in {root} did not start:\n{tail}")
    raise ServiceError(
        f"PostgreSQL could not bind a port (tried {tried}: address in use); "
        "set TRADINGBOT_POSTGRES_PORT=0 or to a free port"
    )


def _pg_ctl_start(root: Path, port: int, timeout: float) -> list[str]:
    socket_dir = str(root.resolve())
    if len(f"{socket_dir}/.s.PGSQL.{port}") > _SOCKET_PATH_MAX:
        socket_dir = ""  # TCP only: a deep var_dir must not stop the server from starting
    # pg_ctl hands -o to /bin/sh, hence the quoting. Durability settings stay at their
    # defaults: this server holds the record (orders, fills) in the demo and in development.
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {shlex.quote(socket_dir)}"
    return [
        str(bindir() / "pg_ctl"),
        "-D",
        str(data_dir(root)),
        "-l",
        str(log_file(root)),
        "-w",
        "-t",
        str(max(1, round(timeout))),
        "-o",
        options,
        "start",
    ]


def stop(root: Path, timeout: float) -> None:
    """Stop the cluster (fast mode: running sessions are disconnected), if it runs."""
    if postmaster(root) is None:
        return
    command = [
        str(bindir() / "pg_ctl"),
        "-D",
        str(data_dir(root)),
        "-m",
        "fast",
        "-w",
        "-t",
        str(max(1, round(timeout))),
        "stop",
    ]
    result = subprocess.run(as_cluster_owner(command), capture_output=True, text=True)
    if result.returncode != 0 and postmaster(root) is not None:
        raise ServiceError(f"PostgreSQL in {root} did not stop:\n{result.stderr.strip()}")


def problem(url: str, timeout: float = 2.0) -> str | None:
    """None if the server at `url` runs SELECT 1, else why not (passwords masked)."""
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=max(1, round(timeout))) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().replace(url, mask_url(url))
    return None


def serves(root: Path, port: int) -> bool:
    """Whether the server on `port` is this cluster (and not another session's server)."""
    try:
        with _admin(port) as conn:
            row = conn.execute("SHOW data_directory").fetchone()
    except psycopg.Error:
        return False
    return row is not None and Path(str(row[0])).resolve() == data_dir(root).resolve()


def ensure_database(port: int, name: str) -> None:
    """CREATE DATABASE `name` unless it exists (idempotent `up`)."""
    with _admin(port) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _admin(port: int) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        host="127.0.0.1",
        port=port,
        user="postgres",
        dbname="postgres",
        connect_timeout=2,
        autocommit=True,
    )
