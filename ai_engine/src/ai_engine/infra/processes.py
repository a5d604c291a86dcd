"""Facts about server processes we started earlier, possibly from another (finished) process."""

from __future__ import annotations

import os
from pathlib import Path


def pid_alive(pid: int) -> bool:
    """Whether `pid` names a live (not zombie) process.

    Daemonised servers are re-parented to PID 1; in containers PID 1 does not always reap, so a
    stopped server can linger as a zombie that still answers kill(pid, 0).
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive, just not ours to signal
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        # Field 3 is the state; the command name in field 2 may contain spaces, hence rsplit.
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (not Linux): kill(pid, 0) is all we know
    return state != "Z"


def command_line(pid: int) -> str:
    """The process's command line ('' when unknown), to avoid signalling a recycled pid."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def read_tail(path: Path, offset: int = 0, lines: int = 20) -> str:
    """The last `lines` lines of a log written after byte `offset` ('' if there is none)."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            text = handle.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def file_size(path: Path) -> int:
    """Current size of a log, so later reads see only what a new start wrote."""
    try:
        return path.stat().st_size
    except OSError:
        return 0
