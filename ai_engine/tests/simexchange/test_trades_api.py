"""The REST trade endpoints over the store's real trades (2024-08-08 23:55-23:58 excerpt),
through python-binance: recent, historical by id, aggregate -- never a trade from the future."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from binance import Client
from binance.exceptions import BinanceAPIException

from ai_engine.marketdata import BarStore, Trades, bars_from_trades, import_files
from ai_engine.simexchange import SimConfig, ThreadedSimExchange

TRADES_FILE = (
    Path(__file__).resolve().parents[2]
    / "sample_data/binance/trades/spot/BTCUSDT-trades-2024-08-08-excerpt.csv.gz"
)
FIRST_CLOSE = 1_723_161_360_000  # 23:56: the first bar's close, where replay starts


@pytest.fixture(scope="module")
def trade_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trade excerpt plus the 1m bars built from it (the sim needs bars to replay)."""
    root, work = tmp_path_factory.mktemp("trade-store"), tmp_path_factory.mktemp("csv")
    import_files([TRADES_FILE], root)
    bars = bars_from_trades(BarStore(root).load_trades("BTCUSDT"), "1m")
    klines = work / "spot" / "BTCUSDT-1m-2024-08-08.csv"
    klines.parent.mkdir()
    with klines.open("w", newline="") as out:
        for i in range(len(bars)):
            opened = int(bars.open_time[i])
            csv.writer(out).writerow([
                opened, bars.open[i], bars.high[i], bars.low[i], bars.close[i], bars.volume[i],
                opened + 59_999, bars.quote_volume[i], bars.trades[i], bars.taker_buy_volume[i],
                bars.taker_buy_quote_volume[i], 0,
            ])  # fmt: skip
    import_files([klines], root)
    return root


@pytest.fixture(scope="module")
def tape(trade_store: Path) -> Trades:
    return BarStore(trade_store).load_trades("BTCUSDT")


@pytest.fixture
def trades_sim(trade_store: Path) -> Iterator[ThreadedSimExchange]:
    config = SimConfig(data_dir=trade_store, symbols=("BTCUSDT",))  # public endpoints only
    with ThreadedSimExchange(config) as server:
        yield server


@pytest.fixture
def public(trades_sim: ThreadedSimExchange, client_for: Callable[..., Client]) -> Client:
    return client_for(trades_sim.api_url)


def test_recent_trades_end_at_replay_now(
    public: Client, trades_sim: ThreadedSimExchange, tape: Trades
) -> None:
    visible = tape.id[tape.time < FIRST_CLOSE]
    recent = public.get_recent_trades(symbol="BTCUSDT", limit=5)
    assert [t["id"] for t in recent] == [int(i) for i in visible[-5:]]
    assert set(recent[0]) == {"id", "price", "qty", "quoteQty", "time", "isBuyerMaker",
                              "isBestMatch"}  # fmt: skip
    assert all(t["time"] < FIRST_CLOSE for t in public.get_recent_trades(symbol="BTCUSDT"))
    assert len(public.get_recent_trades(symbol="BTCUSDT")) == min(500, len(visible))
    trades_sim.advance(bars=1)
    later = public.get_recent_trades(symbol="BTCUSDT", limit=1)
    assert later[0]["id"] == int(tape.id[tape.time < FIRST_CLOSE + 60_000][-1])


def test_historical_trades_from_an_id(public: Client, tape: Trades) -> None:
    start = int(tape.id[100])
    page = public.get_historical_trades(symbol="BTCUSDT", fromId=start, limit=3)
    assert [t["id"] for t in page] == [start, start + 1, start + 2]
    row = page[0]
    assert (Decimal(row["price"]), Decimal(row["qty"])) == (
        Decimal(repr(float(tape.price[100]))), Decimal(repr(float(tape.qty[100]))),
    )  # fmt: skip
    assert row["isBuyerMaker"] == bool(tape.is_buyer_maker[100])


def test_aggregate_trades_cover_every_visible_trade_once(public: Client, tape: Trades) -> None:
    visible = tape.time < FIRST_CLOSE
    groups = public.get_aggregate_trades(symbol="BTCUSDT", limit=1000)
    assert groups[0]["f"] == int(tape.id[0])
    assert groups[-1]["l"] == int(tape.id[visible][-1])
    assert all(g["a"] == g["f"] <= g["l"] for g in groups)
    assert [g["f"] for g in groups[1:]] == [g["l"] + 1 for g in groups[:-1]]  # no gap, no overlap
    total = sum(Decimal(g["q"]) for g in groups)
    assert abs(total - Decimal(repr(float(tape.qty[visible].sum())))) < Decimal("0.000001")
    assert len(groups) < int(visible.sum())  # some trades did merge
    by_id = public.get_aggregate_trades(symbol="BTCUSDT", fromId=groups[3]["a"], limit=2)
    assert by_id == groups[3:5]
    start = groups[10]["T"]
    window = public.get_aggregate_trades(symbol="BTCUSDT", startTime=start, endTime=start + 999)
    assert window[0]["T"] == start
    assert all(start <= g["T"] <= start + 999 for g in window)


@pytest.mark.parametrize(
    ("params", "code"),
    [({"fromId": 1, "startTime": 1}, -1128), ({"startTime": 0, "endTime": 3_600_001}, -1127)],
)
def test_aggregate_trade_parameter_errors(
    public: Client, params: dict[str, int], code: int
) -> None:
    with pytest.raises(BinanceAPIException) as caught:
        public.get_aggregate_trades(symbol="BTCUSDT", **params)
    assert caught.value.code == code


def test_no_trades_in_the_store_is_an_empty_list(client: Client) -> None:
    assert client.get_recent_trades(symbol="BTCUSDT") == []
    assert client.get_historical_trades(symbol="ETHUSDT", fromId=1) == []
    assert client.get_aggregate_trades(symbol="BTCUSDT") == []
