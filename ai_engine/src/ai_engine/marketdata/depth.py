"""The stored ``depth`` kind: L2 snapshots and diff events, one row per price level.

Layout (``schema.DEPTH``)::

    seq            int64  row key: final_id * 2^17 + is_snapshot * 2^16 + level index in event
    time           int64  ms: a diff's event time E; a snapshot's, see below
    first_id       int64  U (a snapshot: its lastUpdateId)
    final_id       int64  u (a snapshot: its lastUpdateId)
    prev_final_id  int64  pu, futures only; -1 where the venue sends none (spot, snapshots)
    is_snapshot    bool
    is_bid         bool   the side of the level (bids first in an event, then asks)
    price, qty     float  as everywhere in the store (the exchange's decimal strings parsed
                          once; ``%.8f`` gives the string back); qty 0 removes the level

Why these choices:

* One row per level keeps every column flat (Parquet compresses it well: ~3 bytes a row) and
  a time slice never splits an event, since every row of an event shares its time.
* ``seq`` orders events by update id -- the order a book must apply them in -- and a diff
  before the snapshot with the same id (``u == lastUpdateId``), so merging re-imported or
  overlapping captures drops identical rows and refuses conflicting ones like every kind. It
  limits an event to 65,536 levels and ids to 2^46 (7e13; Binance's are below 6e12 in 2024).
* An event without any level (possible in a diff stream) is kept as one marker row with price
  and quantity 0, so the chain of update ids (``pu``) has no hole; ``events`` drops the marker.
* A REST snapshot has no exchange time, and captures stamp it with the local receive clock,
  which is off by seconds (the 2024 captures' local clock runs ~1.3 s behind the event times).
  So a snapshot is stored at the event time of the first diff after it (``u > lastUpdateId``):
  the book it shows is older than that, never newer (no look-ahead). Without such a diff in the
  capture, at the last diff's time; with no diff at all, at the local receive time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ai_engine.marketdata.captures import DepthDiff, DepthSnapshot
from ai_engine.marketdata.frames import Depth
from ai_engine.marketdata.gaps import NO_GAPS, TOP, Gap, GapReport
from ai_engine.marketdata.schema import DEPTH
from ai_engine.marketdata.validation import Columns, Problem, first_problem

LEVEL_BITS = 16  # levels per event: 2^16
SNAPSHOT_BIT = 1 << LEVEL_BITS
ID_SHIFT = LEVEL_BITS + 1
MAX_ID = (1 << (63 - ID_SHIFT)) - 1
NO_ID = -1  # prev_final_id where the venue sends none


@dataclass(frozen=True, slots=True)
class Event:
    """One stored event: a snapshot or a diff with its levels as (price, qty) floats."""

    time: int
    first_id: int
    final_id: int
    prev_final_id: int | None
    is_snapshot: bool
    bids: list[tuple[float, float]]
    asks: list[tuple[float, float]]


def rows_of(
    events: Sequence[tuple[DepthSnapshot | DepthDiff, int]],
) -> tuple[dict[str, npt.NDArray[np.generic]], list[int]]:
    """Depth rows of ``(event, ordinal)`` pairs (the ordinal names the event in errors):
    columns in the in-memory schema, and the ordinal of each row. Snapshot times follow the
    module's rule; ``ValueError`` for an event too big or an id out of range."""
    diffs = sorted(
        ((event.final_id, event.event_ms) for event, _ in events if isinstance(event, DepthDiff)),
    )
    finals = [final for final, _ in diffs]
    out: dict[str, list[object]] = {name: [] for name in DEPTH.names}
    ordinals: list[int] = []
    for event, ordinal in events:
        if isinstance(event, DepthDiff):
            time, first, pu, snapshot = event.event_ms, event.first_id, event.prev_final_id, False
        else:
            time, first, pu, snapshot = _snapshot_time(event, finals, diffs), None, None, True
        final = event.final_id if isinstance(event, DepthDiff) else event.last_update_id
        levels = [(True, p, q) for p, q in event.bids] + [(False, p, q) for p, q in event.asks]
        if not levels:
            levels = [(True, "0", "0")]  # the marker of an event without levels
        if len(levels) > SNAPSHOT_BIT or not 0 <= final <= MAX_ID:
            raise ValueError(f"depth event u={final} with {len(levels)} levels does not fit")
        base = final << ID_SHIFT | (SNAPSHOT_BIT if snapshot else 0)
        for index, (is_bid, price, qty) in enumerate(levels):
            out["seq"].append(base | index)
            out["time"].append(time)
            out["first_id"].append(final if first is None else first)
            out["final_id"].append(final)
            out["prev_final_id"].append(NO_ID if pu is None else pu)
            out["is_snapshot"].append(snapshot)
            out["is_bid"].append(is_bid)
            out["price"].append(float(price))
            out["qty"].append(float(qty))
            ordinals.append(ordinal)
    schema = DEPTH.memory_schema
    columns = {
        name: pa.array(values, schema.field(name).type).to_numpy(zero_copy_only=False)
        for name, values in out.items()
    }
    return columns, ordinals


