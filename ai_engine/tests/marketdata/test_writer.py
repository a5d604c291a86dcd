from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ai_engine.marketdata.writer import Staging, store_lock

from .samples import snapshot

TABLE = pa.table({"x": [1.0, 2.0], "n": [1, 2]})


def test_staged_files_are_invisible_until_commit(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "2023-03.parquet"
    staging = Staging()
    staging.add(target, TABLE)
    assert not target.exists()
    assert [p.name.startswith(".2023-03.parquet.") for p in target.parent.iterdir()] == [True]
    staging.commit()
    assert pq.read_table(target).equals(TABLE)
    assert [p.name for p in target.parent.iterdir()] == ["2023-03.parquet"]


def test_discard_removes_files_and_the_folders_it_made(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "keep.txt").write_text("x")
    before = snapshot(tmp_path)
    staging = Staging()
    staging.add(tmp_path / "a" / "b" / "c" / "2023-03.parquet", TABLE)
    staging.add(tmp_path / "a" / "2023-04.parquet", TABLE)
    staging.discard()
    assert snapshot(tmp_path) == before


def test_commit_replaces_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "2023-03.parquet"
    target.write_bytes(b"old")
    staging = Staging()
    staging.add(target, TABLE)
    assert target.read_bytes() == b"old"
    staging.commit()
    assert pq.read_table(target).equals(TABLE)


def test_lock_on_a_new_root_leaves_no_trace_when_nothing_is_written(tmp_path: Path) -> None:
    root = tmp_path / "store"

    def fail_inside() -> None:
        with store_lock(root):
            assert root.is_dir()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_inside()
    assert not root.exists()
    with store_lock(root):
        (root / "f").write_text("x")
    assert root.is_dir()
