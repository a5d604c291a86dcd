"""The paper USD-M market (``running_live_sim`` with futures symbols): the ``/fapi`` venue follows
Binance USD-M's public data -- history over ``/fapi/v1/klines``, closed bars and mark prices
over the combined stream of the futures host (``/fstream/stream?streams=btcusdt@kline_1m/
btcusdt@markPrice``) -- and charges funding at the funding time the mark price stream names.

"Binance USD-M" is an upstream replay sim (manual clock) on the vendored real BTCUSDT perpetual
bars and funding (2025-05-26), speaking Binance's formats; the paper sim's clock is the
upstream's. One test: the paper market starts from the upstream's history, follows its bars
one by one, a short opened at the paper venue receives funding at 08:00 at the rate the stream
showed before it (qty x mark x rate, the mark a close of the paper market's), and nothing is
charged before 08:00.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
from binance import Client

from ai_engine.infra.waiting import wait_until
from ai_engine.simexchange import RunningSim, SimConfig, ThreadedSimExchange
from ai_engine.simexchange.live import LiveSource
from simexchange.test_live_source import LiveSim

FUNDING_08 = 1748246400000  # 2025-05-26 08:00:00.000 (stored funding time)
START = datetime(2025, 5, 26, 7, 50, tzinfo=UTC)


def fklines(base_url: str) -> list[list[Any]]:
    query = {"symbol": "BTCUSDT", "interval": "1m", "limit": 1000}
    rows: list[list[Any]] = requests.get(
        f"{base_url}/fapi/v1/klines", params=query, timeout=5
    ).json()
    return rows


@pytest.fixture
def upstream(make_fconfig: Callable[..., SimConfig]) -> Iterator[ThreadedSimExchange]:
    with ThreadedSimExchange(make_fconfig(accounts=(), start=START)) as server:
        yield server


@pytest.fixture
def paper(
    make_fconfig: Callable[..., SimConfig], upstream: ThreadedSimExchange, tmp_path: Any
) -> Iterator[RunningSim]:
    clock = upstream.call(lambda exchange: exchange.clock)
    source = LiveSource(
        futures_ws_url=upstream.base_url + "/fstream", futures_rest_url=upstream.base_url,
        history_bars=100, backoff_s=0.05, max_backoff_s=0.2,
    )  # fmt: skip
    config = make_fconfig(data_dir=tmp_path)  # an empty store: every bar from the upstream
    with LiveSim(config, source, clock.now_ms) as running:
        yield running


def test_paper_usdm_follows_the_public_usdm_market_and_charges_funding_at_its_time(
    upstream: ThreadedSimExchange, paper: RunningSim, fclient_for: Callable[..., Client]
) -> None:
    history = fklines(upstream.base_url)
    assert fklines(paper.base_url) == history[-100:]  # the history over /fapi/v1/klines
    client = fclient_for(paper.base_url)
    client.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.1")
    rates = []
    for _ in range(12):  # bar by bar across 08:00 (each close sends a kline and a mark price)
        rates.append(requests.get(f"{upstream.base_url}/fapi/v1/premiumIndex",
                                  params={"symbol": "BTCUSDT"}, timeout=5).json())  # fmt: skip
        upstream.advance(bars=1)
        assert wait_until(lambda: fklines(paper.base_url)[-1] == fklines(upstream.base_url)[-1], 5)
        if upstream.call(lambda exchange: exchange.now_ms()) < FUNDING_08:
            assert client.futures_income_history(incomeType="FUNDING_FEE") == []  # not yet
    assert wait_until(lambda: client.futures_income_history(incomeType="FUNDING_FEE"), 5)
    (row,) = client.futures_income_history(incomeType="FUNDING_FEE")
    assert row["time"] == FUNDING_08
    # The rate the stream showed last before 08:00 (the stand-in shows the last settled one).
    shown = [r for r in rates if r["nextFundingTime"] == FUNDING_08]
    assert shown
    rate = Decimal(shown[-1]["lastFundingRate"])
    assert rate != 0
    closes = {Decimal(row[4]) for row in fklines(paper.base_url)[-12:]}
    expected = {(Decimal("0.1") * close * rate).quantize(Decimal("1e-8")) for close in closes}
    assert Decimal(row["income"]) in expected  # a short receives a positive rate
    assert fklines(paper.base_url)[-101:] == fklines(upstream.base_url)[-101:]
