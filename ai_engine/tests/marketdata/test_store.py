from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from ai_engine.domain.enums import MarketType
from ai_engine.marketdata.importer import import_files
from ai_engine.marketdata.parsing import parse_file
from ai_engine.marketdata.resampling import resample
from ai_engine.marketdata.schema import bars_of
from ai_engine.marketdata.store import (
    BarStore,
    UnknownSeries,
    load_bars,
)

from .samples import BTC_23, BTC_24, USDM_1M

DAY_24 = datetime(2023, 3, 24, tzinfo=UTC)
DAY_25 = datetime(2023, 3, 25, tzinfo=UTC)


def test_load_bars_whole_and_ranged(sample_store: Path) -> None:
    bars = BarStore(sample_store).load_bars("BTCUSDT", "1m")
    assert len(bars) == 4240
    assert bars.open_time.dtype == np.int64
    assert bars.close.dtype == np.float64
    assert bars.trades.dtype == np.int64
    day = BarStore(sample_store).load_bars("BTCUSDT", "1m", DAY_24, DAY_25)
    assert len(day) == 1360
    assert day.open_time[0] == 1679616000000  # start inclusive
    assert day.open_time[-1] == 1679702340000  # end exclusive: 23:59 is the last bar
    assert bars_of(parse_file(BTC_24).table).close.tolist() == day.close.tolist()


def test_module_level_load_bars(sample_store: Path) -> None:
    bars = load_bars("ethusdt", "1m", DAY_24, DAY_25, data_dir=sample_store)
    assert len(bars) == 1360


def test_naive_datetimes_are_refused(sample_store: Path) -> None:
    with pytest.raises(ValueError, match="naive"):
        BarStore(sample_store).load_bars("BTCUSDT", "1m", datetime(2023, 3, 24))  # noqa: DTZ001


def test_unknown_series_lists_what_is_stored(sample_store: Path) -> None:
    with pytest.raises(UnknownSeries) as caught:
        BarStore(sample_store).load_bars("DOGEUSDT", "1m")
    assert isinstance(caught.value, KeyError)
    message = str(caught.value)
    assert "binance spot DOGEUSDT 1m" in message
    assert "binance spot BTCUSDT 1m" in message
    assert "binance usdm AVAXUSDT 1m" in message
    with pytest.raises(UnknownSeries, match="stored bars:"):
        BarStore(sample_store).load_bars("BTCUSDT", "30s")  # 1m bars cannot make 30s bars


def test_resampled_on_the_fly_whole_buckets_only(store: Path) -> None:
    import_files([BTC_23, BTC_24], store)
    start = datetime(2023, 3, 23, 10, 30, tzinfo=UTC)
    hours = BarStore(store).load_bars("BTCUSDT", "1h", start, DAY_25)
    minutes = BarStore(store).load_bars(
        "BTCUSDT", "1m", datetime(2023, 3, 23, 11, tzinfo=UTC), DAY_25
    )
    expected = resample(minutes, "1h")
    assert hours.open_time[0] == 1679569200000  # 11:00, the first whole hour after 10:30
    np.testing.assert_array_equal(hours.open_time, expected.open_time)
    np.testing.assert_array_equal(hours.high, expected.high)


def test_futures_market(sample_store: Path) -> None:
    bars = BarStore(sample_store).load_bars("AVAXUSDT", "5m", market=MarketType.USDM)
    assert len(bars) == 3 * 288
    assert bars_of(parse_file(USDM_1M).table).volume.sum() == pytest.approx(bars.volume.sum())


def test_trades_funding_and_trade_bars(sample_store: Path) -> None:
    store = BarStore(sample_store)
    trades = store.load_trades("BTCUSDT", market=MarketType.USDM)
    assert len(trades) == 8714
    funding = store.load_funding(
        "BTCUSDT", datetime(2023, 2, 1, tzinfo=UTC), datetime(2023, 3, 1, tzinfo=UTC)
    )
    assert len(funding) == 84
    seconds = store.load_trade_bars("BTCUSDT", "5s")
    assert seconds.trades.sum() == 4335
    with pytest.raises(UnknownSeries, match="stored trades"):
        store.load_trades("ETHUSDT")


def test_series_is_what_list_prints(sample_store: Path) -> None:
    labels = [info.key.label for info in BarStore(sample_store).series()]
    assert "binance spot BTCUSDT 1m" in labels
    assert len(labels) == 6
