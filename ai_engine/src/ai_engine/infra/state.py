"""What `up` started, in services_dir/state.json, so later commands (and `down`) find it.

Only servers we started are recorded: a configured server we merely reuse is never ours to stop.
Writes are atomic (temp file + rename) and `up`/`down` hold an exclusive lock, so two commands
racing (say `make demo` and a shell) cannot start two clusters on one data folder.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ai_engine.infra.errors import ServiceError

STATE_FILE = "state.json"


@dataclass(frozen=True)
class ServerRecord:
    """A server `up` started: its URL, port and pid at that time."""

    url: str
    port: int
    pid: int


@dataclass(frozen=True)
class ServicesState:
    postgres: ServerRecord | None = None
    redis: ServerRecord | None = None


def load_state(services_dir: Path) -> ServicesState:
    path = services_dir / STATE_FILE
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        return ServicesState()
    except (OSError, ValueError) as exc:
        raise ServiceError(f"cannot read {path} ({exc}); stop the servers and delete it") from exc
    try:
        return ServicesState(postgres=_record(raw.get("postgres")), redis=_record(raw.get("redis")))
    except (TypeError, AttributeError) as exc:
        raise ServiceError(f"unexpected content in {path}; stop the servers and delete it") from exc


def _record(raw: Any) -> ServerRecord | None:
    return None if raw is None else ServerRecord(**raw)


def save_state(services_dir: Path, state: ServicesState) -> None:
    services_dir.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(asdict(state), indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(dir=services_dir, prefix=".state-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, services_dir / STATE_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def locked(services_dir: Path) -> Iterator[None]:
    """Hold the services folder's lock (blocks while another up/down runs)."""
    services_dir.mkdir(parents=True, exist_ok=True)
    with (services_dir / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
