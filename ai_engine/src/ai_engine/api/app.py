"""The FastAPI application factory: wiring only."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from ai_engine import __version__
from ai_engine.api.auth import require_token
from ai_engine.api.backtests_service import BacktestService
from ai_engine.api.bots_service import BotsService
from ai_engine.api.database import Database
from ai_engine.api.models_service import ModelsService
from ai_engine.api.routes import backtests, bots, events, health, market, portfolio, signals
from ai_engine.api.routes import metrics as metrics_route
from ai_engine.api.routes import models as models_route
from ai_engine.api.routes import sentiment as sentiment_route
from ai_engine.api.signals_service import SignalService
from ai_engine.domain.clock import SystemClock
from ai_engine.marketdata.store import BarStore
from ai_engine.settings import Settings


def create_app(
    settings: Settings, *, database_url: str | None = None, redis_url: str | None = None
) -> FastAPI:
    """Build the API. URLs are resolved by the caller (the CLI) so the app never starts servers."""
    app = FastAPI(
        title="TradingBot engine API",
        version=__version__,
        description="Market data, signals, backtests and bot control. "
        "Every route except /health needs `Authorization: Bearer <token>`.",
    )
    app.state.settings = settings
    app.state.database_url = database_url
    app.state.redis_url = redis_url
    app.state.bar_store = BarStore(settings.store_dir)
    app.include_router(health.router)
    app.include_router(metrics_route.router)  # Prometheus text, no auth (docs/operations.md)
    app.include_router(market.router, dependencies=[Depends(require_token)])
    app.state.signals = SignalService(app.state.bar_store, SystemClock())
    app.include_router(signals.router, dependencies=[Depends(require_token)])
    app.state.backtests = BacktestService(settings, database_url, redis_url)
    app.include_router(backtests.router, dependencies=[Depends(require_token)])
    # Claude (disabled without a key), the ensemble weights, the point-in-time sentiment reads.
    app.state.sentiment = sentiment_route.build_runtime(settings, database_url, SystemClock())
    app.include_router(sentiment_route.router, dependencies=[Depends(require_token)])
    app.state.models = ModelsService(settings, redis_url)
    app.state.models.start()  # the promoted model; none or corrupt: disabled, reason shown
    app.state.signals.models = app.state.models
    app.include_router(models_route.router, dependencies=[Depends(require_token)])
    app.state.bots = BotsService(Database(database_url), redis_url, SystemClock())
    app.include_router(bots.router, dependencies=[Depends(require_token)])
    app.include_router(portfolio.router, dependencies=[Depends(require_token)])
    app.include_router(events.router)  # authenticates on the socket (routes/events.py)
    return app