def _snapshot_time(snapshot: DepthSnapshot, finals: list[int], diffs: list[tuple[int, int]]) -> int:
    after = int(np.searchsorted(finals, snapshot.last_update_id, side="right"))
    if after < len(diffs):
        return diffs[after][1]
    if diffs:
        return diffs[-1][1]
    return snapshot.local_ns // 1_000_000


def depth_problem(c: Columns) -> Problem | None:
    """Finite positive prices (0 only in an empty event's marker), finite quantities not
    negative, ids consistent with ``seq``, ``first_id <= final_id``, and an event's rows
    sharing one time."""
    seq, price, qty = c["seq"], c["price"], c["qty"]
    marker = (price == 0) & (qty == 0)
    same_event = (seq[1:] >> LEVEL_BITS) == (seq[:-1] >> LEVEL_BITS)
    time = c["time"]
    return first_problem(
        [
            (~np.isfinite(price) | ((price <= 0) & ~marker), lambda i: f"price {price[i]!r}"),
            (~np.isfinite(qty) | (qty < 0), lambda i: f"quantity {qty[i]!r} is negative"),
            (
                (seq >> ID_SHIFT) != c["final_id"],
                lambda i: f"seq {seq[i]} does not encode final_id {c['final_id'][i]}",
            ),
            (
                ((seq & SNAPSHOT_BIT) != 0) != c["is_snapshot"],
                lambda i: f"seq {seq[i]} does not encode the snapshot flag",
            ),
            (
                c["first_id"] > c["final_id"],
                lambda i: f"first_id {c['first_id'][i]} is after final_id {c['final_id'][i]}",
            ),
            (
                np.concatenate(([False], same_event & (time[1:] != time[:-1]))),
                lambda i: f"time {time[i]} differs from the rest of its event",
            ),
        ]
    )


def event_starts(depth: Depth) -> npt.NDArray[np.intp]:
    """Index of the first row of each event (rows in ``seq`` order), plus ``len(depth)``."""
    group = depth.seq >> LEVEL_BITS
    starts = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
    return np.concatenate((starts, [len(depth)])).astype(np.intp)


def events(depth: Depth, first: int = 0, stop: int | None = None) -> Iterator[Event]:
    """Events ``first`` .. ``stop`` (exclusive; all by default) of ``depth``, in order."""
    starts = event_starts(depth)
    stop = len(starts) - 1 if stop is None else stop
    sides, prices, qtys = depth.is_bid.tolist(), depth.price.tolist(), depth.qty.tolist()
    for k in range(first, stop):
        a, b = int(starts[k]), int(starts[k + 1])
        rows = list(zip(sides[a:b], prices[a:b], qtys[a:b], strict=True))
        pu = int(depth.prev_final_id[a])
        yield Event(
            time=int(depth.time[a]),
            first_id=int(depth.first_id[a]),
            final_id=int(depth.final_id[a]),
            prev_final_id=None if pu == NO_ID else pu,
            is_snapshot=bool(depth.is_snapshot[a]),
            bids=[(p, q) for bid, p, q in rows if bid and p > 0],
            asks=[(p, q) for bid, p, q in rows if not bid and p > 0],
        )


def depth_gaps(table: pa.Table, *, top: int = TOP) -> GapReport:
    """Breaks in the chain of diff events: futures diffs must carry ``pu`` = the previous u,
    spot diffs start at the previous u + 1; a snapshot restarts the chain. ``missing`` counts
    update ids skipped (spot) or breaks (futures, whose ids are not consecutive)."""
    seq = table.column("seq").to_numpy()
    if len(seq) < 2:
        return NO_GAPS
    group = seq >> LEVEL_BITS
    heads = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
    first = table.column("first_id").to_numpy()[heads]
    final = table.column("final_id").to_numpy()[heads]
    pu = table.column("prev_final_id").to_numpy()[heads]
    snapshot = table.column("is_snapshot").to_numpy()[heads]
    times = table.column("time").to_numpy()[heads]
    after_diff = ~snapshot[1:] & ~snapshot[:-1]
    futures = pu[1:] != NO_ID
    broken = np.where(futures, pu[1:] != final[:-1], first[1:] != final[:-1] + 1) & after_diff
    missing = np.where(futures, 1, first[1:] - final[:-1] - 1)
    where = np.flatnonzero(broken & (missing > 0))
    if len(where) == 0:
        return NO_GAPS
    counts = missing[where]
    order = np.lexsort((where, -counts))[:top]
    largest = tuple(Gap(int(times[i]), int(times[i + 1]), int(missing[i])) for i in where[order])
    return GapReport(count=len(where), missing=int(counts.sum()), largest=largest)
