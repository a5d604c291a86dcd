from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from ai_engine.domain.errors import BadMarketData
from ai_engine.marketdata.sources import read_source

from .samples import BTC_23, lines, write_zip


def test_gzip_zip_and_plain_give_the_same_text(tmp_path: Path) -> None:
    text = gzip.decompress(BTC_23.read_bytes())
    plain = tmp_path / "BTCUSDT-1m-2023-03-23.csv"
    plain.write_bytes(text)
    archive = write_zip(tmp_path / "BTCUSDT-1m-2023-03-23.zip", {"BTCUSDT-1m-2023-03-23.csv": text})
    assert read_source(BTC_23) == read_source(plain) == read_source(archive) == text


def test_concatenated_gzip_members_are_read_whole(tmp_path: Path) -> None:
    rows = lines(BTC_23)
    both = tmp_path / "BTCUSDT-1m-2023-03-23.csv.gz"
    both.write_bytes(gzip.compress(b"".join(rows[:5])) + gzip.compress(b"".join(rows[5:])))
    assert read_source(both) == b"".join(rows)


def test_truncated_gzip_names_the_line_where_data_stops(tmp_path: Path) -> None:
    data = BTC_23.read_bytes()
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(data[:2000])
    with pytest.raises(BadMarketData, match="truncated") as caught:
        read_source(cut)
    assert caught.value.source == str(cut)
    assert caught.value.row is not None
    assert caught.value.row > 1


def test_zip_without_csv(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "x.zip", {"notes.txt": b"hi"})
    with pytest.raises(BadMarketData, match=r"exactly one \.csv file; it holds notes\.txt"):
        read_source(archive)


def test_damaged_zip(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "x.zip", {"x.csv": b"1,2,3\n" * 100})
    archive.write_bytes(archive.read_bytes()[:40])
    with pytest.raises(BadMarketData, match="damaged zip"):
        read_source(archive)


@pytest.mark.parametrize("content", [b"", b"\n\n", gzip.compress(b"")])
def test_empty_files(tmp_path: Path, content: bytes) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(content)
    with pytest.raises(BadMarketData, match="empty") as caught:
        read_source(empty)
    assert caught.value.row == 1


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadMarketData, match="cannot read"):
        read_source(tmp_path / "nope.csv")
