"""Replays of the vendored real bars through the full path: sim exchange in-process, real
PostgreSQL and Redis (session fixtures of tests/conftest.py), a real Celery orders worker.

The testnet tests (``test_modes_testnet.py``, ``test_modes_restart.py``) share ``btc_store``
and ``testnet_venue``: the "testnet" is a sim exchange on its own thread, its clock running
at 60x from ``TESTNET_START`` (a bar a second), one account with ``TESTNET_KEY``/``_SECRET``.
The USD-M ones (``test_modes_usdm.py``, ``test_modes_paper_usdm.py``, ``test_flash_short.py``)
share ``usdm_store`` (the BTCUSDT perpetual's ``USDM_KLINES``), ``usdm_venue`` (USD-M only,
at 60x from ``USDM_START``, the futures wallet of ``USDM_KEY`` holding ``USDM_CASH``) and the
bot ``usdm_bot``. ``run_record`` reads a run's orders, trades and decisions back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ai_engine.simexchange import ThreadedSimExchange
    from ai_engine.store.orders import Order as OrderRow
    from ai_engine.store.portfolio import Trade
    from ai_engine.store.signals import Decision

KLINES = Path(__file__).resolve().parents[2] / "sample_data" / "binance" / "spot" / "klines_1m"
TESTNET_KEY, TESTNET_SECRET = "tn-key-5f3a9c", "tn-secret-81d2e7"  # never printed (tested)
TESTNET_START = datetime(2023, 3, 23, 3, tzinfo=UTC)  # 180 bars of warm-up history before it
USDM_KLINES = (
    Path(__file__).resolve().parents[2]
    / "sample_data/binance/futures_um/klines_1m/BTCUSDT-1m-2025-05-26_2025-05-28.csv.gz"
)
USDM_KEY, USDM_SECRET = "um-key-3e8b1f", "um-secret-0a6c94"
USDM_START = datetime(2025, 5, 26, 3, tzinfo=UTC)  # 180 bars of warm-up before it; no funding
USDM_CASH = Decimal(2000)
USDM_LEVERAGE, USDM_DEAD_MAN_S = 2, 120


def usdm_bot(bot_id: str, *, exits: dict[str, Any] | None = None, **safety: Any) -> Any:
    """The USD-M tests' bot (``BotConfig``): ``ema_cross`` 2/3 with shorts on the BTCUSDT
    perpetual at ``USDM_LEVERAGE``, half the ``USDM_CASH`` wallet per entry, a 5 % stop, no
    reversal exit, the dead-man switch at ``USDM_DEAD_MAN_S``; ``exits`` are added to its
    exits, ``safety`` overrides."""
    from ai_engine.trader.bot_config import parse_bot_config

    leverage = USDM_LEVERAGE
    return parse_bot_config(
        {"id": bot_id, "market": "usdm", "leverage": leverage, "symbols": ["BTCUSDT"],
         "interval": "1m", "strategy": {"name": "ema_cross",
                                        "params": {"fast": 2, "slow": 3, "shorts": True}},
         "risk": {"profile": "unrestricted", "overrides": {"leverage.max_leverage": leverage}},
         "sizing": {"kind": "fraction", "fraction": 0.5},
         "account": {"cash": int(USDM_CASH), "fee": "0.0005"},
         "exits": {"stop": {"percent": 0.05}, "reversal": {"enabled": False}, **(exits or {})},
         "safety": {"heartbeat_s": 0.2, "dead_man_s": USDM_DEAD_MAN_S, "flatten_on_stop": False,
                    **safety}},
        source=f"{bot_id}.yaml",
    )  # fmt: skip


def run_record(
    database_url: str, run_id: str
) -> tuple[list[OrderRow], list[Trade], list[Decision], dict[int, Decimal]]:
    """A run's record (replay or live): its orders (in order), its trades (by exit time),
    every decision (in order), and each order's commission paid in BTC."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from ai_engine.store import db as store_db
    from ai_engine.store.orders import Order as OrderRow
    from ai_engine.store.portfolio import Trade
    from ai_engine.store.signals import Decision

    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.scalars(
                select(OrderRow).where(OrderRow.run_id == run_id).order_by(OrderRow.id)
            ).all()
            trades = session.scalars(
                select(Trade).where(Trade.run_id == run_id).order_by(Trade.exit_time)
            ).all()
            decisions = session.scalars(select(Decision).order_by(Decision.id)).all()
            base_fees = {
                r.id: sum((f.fee for f in r.fills if f.fee_asset == "BTC"), Decimal(0))
                for r in rows
            }
            return list(rows), list(trades), list(decisions), base_fees
    finally:
        engine.dispose()


# celery 5.7's Redis result backend calls redis-py 8's deprecated setex once per result.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")


@pytest.fixture(scope="session")
def btc_files() -> tuple[Path, ...]:
    """BTCUSDT spot 1m, 2023-03-23 .. 25 (3 days, real)."""
    files = tuple(sorted(KLINES.glob("BTCUSDT-1m-2023-03-2*.csv.gz")))
    assert len(files) == 3
    return files


@pytest.fixture(scope="session")
def btc_store(btc_files: tuple[Path, ...], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A market-data store holding the first day of ``btc_files``."""
    from ai_engine.marketdata import import_files
    from ai_engine.marketdata.importer import expand_paths

    root = tmp_path_factory.mktemp("btc-store")
    import_files(expand_paths([btc_files[0]]), root)
    return root


@pytest.fixture
def testnet_venue(btc_store: Path) -> Iterator[ThreadedSimExchange]:
    """The "testnet" of the module docstring (a fresh one per test: its own account)."""
    from ai_engine.simexchange import AccountSpec, SimConfig, ThreadedSimExchange

    account = AccountSpec(
        api_key=TESTNET_KEY, secret=TESTNET_SECRET, balances=(("USDT", Decimal(5000)),)
    )
    config = SimConfig(data_dir=btc_store, symbols=("BTCUSDT",), start=TESTNET_START,
                       speed=60.0, accounts=(account,))  # fmt: skip
    with ThreadedSimExchange(config) as sim:
        yield sim


@pytest.fixture(scope="session")
def usdm_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A market-data store holding ``USDM_KLINES``."""
    from ai_engine.marketdata import import_files

    root = tmp_path_factory.mktemp("usdm-store")
    import_files([USDM_KLINES], root)
    return root


@pytest.fixture
def usdm_venue(usdm_store: Path) -> Iterator[ThreadedSimExchange]:
    """The USD-M "testnet" of the module docstring (a fresh one per test: its own wallet)."""
    from ai_engine.simexchange import AccountSpec, SimConfig, ThreadedSimExchange
    from ai_engine.simexchange.futures.config import FuturesConfig

    config = SimConfig(
        data_dir=usdm_store, symbols=(), start=USDM_START, speed=60.0,
        futures=FuturesConfig(symbols=("BTCUSDT",), wallets=((USDM_KEY, USDM_CASH),)),
        accounts=(AccountSpec(api_key=USDM_KEY, secret=USDM_SECRET),),
    )  # fmt: skip
    with ThreadedSimExchange(config) as sim:
        yield sim
