"""USD-M klines, mark-price klines and funding rates from the sim's /fapi, and spot aggregate
trades for a time window, each checked against the data the sim serves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from ai_engine.domain.enums import MarketType
from ai_engine.marketdata import BarStore, DataKind, import_files
from ai_engine.marketdata.download import DownloadRequest, Kind
from ai_engine.marketdata.inventory import list_series
from ai_engine.simexchange import ThreadedSimExchange

from .conftest import (
    SHARED,
    USDM_BARS,
    USDM_END,
    USDM_FUNDING,
    USDM_START,
    FakeTiming,
    downloader,
    same_columns,
    spot_config,
    usdm_config,
)

Serve = Callable[..., ThreadedSimExchange]
AGG_START = 1_723_161_300_000  # 2024-08-08T23:55Z: the trade excerpt's first minute
AGG_END = 1_723_161_600_000  # 2024-08-09T00:00Z


def usdm(kind: Kind, interval: str | None = None, end: int | None = USDM_END) -> DownloadRequest:
    return DownloadRequest("BTCUSDT", kind, MarketType.USDM, USDM_START, end, interval)


def test_usdm_klines_and_mark_price_klines(
    usdm_source: Path, serve: Serve, fake_time: FakeTiming, tmp_path: Path
) -> None:
    sim = serve(usdm_config(usdm_source), wall=fake_time)
    store = tmp_path / "store"
    client = downloader(store, sim, fake_time)
    try:
        bars_report = client.download(usdm(Kind.KLINES, "1m"))
        mark_report = client.download(usdm(Kind.MARK_PRICE, "1m"))
    finally:
        client.close()
    source = BarStore(usdm_source).load_bars("BTCUSDT", "1m", market=MarketType.USDM)
    bars = BarStore(store).load_bars("BTCUSDT", "1m", market=MarketType.USDM)
    assert same_columns(source, bars) == []
    assert bars_report.rows_added == len(source)
    assert bars_report.requests == 5  # 4,320 bars in 1,000-bar windows

    # The sim's mark price is the traded close; its mark-price klines carry "0" volumes, as
    # Binance's do. They are their own series, beside the traded bars.
    mark = BarStore(store).load_mark_price("BTCUSDT", "1m")
    assert mark_report.rows_added == len(source)
    for name in ("open_time", "open", "high", "low", "close", "trades"):
        assert np.array_equal(getattr(mark, name), getattr(source, name)), name
    for name in ("volume", "quote_volume", "taker_buy_volume", "taker_buy_quote_volume"):
        assert not getattr(mark, name).any(), name
    kinds = {(info.kind, info.interval) for info in list_series(store)}
    assert kinds == {(DataKind.BARS, "1m"), (DataKind.MARK_PRICE, "1m")}


def test_funding_rates(
    usdm_source: Path, serve: Serve, fake_time: FakeTiming, tmp_path: Path
) -> None:
    sim = serve(usdm_config(usdm_source), wall=fake_time)
    replay_now = sim.call(lambda exchange: exchange.now_ms())
    store = tmp_path / "store"
    client = downloader(store, sim, fake_time)
    try:
        report = client.download(usdm(Kind.FUNDING, end=None))
        again = client.download(usdm(Kind.FUNDING, end=None))
    finally:
        client.close()
    source = BarStore(usdm_source).load_funding("BTCUSDT")
    served = source.take(np.flatnonzero(source.funding_time <= replay_now))  # no look-ahead
    assert len(served) >= 8
    assert same_columns(served, BarStore(store).load_funding("BTCUSDT")) == []
    assert report.rows_added == len(served)
    assert report.gaps.count == 0
    assert again.rows_added == 0
    assert again.requests <= 1  # at most the tail after the last event


def test_spot_aggregate_trades_for_a_window(
    trade_source: Path, serve: Serve, fake_time: FakeTiming, tmp_path: Path
) -> None:
    """Three minutes of real BTCUSDT trades (4,335) come back as aggregates, paged 1,000 at a
    time; checked against the single trades: every trade id in exactly one aggregate whose
    time, price and side it shares, quantities summing up."""
    sim = serve(spot_config(trade_source, symbols=("BTCUSDT",)), wall=fake_time)
    store = tmp_path / "store"
    request = DownloadRequest("BTCUSDT", Kind.AGG_TRADES, MarketType.SPOT, AGG_START, AGG_END)
    client = downloader(store, sim, fake_time)
    try:
        report = client.download(request)
        again = client.download(request)
    finally:
        client.close()
    trades = BarStore(trade_source).load_trades("BTCUSDT")
    aggs = BarStore(store).load_agg_trades("BTCUSDT")
    assert report.rows_added == len(aggs) > 1000  # more than one page
    assert report.gaps.count == 0
    assert again.rows_added == 0
    # Every trade id once, in order: runs first_id..last_id tile the trade ids.
    assert aggs.first_id[0] == trades.id[0]
    assert aggs.last_id[-1] == trades.id[-1]
    assert np.array_equal(aggs.first_id[1:], aggs.last_id[:-1] + 1)
    run = np.searchsorted(aggs.first_id, trades.id, side="right") - 1
    assert np.array_equal(trades.time, aggs.time[run])
    assert np.array_equal(trades.price, aggs.price[run])
    assert np.array_equal(trades.is_buyer_maker, aggs.is_buyer_maker[run])
    summed = np.bincount(run, weights=trades.qty, minlength=len(aggs))
    assert np.allclose(summed, aggs.qty, rtol=0, atol=1e-9)


FUNDING_HISTORY = (
    SHARED / "futures_um" / "funding_rate" / "BTCUSDT-fundingRate-2019-09-10_2024-12-31.csv.gz"
)


@pytest.mark.skipif(not FUNDING_HISTORY.exists(), reason="needs ../shared/data")
def test_years_of_funding_page_through(serve: Serve, fake_time: FakeTiming, tmp_path: Path) -> None:
    """5,800 real funding events (2019-2024): six pages of 1,000."""
    source = tmp_path / "source"
    import_files([USDM_BARS, USDM_FUNDING, FUNDING_HISTORY], source)
    sim = serve(usdm_config(source), wall=fake_time)
    store = tmp_path / "store"
    request = DownloadRequest("BTCUSDT", Kind.FUNDING, MarketType.USDM, 0, USDM_START)
    client = downloader(store, sim, fake_time)
    try:
        report = client.download(request)
    finally:
        client.close()
    expected = BarStore(source).load_funding("BTCUSDT")
    expected = expected.take(np.flatnonzero(expected.funding_time < USDM_START))
    assert len(expected) > 5000
    assert same_columns(expected, BarStore(store).load_funding("BTCUSDT")) == []
    assert report.requests == len(expected) // 1000 + 1
