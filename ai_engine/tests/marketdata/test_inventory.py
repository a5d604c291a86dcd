from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ai_engine.marketdata.importer import import_files
from ai_engine.marketdata.inventory import list_series

from .samples import BTC_24


def test_every_sample_series_is_listed(sample_store: Path) -> None:
    infos = {info.key.label: info for info in list_series(sample_store)}
    assert sorted(infos) == [
        "binance spot BTCUSDT 1m",
        "binance spot BTCUSDT trades",
        "binance spot ETHUSDT 1m",
        "binance usdm AVAXUSDT 1m",
        "binance usdm BTCUSDT funding",
        "binance usdm BTCUSDT trades",
    ]
    btc = infos["binance spot BTCUSDT 1m"]
    assert btc.first == datetime(2023, 3, 23, tzinfo=UTC)
    assert btc.last == datetime(2023, 3, 25, 23, 59, tzinfo=UTC)
    assert btc.rows == 3 * 1440 - 80
    assert infos["binance usdm AVAXUSDT 1m"].gaps.count == 0
    assert infos["binance usdm BTCUSDT funding"].rows == 270
    assert infos["binance usdm BTCUSDT funding"].gaps.count == 0
    assert infos["binance spot BTCUSDT trades"].gaps.count == 0  # ids are contiguous


def test_the_2023_03_24_spot_halt_is_in_the_gap_report(sample_store: Path) -> None:
    for info in list_series(sample_store):
        if info.key.interval != "1m" or info.key.market != "spot":
            continue
        assert (info.gaps.count, info.gaps.missing) == (1, 80)
        halt = info.gaps.largest[0]
        assert halt.start == datetime(2023, 3, 24, 12, 40, tzinfo=UTC)
        assert halt.end == datetime(2023, 3, 24, 14, 0, tzinfo=UTC)
        assert halt.missing == 80


def test_to_dict_is_json_ready(store: Path) -> None:
    import_files([BTC_24], store)
    (info,) = list_series(store)
    assert info.to_dict() == {
        "venue": "binance",
        "market": "spot",
        "symbol": "BTCUSDT",
        "kind": "bars",
        "interval": "1m",
        "first": "2023-03-24T00:00:00Z",
        "last": "2023-03-24T23:59:00Z",
        "rows": 1360,
        "gap_count": 1,
        "missing": 80,
        "largest_gap": {
            "start": "2023-03-24T12:40:00Z",
            "end": "2023-03-24T14:00:00Z",
            "missing": 80,
            "seconds": 4800.0,
        },
        "gaps": [
            {
                "start": "2023-03-24T12:40:00Z",
                "end": "2023-03-24T14:00:00Z",
                "missing": 80,
                "seconds": 4800.0,
            }
        ],
    }


def test_empty_or_missing_store(tmp_path: Path) -> None:
    assert list_series(tmp_path / "nothing") == []
