from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ai_engine.api.app import create_app
from ai_engine.marketdata import import_files
from ai_engine.marketdata.importer import expand_paths
from ai_engine.settings import Settings

from .tokens import TOKEN

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding all of the vendored real sample data."""
    root = tmp_path_factory.mktemp("store")
    import_files(expand_paths([SAMPLE_DIR]), root)
    return root


@pytest.fixture
def make_client(sample_store: Path, tmp_path: Path) -> Callable[..., TestClient]:
    def make(database_url: str | None = None, redis_url: str | None = None) -> TestClient:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=sample_store,
            models_dir=tmp_path / "models",  # never a developer's var/models
            api_token=TOKEN,  # type: ignore[arg-type]
        )
        return TestClient(create_app(settings, database_url=database_url, redis_url=redis_url))

    return make


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def free_port() -> int:
    """A port nothing listens on (bound once to learn it, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
