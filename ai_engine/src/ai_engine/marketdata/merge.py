"""Merging rows by key: identical duplicates are dropped and counted, conflicting ones refused.

Rows remember where they came from (file and line, or stored partition and row) so a conflict
names both places. Stored rows are always merged first, so the row blamed is the new one.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.intervals import iso
from ai_engine.marketdata.partitions import month_name, months_of
from ai_engine.marketdata.schema import KindSpec

IntArray = np.ndarray[Any, np.dtype[np.int64]]


@dataclass(frozen=True)
class Rows:
    """A table and, per row, the index of its source and its line (or row) in that source."""

    table: pa.Table
    sources: tuple[str, ...]
    origin: IntArray
    lines: IntArray
    stored: frozenset[int] = frozenset()  # indices of sources that are store partitions

    @staticmethod
    def of(table: pa.Table, source: str, lines: IntArray, *, stored: bool = False) -> Rows:
        return Rows(
            table=table,
            sources=(source,),
            origin=np.zeros(table.num_rows, np.int64),
            lines=lines,
            stored=frozenset({0}) if stored else frozenset(),
        )

    def take(self, index: IntArray) -> Rows:
        return Rows(
            self.table.take(index), self.sources, self.origin[index], self.lines[index], self.stored
        )

    def slice(self, start: int, stop: int) -> Rows:
        return Rows(
            self.table.slice(start, stop - start),
            self.sources,
            self.origin[start:stop],
            self.lines[start:stop],
            self.stored,
        )


def merge(parts: Sequence[Rows], spec: KindSpec) -> tuple[Rows, int]:
    """Rows of all ``parts`` sorted by ``spec.key``, duplicates dropped; and how many were."""
    joined = _concat(parts)
    keys = joined.table.column(spec.key).to_numpy()
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    same = ordered[1:] == ordered[:-1]
    dropped = int(same.sum())
    if dropped:
        earlier, later = order[:-1][same], order[1:][same]
        differs = np.zeros(len(later), np.bool_)
        for name in spec.names:
            column = joined.table.column(name).to_numpy()
            differs |= column[later] != column[earlier]
        if differs.any():
            j = int(np.argmax(differs))
            _conflict(joined, spec, int(earlier[j]), int(later[j]), int(keys[later[j]]))
        order = order[np.concatenate(([True], ~same))]
    if dropped or not np.array_equal(order, np.arange(len(order))):
        joined = joined.take(order)
    return joined, dropped


def split_months(rows: Rows, spec: KindSpec) -> list[tuple[str, Rows]]:
    """Consecutive runs of rows in the same UTC month (rows are in time order)."""
    months = months_of(rows.table.column(spec.time).to_numpy())
    if len(months) == 0:
        return []
    starts = np.concatenate(([0], np.flatnonzero(months[1:] != months[:-1]) + 1, [len(months)]))
    return [
        (month_name(months[a]), rows.slice(int(a), int(b))) for a, b in itertools.pairwise(starts)
    ]


def where(rows: Rows, index: int) -> tuple[str, int]:
    """Source and line (1-based) of row ``index``."""
    return rows.sources[int(rows.origin[index])], int(rows.lines[index])


def _concat(parts: Sequence[Rows]) -> Rows:
    if len(parts) == 1:
        return parts[0]
    sources: list[str] = []
    origins: list[IntArray] = []
    stored: set[int] = set()
    for part in parts:
        origins.append(part.origin + len(sources))
        stored.update(index + len(sources) for index in part.stored)
        sources.extend(part.sources)
    return Rows(
        table=pa.concat_tables([part.table for part in parts]),
        sources=tuple(sources),
        origin=np.concatenate(origins),
        lines=np.concatenate([part.lines for part in parts]),
        stored=frozenset(stored),
    )


def _conflict(rows: Rows, spec: KindSpec, earlier: int, later: int, key: int) -> None:
    shown = iso(key) if spec.key == spec.time else str(key)
    source, line = where(rows, later)
    first_source, first_line = where(rows, earlier)
    if int(rows.origin[earlier]) in rows.stored:
        message = (
            f"{spec.key} {shown} is already stored with different values "
            f"({first_source} row {first_line}); delete that partition to replace it"
        )
    elif first_source == source:
        message = f"conflicting duplicate: {spec.key} {shown} is also on row {first_line} "
        message += "with different values"
    else:
        message = (
            f"conflicting duplicate: {spec.key} {shown} is also in {first_source} "
            f"row {first_line} with different values"
        )
    raise BadMarketData(message, source=source, row=line)
