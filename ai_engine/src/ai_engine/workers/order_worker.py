"""The execution worker as a process of its own, configured from the environment.

``celery -A ai_engine.workers.order_worker worker -Q orders -P solo -c 1`` runs the orders
tasks (``workers/orders.py``) against the venue named here; the trader only enqueues client
ids. Environment (besides ``TRADINGBOT_DATABASE_URL`` / ``TRADINGBOT_REDIS_URL``, or the
servers of ``tradingbot services up``):

- ``TRADINGBOT_ORDERS_VENUE``: ``sim-spot:<base url>`` or ``sim-usdm:<base url>`` (the sim);
- ``TRADINGBOT_ORDERS_API_KEY`` / ``TRADINGBOT_ORDERS_API_SECRET``: the account's key pair;
- ``TRADINGBOT_ORDERS_RISK_PROFILES``: comma-separated profile names (``risk/profiles.py``);
  ``unrestricted`` is always there;
- ``TRADINGBOT_ORDERS_ID_PREFIX``: prefix of venue ids in the record (a replay's ``<run>:``);
- ``TRADINGBOT_ORDERS_VISIBILITY_S``: seconds after which a message a dead worker held is
  delivered again (default 30).

Why a short visibility timeout is safe here: a message is redelivered while its first delivery
may still run, and the order's lease (``orders``: an advisory lock per client id) makes the
second wait; a killed worker's lease dies with its database connection. Binance testnet and
mainnet are not wired here yet (the trader runtime's bot config will name them).
"""

from __future__ import annotations

import os
from typing import Any

from ai_engine.execution.ports import ExecutionVenue
from ai_engine.risk import RiskLimits
from ai_engine.risk.profiles import load_profile
from ai_engine.settings import Settings
from ai_engine.workers.orders import OrdersConfig, configure

UNRESTRICTED = RiskLimits(name="unrestricted", require_stop=False)
DEFAULT_VISIBILITY_S = 30.0


class OrderWorkerSetupError(RuntimeError):
    """The environment does not say which venue the worker trades on (named)."""


def orders_config_from_env(env: dict[str, str] | None = None) -> OrdersConfig:
    """The ``OrdersConfig`` the environment describes (module docstring)."""
    env = dict(os.environ) if env is None else env
    raw = env.get("TRADINGBOT_ORDERS_VENUE", "")
    kind, _, url = raw.partition(":")
    if kind not in ("sim-spot", "sim-usdm") or not url:
        raise OrderWorkerSetupError(
            f"TRADINGBOT_ORDERS_VENUE must be sim-spot:<url> or sim-usdm:<url>, got {raw!r}"
        )
    key = env.get("TRADINGBOT_ORDERS_API_KEY", "")
    secret = env.get("TRADINGBOT_ORDERS_API_SECRET", "")
    if not key or not secret:
        raise OrderWorkerSetupError("TRADINGBOT_ORDERS_API_KEY and _API_SECRET are required")
    limits = {UNRESTRICTED.name: UNRESTRICTED}
    for name in filter(None, env.get("TRADINGBOT_ORDERS_RISK_PROFILES", "").split(",")):
        limits[name.strip()] = load_profile(name.strip())

    async def connect() -> ExecutionVenue:
        from ai_engine.metrics.definitions import observe_used_weight
        from ai_engine.venues.binance import BinanceCredentials
        from ai_engine.venues.sim import connect_sim_spot, connect_sim_usdm

        credentials = BinanceCredentials.of(key, secret)
        if kind == "sim-spot":
            return await connect_sim_spot(url, credentials, on_weight=observe_used_weight)
        return await connect_sim_usdm(url, credentials, on_weight=observe_used_weight)

    return OrdersConfig(connect, limits, id_prefix=env.get("TRADINGBOT_ORDERS_ID_PREFIX", ""))


def make_order_worker(env: dict[str, str] | None = None) -> Any:
    """A Celery app with the orders tasks configured from the environment."""
    from ai_engine.infra.local_services import resolve_database_url, resolve_urls
    from ai_engine.workers.app import make_celery

    env = dict(os.environ) if env is None else env
    settings = Settings()
    urls = resolve_urls(settings)
    app = make_celery(
        settings,
        redis_url=urls.redis_url if urls else settings.redis_url,
        database_url=resolve_database_url(settings),
    )
    visibility = float(env.get("TRADINGBOT_ORDERS_VISIBILITY_S", DEFAULT_VISIBILITY_S))
    app.conf.broker_transport_options = {
        "visibility_timeout": visibility,
        "unacked_restore_interval": max(0.5, min(10.0, visibility / 2)),
    }
    configure(app, orders_config_from_env(env))
    return app


_APP: list[Any] = []


def __getattr__(name: str) -> Any:
    # PEP 562: `celery -A ai_engine.workers.order_worker` reads `app`; build it only then.
    if name == "app":
        if not _APP:
            _APP.append(make_order_worker())
        return _APP[0]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
