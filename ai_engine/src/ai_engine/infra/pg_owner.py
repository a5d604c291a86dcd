"""Who runs initdb and pg_ctl.

Both refuse to run as root ("cannot be run as root"). A developer runs them directly; as root
(CI containers, this project's machines) they run as the `postgres` system user through
`runuser`, which then needs to own the cluster folder and to traverse every parent of it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

from ai_engine.infra.errors import ServiceError

CLUSTER_USER = "postgres"


def running_as_root() -> bool:
    return os.geteuid() == 0


def as_cluster_owner(command: list[str]) -> list[str]:
    """`command` wrapped so it runs as the cluster owner (unchanged unless we are root)."""
    if not running_as_root():
        return command
    return ["runuser", "-u", CLUSTER_USER, "--", *command]


def prepare_cluster_folder(folder: Path) -> None:
    """Create `folder` and, as root, hand it to the postgres user after checking it can reach it."""
    folder.mkdir(parents=True, exist_ok=True)
    if not running_as_root():
        return
    try:
        owner = pwd.getpwnam(CLUSTER_USER)
    except KeyError as exc:
        raise ServiceError(
            f"running as root, PostgreSQL must run as the `{CLUSTER_USER}` system user "
            "(initdb refuses root), but that user does not exist: install the postgresql "
            "package or run as a normal user"
        ) from exc
    if shutil.which("runuser") is None:
        raise ServiceError("running as root needs `runuser` (util-linux) to start PostgreSQL")
    if folder.stat().st_uid != owner.pw_uid:
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, owner.pw_uid, owner.pw_gid, follow_symlinks=False)
    if not _owner_can(["-w", str(folder), "-a", "-x", str(folder)]):
        blocker = next(
            (p for p in reversed(folder.parents) if not _owner_can(["-x", str(p)])), folder
        )
        raise ServiceError(
            f"the `{CLUSTER_USER}` user (which runs PostgreSQL because initdb refuses root) "
            f"cannot reach {folder}: {blocker} is not traversable by other users. Set "
            "TRADINGBOT_VAR_DIR to a folder under a world-traversable path (e.g. "
            f"/var/tmp/tradingbot), or run `chmod o+x {blocker}`."
        )


def _owner_can(test_args: list[str]) -> bool:
    """Ask test(1), run as the cluster owner: permission bits alone miss ACLs and groups."""
    result = subprocess.run(
        as_cluster_owner(["test", *test_args]), capture_output=True, check=False
    )
    return result.returncode == 0
