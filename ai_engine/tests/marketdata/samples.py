"""The vendored real sample files, and small builders of (bad) files made from their rows."""

from __future__ import annotations

import gzip
import zipfile
import zlib
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "binance"
SPOT_1M = SAMPLE / "spot" / "klines_1m"
BTC_DAYS = sorted(SPOT_1M.glob("BTCUSDT-1m-2023-03-2*.csv.gz"))
ETH_DAYS = sorted(SPOT_1M.glob("ETHUSDT-1m-2023-03-2*.csv.gz"))
BTC_23, BTC_24, BTC_25 = BTC_DAYS
USDM_1M = SAMPLE / "futures_um" / "klines_1m" / "AVAXUSDT-1m-2023-02-01_2023-02-03.csv.gz"
FUNDING = (
    SAMPLE / "futures_um" / "funding_rate" / "BTCUSDT-fundingRate-2023-01-01_2023-03-31.csv.gz"
)
SPOT_TRADES = SAMPLE / "trades" / "spot" / "BTCUSDT-trades-2024-08-08-excerpt.csv.gz"
USDM_TRADES = SAMPLE / "trades" / "usdm" / "BTCUSDT-trades-2024-08-08-excerpt.csv.gz"


def lines(path: Path) -> list[bytes]:
    """The text lines of a gzip sample, newline kept."""
    return gzip.decompress(path.read_bytes()).splitlines(keepends=True)


def write_csv(path: Path, rows: list[bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(rows))
    return path


def write_gz(path: Path, rows: list[bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(b"".join(rows), mtime=0))
    return path


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def to_microseconds(row: bytes) -> bytes:
    """A spot kline row with 16-digit timestamps, as Binance writes them since 2025."""
    fields = row.split(b",")
    fields[0] += b"000"
    fields[6] += b"999"
    return b",".join(fields)


def replace_field(row: bytes, index: int, value: bytes) -> bytes:
    fields = row.rstrip(b"\n").split(b",")
    fields[index] = value
    return b",".join(fields) + b"\n"


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (None for folders): compare before/after."""
    if not root.exists():
        return {}
    return {
        str(path.relative_to(root)): path.read_bytes() if path.is_file() else None
        for path in sorted(root.rglob("*"))
    }


def bad_files(folder: Path) -> dict[str, tuple[Path, int]]:
    """Damaged copies of real sample files -> (path, the line the error must name)."""
    rows = lines(BTC_23)
    usdm = lines(USDM_1M)
    gz = gzip.compress(b"".join(rows), mtime=0)
    half = gz[: len(gz) // 2]
    stops_on = zlib.decompressobj(wbits=31).decompress(half).count(b"\n") + 1
    name = "BTCUSDT-1m-2023-03-23.csv"
    short_row = rows[9][:-3] + b"\n"
    text_row = replace_field(rows[4], 2, b"abc")
    return {
        "truncated gzip": (_write_bytes(folder / "truncated" / f"{name}.gz", half), stops_on),
        "wrong column count": (write_csv(folder / "columns" / name, [*rows[:9], short_row]), 10),
        "text in a number column": (write_csv(folder / "text" / name, [*rows[:4], text_row]), 5),
        "header only": (write_csv(folder / "header" / "AVAXUSDT-1m-2023-02-01.csv", usdm[:1]), 2),
        "mixed timestamp units": (
            write_gz(folder / "units" / f"{name}.gz", [*rows[:6], to_microseconds(rows[6])]),
            7,
        ),
        "empty file": (write_csv(folder / "empty" / name, []), 1),
        "zip with no csv": (
            write_zip(folder / "zip" / name.replace(".csv", ".zip"), {"README.txt": b"nothing\n"}),
            1,
        ),
    }


def _write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
