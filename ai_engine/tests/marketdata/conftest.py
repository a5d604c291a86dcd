from __future__ import annotations

from pathlib import Path

import pytest

from ai_engine.marketdata.importer import import_files

from .samples import BTC_DAYS, ETH_DAYS, FUNDING, SPOT_TRADES, USDM_1M, USDM_TRADES


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """An empty store folder (not created yet: the first import makes it)."""
    return tmp_path / "store"


@pytest.fixture
def sample_store(store: Path) -> Path:
    """A store holding every vendored sample file."""
    import_files([*BTC_DAYS, *ETH_DAYS, USDM_1M, FUNDING, SPOT_TRADES, USDM_TRADES], store)
    return store
