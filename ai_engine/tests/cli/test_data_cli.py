"""`tradingbot data import|list|check` through the real root command."""

from __future__ import annotations

import gzip
import json
import zipfile
import zlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ai_engine.cli.main import app

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "binance"
BTC_DAYS = sorted((SAMPLE / "spot" / "klines_1m").glob("BTCUSDT-1m-*.csv.gz"))
USDM_1M = SAMPLE / "futures_um" / "klines_1m" / "AVAXUSDT-1m-2023-02-01_2023-02-03.csv.gz"

runner = CliRunner()


def tradingbot(store: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--data-dir", str(store), "data", *args])
    return result.exit_code, result.stdout, result.stderr


def snapshot(root: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() else None
        for p in sorted(root.rglob("*"))
    }


def rows(path: Path) -> list[bytes]:
    return gzip.decompress(path.read_bytes()).splitlines(keepends=True)


def test_import_list_check(tmp_path: Path) -> None:
    store = tmp_path / "store"
    code, out, err = tradingbot(store, "import", *map(str, BTC_DAYS), str(USDM_1M))
    assert code == 0, err
    assert "binance spot BTCUSDT 1m: 3 file(s), 4,240 rows read" in out
    assert "2023-03-24T12:40:00Z -> 2023-03-24T14:00:00Z (80 bars missing)" in out
    assert "binance usdm AVAXUSDT 1m" in out

    code, out, _ = tradingbot(store, "list")
    assert code == 0
    assert out.splitlines()[0].split()[:4] == ["VENUE", "MARKET", "SYMBOL", "SERIES"]
    btc = next(
        line
        for line in out.splitlines()
        if line.split()[:4] == ["binance", "spot", "BTCUSDT", "1m"]
    )
    assert "2023-03-23T00:00:00Z" in btc
    assert "2023-03-25T23:59:00Z" in btc
    assert "4,240" in btc
    assert "2023-03-24T12:40:00Z -> 2023-03-24T14:00:00Z" in btc

    code, out, _ = tradingbot(store, "list", "--json")
    listed = {item["symbol"]: item for item in json.loads(out)}
    assert listed["BTCUSDT"]["rows"] == 4240
    assert listed["BTCUSDT"]["largest_gap"]["start"] == "2023-03-24T12:40:00Z"
    assert listed["AVAXUSDT"]["market"] == "usdm"
    assert listed["AVAXUSDT"]["gap_count"] == 0

    code, out, _ = tradingbot(store, "check")
    assert code == 0
    assert "2 series checked, 0 corrupt" in out


def test_reimport_changes_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert tradingbot(store, "import", str(BTC_DAYS[0]))[0] == 0
    before = snapshot(store)
    code, out, _ = tradingbot(store, "import", str(BTC_DAYS[0]))
    assert code == 0
    assert "0 new rows" in out
    assert "1,440 already stored" in out
    assert snapshot(store) == before


def test_overrides_for_anonymous_files(tmp_path: Path) -> None:
    anonymous = tmp_path / "candles.csv"
    anonymous.write_bytes(b"".join(rows(BTC_DAYS[0])))
    store = tmp_path / "store"
    code, _, err = tradingbot(store, "import", str(anonymous))
    assert code == 1
    assert "pass --symbol" in err
    code, out, err = tradingbot(
        store,
        "import",
        str(anonymous),
        "--symbol",
        "BTCUSDT",
        "--interval",
        "1m",
        "--market",
        "usdm",
    )
    assert code == 0, err
    assert "binance usdm BTCUSDT 1m" in out


def _bad_files(folder: Path) -> dict[str, tuple[Path, int]]:
    spot = rows(BTC_DAYS[0])
    whole = gzip.compress(b"".join(spot), mtime=0)
    half = whole[: len(whole) // 2]
    made: dict[str, tuple[str, bytes, int]] = {
        "truncated gzip": (
            "BTCUSDT-1m-2023-03-23.csv.gz",
            half,
            zlib.decompressobj(wbits=31).decompress(half).count(b"\n") + 1,
        ),
        "wrong column count": (
            "BTCUSDT-1m-2023-03-23.csv",
            b"".join(spot[:2]) + spot[2].rsplit(b",", 1)[0] + b"\n",
            3,
        ),
        "text in a number column": (
            "BTCUSDT-1m-2023-03-23.csv",
            b"".join(spot[:3]) + spot[3].replace(b".", b"x", 1),
            4,
        ),
        "header only": ("AVAXUSDT-1m-2023-02-01.csv", rows(USDM_1M)[0], 2),
        "mixed timestamp units": (
            "BTCUSDT-1m-2023-03-23.csv",
            b"".join(spot[:5]) + spot[5].replace(b",", b"000,", 1),
            6,
        ),
        "empty file": ("BTCUSDT-1m-2023-03-23.csv", b"", 1),
    }
    out = {}
    for case, (name, data, row) in made.items():
        path = folder / case.replace(" ", "-") / name
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        out[case] = (path, row)
    archive = folder / "zip" / "BTCUSDT-1m-2023-03-23.zip"
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("README.txt", "no csv here")
    out["zip with no csv"] = (archive, 1)
    return out


@pytest.mark.parametrize(
    "case",
    [
        "truncated gzip",
        "wrong column count",
        "text in a number column",
        "header only",
        "mixed timestamp units",
        "empty file",
        "zip with no csv",
    ],
)
def test_bad_file_exits_1_names_file_and_row_and_leaves_store_alone(
    tmp_path: Path, case: str
) -> None:
    store = tmp_path / "store"
    assert tradingbot(store, "import", str(BTC_DAYS[0]))[0] == 0
    before = snapshot(store)
    bad, row = _bad_files(tmp_path / "bad")[case]
    code, out, err = tradingbot(store, "import", str(BTC_DAYS[1]), str(bad), str(BTC_DAYS[2]))
    assert code == 1
    assert f"error: {bad} row {row}: " in err
    assert "Traceback" not in err + out
    assert snapshot(store) == before


def test_check_fails_on_corruption(tmp_path: Path) -> None:
    store = tmp_path / "store"
    tradingbot(store, "import", str(BTC_DAYS[0]))
    (partition,) = store.rglob("*.parquet")
    table = pq.read_table(partition)
    pq.write_table(table.take([1, 0, *range(2, table.num_rows)]), partition)
    code, out, _ = tradingbot(store, "check")
    assert code == 1
    assert f"CORRUPT binance spot BTCUSDT 1m\n  {partition} row 2: open_time goes backwards" in out
    code, out, _ = tradingbot(store, "check", "--json")
    assert code == 1
    assert json.loads(out)["ok"] is False


def test_list_of_an_empty_store(tmp_path: Path) -> None:
    code, out, _ = tradingbot(tmp_path / "none", "list")
    assert code == 0
    assert "no market data" in out
