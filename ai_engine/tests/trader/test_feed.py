"""The stepped feed (``trader/feed.py``) against the sim exchange in this test's loop: one bar
per step, in order, to the end of the data; its errors are ``FeedError``s naming the request;
``BarWindow`` equals ``klines_to_bars`` of the list's tail whatever way the list grows, and
after a live run lets go of its oldest bars (``TraderRun.keep_last``).
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from ai_engine.marketdata.frames import Bars
from ai_engine.marketdata.importer import expand_paths, import_files
from ai_engine.simexchange import AccountSpec, SimConfig, running_sim_exchange
from ai_engine.trader.feed import (
    BarWindow,
    ClockSteppedFeed,
    FeedError,
    Kline,
    http_session,
    klines_to_bars,
)
from ai_engine.trader.loop import TraderRun

DAY = (
    Path(__file__).resolve().parents[2]
    / "sample_data/binance/spot/klines_1m/BTCUSDT-1m-2023-03-23.csv.gz"
)
LAST_HOUR = datetime(2023, 3, 23, 23, 0, tzinfo=UTC)  # the clock starts there: 60 steps


def same(a: Bars, b: Bars) -> bool:
    return all(
        np.array_equal(getattr(a, name), getattr(b, name))
        and getattr(a, name).dtype == getattr(b, name).dtype
        for name in Bars.column_names()
    )


def kline(i: int) -> Kline:
    return Kline(60_000 * i, i + 0.5, i + 1.25, i - 0.75, i + 0.125, 1.5 * i, 3.0 * i, i,
                 0.5 * i, 1.0 * i)  # fmt: skip


def test_the_window_is_the_tail_of_the_list_however_it_grows() -> None:
    window = BarWindow(5)
    bars: list[Kline] = []
    assert len(window.of(bars)) == 0
    for chunk in (1, 3, 1, 7, 1, 1, 1, 1, 1, 1, 1, 12, 1):  # across several compactions
        bars.extend(kline(len(bars) + j) for j in range(chunk))
        got = window.of(bars)
        assert same(got, klines_to_bars(bars[-5:])), len(bars)
    got.close[:] = 0  # a copy: the window's own rows are untouched
    assert same(window.of(bars), klines_to_bars(bars[-5:]))
    shorter = bars[:4]  # not the list seen: taken afresh
    assert same(window.of(shorter), klines_to_bars(shorter))
    other = [kline(100 + j) for j in range(6)]  # another list, longer than the one seen
    assert same(window.of(other), klines_to_bars(other[-5:]))
    with pytest.raises(ValueError, match="at least one bar"):
        BarWindow(0)


def test_a_run_keeping_its_last_bars_lets_go_in_cuts_and_its_window_follows() -> None:
    run, window = TraderRun(), BarWindow(5)
    for chunk in (3, 4, 1, 1, 9, 1, 30, 1, 2):
        for _ in range(chunk):
            i = run.seen
            run.bars.append(kline(i))
            run.equity.append(Decimal(i))
        run.keep_last(8)
        assert len(run.bars) == len(run.equity) < 16  # cut once they reach twice the kept
        assert [b.open_time for b in run.bars] == [60_000 * i for i in range(run.dropped, run.seen)]
        assert run.equity[-1] == Decimal(run.seen - 1)  # each bar keeps its own equity point
        assert same(window.of(run.bars), klines_to_bars(run.bars[-5:])), run.seen
    assert run.seen == 52
    assert run.dropped == 52 - len(run.bars) > 0
    run.keep_last(0)  # 0 keeps everything
    assert run.seen == 52


async def test_each_step_brings_the_next_bar_and_errors_name_the_request(
    tmp_path: Path,
) -> None:
    import_files(expand_paths([DAY]), tmp_path)
    config = SimConfig(
        data_dir=tmp_path, symbols=("BTCUSDT",), start=LAST_HOUR, speed=0.0,
        accounts=(AccountSpec(api_key="k", secret="s", balances=(("USDT", Decimal(1)),)),),
    )  # fmt: skip
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    async with running_sim_exchange(config) as sim, http_session() as http:
        feed = ClockSteppedFeed(http, sim.base_url, "BTCUSDT", "1m")
        first = await feed.history()
        bars = list(first.bars)
        assert len(bars) == 23 * 60  # over two pages of 1,000
        assert not first.at_end
        window, steps, step = BarWindow(50), 0, first
        while not step.at_end:
            step = await feed.step()
            steps += 1
            assert [b.open_time for b in step.bars] == [bars[-1].open_time + 60_000]
            bars.extend(step.bars)
            assert step.now_ms == bars[-1].open_time + 60_000
            assert same(window.of(bars), klines_to_bars(bars[-50:]))
        assert (steps, len(bars)) == (60, 1440)
        assert bars[-1].close == 28_295.41  # the file's last close (2023-03-23 23:59)

        with pytest.raises(FeedError, match=r"GET /api/v9/depth: HTTP 404"):
            await ClockSteppedFeed(http, sim.base_url, "BTCUSDT", "1m", api="/api/v9").depth()
        with pytest.raises(FeedError, match=r"POST /sim/clock/advance: ClientConnectorError"):
            await ClockSteppedFeed(http, closed, "BTCUSDT", "1m").step()
