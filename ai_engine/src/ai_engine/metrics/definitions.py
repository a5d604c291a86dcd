"""Every metric of the engine, in one place. Names ``tradingbot_*``; labels from a small set:
``bot``, ``symbol``, ``venue``, ``market``, ``side``, ``status``, ``queue``, ``check``,
``component``, ``model``, ``kind``, ``code``, ``state``, ``result``, ``type``, ``stream``.

``EngineMetrics.create(registry)`` creates the event-derived ones in ``registry`` (each consumer
-- the API, the alerts process, a test -- has a registry of its own: a name may be registered
once per registry). ``ProcessMetrics`` are what only the working process sees; the hook
functions at the bottom (``observe_used_weight``, ``observe_inference``, ``count_claude_tokens``,
``count_reconnect``) record them into ``process_metrics()`` in prometheus_client's default
registry, which ``metrics.exporter`` (and the API's ``/metrics``) serve from that process.

Latencies are seconds; money is in the quote asset (floats: Prometheus has no decimals).
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
SLIPPAGE_BUCKETS = (-50, -20, -10, -5, -2, -1, 0, 1, 2, 5, 10, 20, 50, 100)
INFERENCE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)
# Binance's REQUEST_WEIGHT limits per minute (exchangeInfo rateLimits): spot 6000, USDT-M 2400.
WEIGHT_LIMITS = {"spot": 6000, "usdm": 2400}


def new_registry() -> CollectorRegistry:
    return CollectorRegistry(auto_describe=True)


@dataclass(frozen=True)
class EngineMetrics:
    tick_to_order: Histogram
    order_round_trip: Histogram
    slippage: Histogram
    orders: Counter
    fills: Counter
    open_positions: Gauge
    position_quantity: Gauge
    realized_pnl: Gauge
    unrealized_pnl: Gauge
    equity: Gauge
    drawdown: Gauge
    daily_pnl: Gauge
    bot_state: Gauge
    halted: Gauge
    risk_refusals: Counter
    venue_errors: Counter
    component_health: Gauge
    staleness: Gauge
    reconciliation_ok: Gauge
    last_fill: Gauge
    trades: Counter
    win_rate: Gauge
    events: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> EngineMetrics:
        r = registry
        bs = ("bot", "symbol")
        return cls(
            tick_to_order=Histogram(
                "tradingbot_tick_to_order_seconds",
                "A closed bar's event to the first order event after it (stream entry times).",
                bs,
                buckets=LATENCY_BUCKETS,
                registry=r,
            ),
            order_round_trip=Histogram(
                "tradingbot_order_round_trip_seconds",
                "First event of an order to its terminal status (filled, canceled, rejected).",
                bs,
                buckets=LATENCY_BUCKETS,
                registry=r,
            ),
            slippage=Histogram(
                "tradingbot_slippage_bps",
                "Fill price against the decision price (the signal bar's close), in basis "
                "points; positive = worse for the bot (negative buckets: no _sum, use "
                "histogram_quantile).",
                (*bs, "side"),
                buckets=SLIPPAGE_BUCKETS,
                registry=r,
            ),
            orders=Counter(
                "tradingbot_orders",
                "Order events by status.",
                (*bs, "side", "status"),
                registry=r,
            ),
            fills=Counter("tradingbot_fills", "Fills.", (*bs, "side"), registry=r),
            open_positions=Gauge(
                "tradingbot_open_positions", "1 while a position is open.", bs, registry=r
            ),
            position_quantity=Gauge(
                "tradingbot_position_quantity",
                "Position size, signed (short < 0).",
                bs,
                registry=r,
            ),
            realized_pnl=Gauge(
                "tradingbot_realized_pnl", "Realised P&L (quote asset).", ("bot",), registry=r
            ),
            unrealized_pnl=Gauge(
                "tradingbot_unrealized_pnl", "Unrealised P&L (quote asset).", ("bot",), registry=r
            ),
            equity=Gauge(
                "tradingbot_equity", "Account equity (quote asset).", ("bot",), registry=r
            ),
            drawdown=Gauge(
                "tradingbot_drawdown_ratio",
                "Drawdown from the equity peak, 0..1.",
                ("bot",),
                registry=r,
            ),
            daily_pnl=Gauge(
                "tradingbot_daily_pnl",
                "Equity now minus equity at the start of the UTC day (first event of the day).",
                ("bot",),
                registry=r,
            ),
            bot_state=Gauge(
                "tradingbot_bot_state",
                "1 for the bot's current state (running, paused, stopped, halted).",
                ("bot", "state"),
                registry=r,
            ),
            halted=Gauge(
                "tradingbot_risk_halted",
                "1 while the bot is halted (breaker, kill switch).",
                ("bot",),
                registry=r,
            ),
            risk_refusals=Counter(
                "tradingbot_risk_refusals",
                "Orders refused by a risk check.",
                ("bot", "check"),
                registry=r,
            ),
            venue_errors=Counter(
                "tradingbot_venue_errors", "Venue errors by code.", ("bot", "code"), registry=r
            ),
            component_health=Gauge(
                "tradingbot_component_health",
                "1 ok, 0.5 degraded, 0 down.",
                ("bot", "component"),
                registry=r,
            ),
            staleness=Gauge(
                "tradingbot_ws_staleness_seconds",
                "Age of the newest market data a component holds (health events).",
                ("bot", "component"),
                registry=r,
            ),
            reconciliation_ok=Gauge(
                "tradingbot_reconciliation_ok",
                "1 when the last reconciliation matched the venue, 0 on a mismatch.",
                ("bot",),
                registry=r,
            ),
            last_fill=Gauge(
                "tradingbot_last_fill_timestamp_seconds",
                "Unix time of the bot's last fill.",
                ("bot",),
                registry=r,
            ),
            trades=Counter(
                "tradingbot_trades",
                "Closed round trips (from fills) by result.",
                ("bot", "result"),
                registry=r,
            ),
            win_rate=Gauge(
                "tradingbot_win_rate",
                "Share of won round trips among the last 20.",
                ("bot",),
                registry=r,
            ),
            events=Counter(
                "tradingbot_events", "Engine events consumed, by type.", ("type",), registry=r
            ),
        )


@dataclass(frozen=True)
class ProcessMetrics:
    """What only the process doing the work can see; recorded through the hook functions."""

    reconnects: Counter
    used_weight: Gauge
    weight_headroom: Gauge
    inference: Histogram
    claude_tokens: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> ProcessMetrics:
        r = registry
        return cls(
            reconnects=Counter(
                "tradingbot_ws_reconnects",
                "Market-data or user-data socket reconnects.",
                ("venue", "stream"),
                registry=r,
            ),
            used_weight=Gauge(
                "tradingbot_rate_limit_used_weight",
                "X-MBX-USED-WEIGHT-1M of the last venue response (venue: the endpoints, "
                "mainnet, testnet or sim; market: spot or usdm).",
                ("venue", "market"),
                registry=r,
            ),
            weight_headroom=Gauge(
                "tradingbot_rate_limit_headroom_ratio",
                "1 - used weight / the market's per-minute limit.",
                ("venue", "market"),
                registry=r,
            ),
            inference=Histogram(
                "tradingbot_model_inference_seconds",
                "Time of one model prediction.",
                ("model",),
                buckets=INFERENCE_BUCKETS,
                registry=r,
            ),
            claude_tokens=Counter(
                "tradingbot_claude_tokens",
                "Claude API tokens used (kind: input, output).",
                ("model", "kind"),
                registry=r,
            ),
        )


_PROCESS: list[ProcessMetrics] = []


def process_metrics() -> ProcessMetrics:
    """This process's hook metrics in the default registry (created on first use)."""
    if not _PROCESS:
        _PROCESS.append(ProcessMetrics.create(REGISTRY))
    return _PROCESS[0]


