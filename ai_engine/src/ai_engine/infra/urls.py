"""Building and printing service URLs; passwords never reach logs or terminals."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_DRIVER = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://")


def postgres_url(port: int, database: str, host: str = "127.0.0.1") -> str:
    """SQLAlchemy URL (psycopg 3 driver) of a local trust-auth server."""
    return f"postgresql+psycopg://postgres@{host}:{port}/{database}"


def redis_url(port: int, db: int = 0, host: str = "127.0.0.1") -> str:
    """redis-py URL of a local server."""
    return f"redis://{host}:{port}/{db}"


def libpq_url(url: str) -> str:
    """The libpq form of a SQLAlchemy URL: psycopg.connect() does not know `+driver` suffixes."""
    return _DRIVER.sub("postgresql://", url)


def mask_url(url: str) -> str:
    """`url` with any password replaced by ***, for messages and status output."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))
