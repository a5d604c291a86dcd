"""Stores of the vendored USD-M captures and sim configs that replay them tick by tick.

usdm_tick_store    session  store with only the 2024-07-18 BTCUSDT perpetual slice (90 s,
                            trades and depth, no mark prices)
usdm_marks_store   session  store with only the 2023-04-04 slice (45 s, with @markPrice@1s)
tick_fconfig(...)           futures-only SimConfig of such a store, one funded account,
                            starting ``lead_ms`` after the capture's book is known
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ai_engine.domain import from_epoch_ms
from ai_engine.marketdata import import_files
from ai_engine.simexchange import AccountSpec, SimConfig
from ai_engine.simexchange.futures.config import FuturesConfig
from simexchange.conftest import KEY, SECRET
from simexchange.tick_capture import USDM_MARKS_SLICE, USDM_SLICE, capture

WALLET = Decimal(100_000)
SYMBOL = "BTCUSDT"


@pytest.fixture(scope="session")
def usdm_tick_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("usdm-tick-store")
    import_files([USDM_SLICE], root)
    return root


@pytest.fixture(scope="session")
def usdm_marks_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("usdm-marks-store")
    import_files([USDM_MARKS_SLICE], root)
    return root


def book_known_ms(path: Path) -> int:
    """When the replay knows the capture's book: the time of the first diff after its REST
    snapshot (where the store puts the snapshot: ``marketdata.depth``)."""
    data = capture(path)
    last = data.snapshot.last_update_id
    return next(d.event_ms for d in data.diffs if d.final_id > last)


def tick_fconfig(store: Path, path: Path, lead_ms: int = 1_000, **overrides: Any) -> SimConfig:
    start = from_epoch_ms(book_known_ms(path)) + timedelta(milliseconds=lead_ms)
    values: dict[str, Any] = {
        "data_dir": store,
        "symbols": (),
        "futures": FuturesConfig(symbols=(SYMBOL,), wallets=((KEY, WALLET),)),
        "accounts": (AccountSpec(api_key=KEY, secret=SECRET),),
        "start": start,
    }
    return SimConfig(**{**values, **overrides})
