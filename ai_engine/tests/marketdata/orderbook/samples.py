"""The vendored raw capture slices, the shared captures (when present), and small builders of
depth records and capture lines for the sequencing and reader tests."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from ai_engine.marketdata.captures import DepthDiff, DepthSnapshot

WS_RAW = Path(__file__).resolve().parents[3] / "sample_data" / "binance" / "ws_raw"
SPOT_SLICE = WS_RAW / "spot" / "btcusdt_20240808-first90s.jsonl.gz"
USDM_SLICE = WS_RAW / "usdm" / "btcusdt_20240718-first90s.jsonl.gz"
SLICES = (SPOT_SLICE, USDM_SLICE)

TRADES = WS_RAW.parent / "trades"
SPOT_TRADES = TRADES / "spot" / "BTCUSDT-trades-2024-08-08-excerpt.csv.gz"
USDM_TRADES = TRADES / "usdm" / "BTCUSDT-trades-2024-08-08-excerpt.csv.gz"

# ../shared next to the repository (absent on a fresh clone: those tests skip)
SHARED = Path(__file__).resolve().parents[5] / "shared" / "data" / "binance"
SHARED_WS_RAW = SHARED / "ws_raw"

# One real USD-M markPrice@1s line (usdm/btcusdt_20230404, 2023: microsecond local stamp):
# the vendored 2024 slices carry no mark price stream.
MARK_PRICE_LINE = (
    b'1680652701048293 {"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate",'
    b'"E":1680652701000,"s":"BTCUSDT","p":"28147.27373413","P":"28142.15563565",'
    b'"i":"28159.75642857","r":"0.00002754","T":1680652800000}}\n'
)


def shared_captures() -> list[Path]:
    """Every shared capture, in a stable order; the test skips when the folder is absent."""
    found = sorted(SHARED_WS_RAW.glob("*/*.jsonl.gz"))
    if not found:
        pytest.skip(f"shared captures not present ({SHARED_WS_RAW})")
    return found


def lines(path: Path) -> list[bytes]:
    """The lines of a capture, newline kept."""
    return gzip.decompress(path.read_bytes()).splitlines(keepends=True)


def write_capture(path: Path, rows: list[bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(b"".join(rows), mtime=0))
    return path


def snapshot(last_id: int, bids: dict[str, str], asks: dict[str, str]) -> DepthSnapshot:
    return DepthSnapshot(0, last_id, tuple(bids.items()), tuple(asks.items()))


def diff(
    first: int,
    final: int,
    bids: dict[str, str] | None = None,
    asks: dict[str, str] | None = None,
    *,
    pu: int | None = None,
    symbol: str = "BTCUSDT",
) -> DepthDiff:
    return DepthDiff(
        0, 0, symbol, first, final, pu, tuple((bids or {}).items()), tuple((asks or {}).items())
    )