def observe_used_weight(venue: str, market: str, used: int) -> None:
    """Record a venue answer's ``X-MBX-USED-WEIGHT-1M`` (the ``WeightObserver`` of
    ``venues.binance.connection``: composition roots pass this function to the adapter).
    ``venue``: the endpoints' name (mainnet, testnet, sim); ``market``: spot or usdm, whose
    per-minute limit (``WEIGHT_LIMITS``; another market: spot's) gives the headroom."""
    m = process_metrics()
    limit = WEIGHT_LIMITS.get(market, WEIGHT_LIMITS["spot"])
    m.used_weight.labels(venue, market).set(used)
    m.weight_headroom.labels(venue, market).set(max(0.0, 1.0 - used / limit))


def observe_inference(model: str, seconds: float) -> None:
    process_metrics().inference.labels(model).observe(seconds)


def count_claude_tokens(model: str, input_tokens: int, output_tokens: int) -> None:
    """The ``UsageObserver`` of ``sentiment.claude``: the tokens of one Claude answer."""
    tokens = process_metrics().claude_tokens
    tokens.labels(model, "input").inc(input_tokens)
    tokens.labels(model, "output").inc(output_tokens)


def count_reconnect(venue: str, stream: str) -> None:
    process_metrics().reconnects.labels(venue, stream).inc()
