"""Data a worker keeps between tasks: bars loaded once per worker, not once per batch.

A search sends many batches over the same ``DataSpec``; the first batch a worker takes loads
the bars from the Parquet store and builds the strategy input, later ones reuse them. Windows
(a walk-forward's train spans) are cut from the cached series and cached too. Least recently
used entries are dropped beyond ``max_entries`` (a worker serves several searches over time).
The store is read-only while the worker runs; a new import shows after a worker restart.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from ai_engine.backtest.evaluation import DataSpec, PreparedData

Key = tuple[DataSpec, int | None, int | None]


@dataclass
class DataCache:
    max_entries: int = 8
    loads: int = 0  # how many times the store was read (tests and logs look at it)
    _entries: OrderedDict[Key, PreparedData] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(
        self,
        store_dir: Path,
        spec: DataSpec,
        window: tuple[int | None, int | None] = (None, None),
    ) -> PreparedData:
        """The bars of ``spec``, cut to ``window`` (``[start_ms, end_ms)``, None: unbounded)."""
        key: Key = (spec, *window)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
            whole_key: Key = (spec, None, None)
            whole = self._entries.get(whole_key)
            if whole is None:
                whole = spec.load(store_dir)
                self.loads += 1
                self._put(whole_key, whole)
            data = whole if window == (None, None) else whole.window(*window)
            self._put(key, data)
            return data

    def _put(self, key: Key, data: PreparedData) -> None:
        self._entries[key] = data
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
