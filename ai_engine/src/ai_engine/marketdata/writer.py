"""Crash-safe writes: every partition goes to a temporary file in its own folder, is fsynced,
then all of them are renamed into place (``os.replace``) and the folders fsynced.

Nothing is renamed until every file of an import has been written, so a failure while
staging (disk full, a bug) leaves the store as it was; a crash between two renames leaves some
months new and some old, each whole, and importing the same files again completes it (merging
is idempotent). One import at a time: an exclusive ``flock`` on the store folder.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


@contextmanager
def store_lock(root: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``root`` for one read-merge-write.

    ``root`` is created if missing, and removed again if it is still empty at the end (a failed
    first import leaves no trace).
    """
    created = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
        if created and not any(root.iterdir()):
            root.rmdir()


def write_parquet(path: Path, table: pa.Table) -> None:
    """zstd over byte-stream-split floats, no dictionaries: for a month of 1m klines 22% smaller
    than plain zstd, written 15x faster and read faster (measured with pyarrow 26)."""
    floats = [field.name for field in table.schema if pa.types.is_floating(field.type)]
    pq.write_table(
        table,
        path,
        compression="zstd",
        use_dictionary=False,
        use_byte_stream_split=floats or False,
    )


class Staging:
    """Partition files written beside their targets, not yet visible under their final names."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []
        self._made: list[Path] = []

    def add(self, target: Path, table: pa.Table) -> None:
        self._make_dirs(target.parent)
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        self._staged.append((temporary, target))
        write_parquet(temporary, table)
        with temporary.open("rb+") as handle:
            os.fsync(handle.fileno())

    def commit(self) -> None:
        for temporary, target in self._staged:
            os.replace(temporary, target)
        # New entries: the renamed files in their folders, and each folder made in its parent.
        changed = {target.parent for _, target in self._staged} | {p.parent for p in self._made}
        for folder in sorted(changed):
            _fsync_dir(folder)
        self._staged.clear()
        self._made.clear()

    def discard(self) -> None:
        """Remove staged files and the folders made for them; the store is as it was."""
        for temporary, _ in self._staged:
            temporary.unlink(missing_ok=True)
        for folder in reversed(self._made):
            with suppress(OSError):
                folder.rmdir()
        self._staged.clear()
        self._made.clear()

    def _make_dirs(self, folder: Path) -> None:
        missing: list[Path] = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for path in reversed(missing):
            path.mkdir()
            self._made.append(path)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
