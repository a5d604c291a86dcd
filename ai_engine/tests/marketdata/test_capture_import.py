"""Importing raw WebSocket captures: trades into the trades kind, snapshot and diffs into the
depth kind (``marketdata.depth``), through the importer's all-or-nothing merge path."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ai_engine.domain.enums import MarketType
from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata import BarStore, DataKind, check_store
from ai_engine.marketdata.captures import (
    DepthDiff,
    DepthSnapshot,
    MarkPriceEvent,
    TradeEvent,
    read_capture,
)
from ai_engine.marketdata.depth import events
from ai_engine.marketdata.importer import import_files
from ai_engine.marketdata.inventory import list_series
from ai_engine.marketdata.parsing import Overrides

from .samples import SAMPLE

WS_RAW = SAMPLE / "ws_raw"
SPOT_SLICE = next(iter(sorted((WS_RAW / "spot").glob("btcusdt*.jsonl.gz"))))
USDM_SLICE = WS_RAW / "usdm" / "btcusdt_20240718-first90s.jsonl.gz"
USDM_MARKS_SLICE = WS_RAW / "usdm" / "btcusdt_20230404-first45s.jsonl.gz"  # with @markPrice@1s
SPOT_TRADES = SAMPLE / "trades" / "spot" / "BTCUSDT-trades-2024-08-08-excerpt.csv.gz"


def read(path: Path) -> tuple[DepthSnapshot, list[DepthDiff], list[TradeEvent]]:
    found = list(read_capture(path, strict=True))
    (snapshot,) = [e for e in found if isinstance(e, DepthSnapshot)]
    diffs = sorted((e for e in found if isinstance(e, DepthDiff)), key=lambda d: d.final_id)
    return snapshot, diffs, [e for e in found if isinstance(e, TradeEvent)]


def test_a_spot_capture_becomes_trades_and_depth(store: Path) -> None:
    report = import_files([SPOT_SLICE], store)
    kinds = {item.key.kind: item for item in report.series}
    assert set(kinds) == {DataKind.TRADES, DataKind.DEPTH}
    assert all(item.key.market is MarketType.SPOT for item in report.series)
    snapshot, diffs, trades = read(SPOT_SLICE)
    levels = sum(len(e.bids) + len(e.asks) for e in (snapshot, *diffs))
    assert (kinds[DataKind.DEPTH].added, kinds[DataKind.TRADES].added) == (levels, len(trades))
    assert kinds[DataKind.DEPTH].gaps.count == 0
    assert import_files([SPOT_SLICE], store).added == 0  # idempotent
    assert check_store(store).ok


def test_stored_depth_gives_back_the_snapshot_and_the_diffs(store: Path) -> None:
    import_files([SPOT_SLICE], store)
    stored = list(events(BarStore(store).load_depth("BTCUSDT")))
    snapshot, diffs, _ = read(SPOT_SLICE)
    (stored_snapshot,) = [e for e in stored if e.is_snapshot]
    assert stored_snapshot.final_id == snapshot.last_update_id
    assert stored_snapshot.bids == [(float(p), float(q)) for p, q in snapshot.bids]
    # Stored at the event time of the first diff after it (its local stamp is unreliable).
    after = next(d for d in diffs if d.final_id > snapshot.last_update_id)
    assert stored_snapshot.time == after.event_ms
    stored_diffs = [e for e in stored if not e.is_snapshot]
    assert [(e.first_id, e.final_id, e.time, e.prev_final_id) for e in stored_diffs] == [
        (d.first_id, d.final_id, d.event_ms, None) for d in diffs
    ]
    assert all(
        e.asks == [(float(p), float(q)) for p, q in d.asks]
        for e, d in zip(stored_diffs, diffs, strict=True)
    )


def test_a_usdm_capture_keeps_pu(store: Path) -> None:
    report = import_files([USDM_SLICE], store)
    assert {item.key.market for item in report.series} == {MarketType.USDM}
    depth = BarStore(store).load_depth("BTCUSDT", market=MarketType.USDM)
    _, diffs, _ = read(USDM_SLICE)
    stored = [e for e in events(depth) if not e.is_snapshot]
    assert [e.prev_final_id for e in stored] == [d.prev_final_id for d in diffs]
    assert next(iter(list_series(store))).gaps.count == 0


def test_usdm_mark_prices_become_one_second_mark_price_klines(store: Path) -> None:
    report = import_files([USDM_MARKS_SLICE], store)
    kinds = {item.key.kind: item.key for item in report.series}
    assert set(kinds) == {DataKind.TRADES, DataKind.DEPTH, DataKind.MARK_PRICE}
    assert kinds[DataKind.MARK_PRICE].interval == "1s"
    marks = [
        e for e in read_capture(USDM_MARKS_SLICE, strict=True) if isinstance(e, MarkPriceEvent)
    ]
    assert len(marks) > 40
    bars = BarStore(store).load_mark_price("BTCUSDT", "1s")
    assert bars.open_time.tolist() == [m.event_ms // 1000 * 1000 for m in marks]
    assert bars.close.tolist() == [float(m.mark) for m in marks]
    assert np.all(bars.open == bars.close)  # one per second
    assert np.all(bars.high == bars.low)
    assert (bars.volume.sum(), bars.trades.sum()) == (0, 0)
    assert import_files([USDM_MARKS_SLICE], store).added == 0  # idempotent


def test_capture_trades_and_a_trade_dump_of_the_same_trades_import_together(store: Path) -> None:
    # They overlap (the dump was derived from the same stream): identical rows, no conflict.
    report = import_files([SPOT_SLICE, SPOT_TRADES], store)
    (item,) = [item for item in report.series if item.key.kind is DataKind.TRADES]
    assert item.duplicates > 0
    trades = BarStore(store).load_trades("BTCUSDT")
    assert np.all(np.diff(trades.id) == 1)
    _, _, captured = read(SPOT_SLICE)
    for trade in captured[:50]:
        row = int(np.searchsorted(trades.id, trade.trade_id))
        assert trades.time[row] == trade.trade_ms
        assert trades.quote_qty[row] == float(Decimal(trade.price) * Decimal(trade.qty))
        assert trades.is_buyer_maker[row] == trade.buyer_is_maker


def line(local_ns: int, payload: dict[str, Any]) -> bytes:
    return f"{local_ns} {json.dumps(payload)}\n".encode()


def diff(u_first: int, u_last: int, e_ms: int, bids: list[list[str]], symbol: str = "BTCUSDT",
         **extra: Any) -> bytes:  # fmt: skip
    data = {"e": "depthUpdate", "E": e_ms, "s": symbol, "U": u_first, "u": u_last,
            "b": bids, "a": [], **extra}  # fmt: skip
    return line(e_ms * 1_000_000, {"stream": f"{symbol.lower()}@depth@100ms", "data": data})


def snapshot_line(last_id: int, local_ms: int) -> bytes:
    body = {"lastUpdateId": last_id, "bids": [["100.00", "1.0"]], "asks": [["100.10", "2.0"]]}
    return line(local_ms * 1_000_000, body)


def write(path: Path, rows: list[bytes]) -> Path:
    path.write_bytes(gzip.compress(b"".join(rows), mtime=0))
    return path


def test_gaps_in_the_diff_chain_are_reported(store: Path, tmp_path: Path) -> None:
    capture = write(
        tmp_path / "btcusdt_gap.jsonl.gz",
        [
            snapshot_line(10, 1_000),
            diff(11, 12, 2_000, [["100.00", "1.5"]]),
            diff(16, 17, 2_100, [["99.90", "1"]]),  # 13..15 never arrived
            diff(18, 18, 2_200, []),  # an event without levels keeps the chain whole
            diff(19, 20, 2_300, [["99.90", "0"]]),
        ],
    )
    report = import_files([capture], store)
    (depth,) = [item for item in report.series if item.key.kind is DataKind.DEPTH]
    assert (depth.gaps.count, depth.gaps.missing) == (1, 3)
    stored = list(events(BarStore(store).load_depth("BTCUSDT")))
    assert [(e.first_id, e.final_id, e.bids) for e in stored[-2:]] == [
        (18, 18, []),
        (19, 20, [(99.9, 0.0)]),
    ]
    assert check_store(store).ok


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([snapshot_line(10, 1), b"12 {not json\n"], "line"),
        ([diff(1, 2, 5, [["1", "1"]]), diff(3, 4, 6, [["1", "1"]], symbol="ETHUSDT")], "mixes"),
        ([diff(1, 2, 5, [["-1", "1"]])], "price"),
        ([diff(1, 2, 9, [["1", "1"]]), diff(3, 4, 5, [["1", "1"]])], "goes backwards"),
    ],
    ids=["malformed line", "two symbols", "negative price", "time against update ids"],
)
def test_bad_captures_import_nothing(
    store: Path, tmp_path: Path, rows: list[bytes], message: str
) -> None:
    capture = write(tmp_path / "btcusdt_bad.jsonl.gz", rows)
    with pytest.raises(BadMarketData, match=message) as raised:
        import_files([capture, SPOT_SLICE], store)
    assert raised.value.source == str(capture)
    assert not store.exists()


def test_symbol_override_must_agree_and_names_a_symbol_less_capture(
    store: Path, tmp_path: Path
) -> None:
    with pytest.raises(BadMarketData, match="not ETHUSDT"):
        import_files([SPOT_SLICE], store, Overrides(symbol="ETHUSDT"))
    lonely = write(tmp_path / "snapshot_only.jsonl.gz", [snapshot_line(10, 1_000)])
    with pytest.raises(BadMarketData, match="--symbol"):
        import_files([lonely], store)
    report = import_files([lonely], store, Overrides(symbol="ETHUSDT"))
    assert [item.key.symbol for item in report.series] == ["ETHUSDT"]
