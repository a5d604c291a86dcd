"""``EventMetrics``: the trading metrics, derived from the engine event stream.

Apply each ``(entry id, event)`` in stream order. Latencies are measured between the **stream
entry ids** (Redis stamps each XADD with its wall-clock millisecond), so they hold in a replay
whose events carry the simulated time as ``ts``:

* tick-to-order: a ``bar`` of a bot and symbol to the first ``order`` event after it -- to the
  order's ``queued_at`` when the event carries it (the trader's clock when it enqueued the
  order; the event itself is published after the worker's answer), else to the event;
* order round trip: ``acked_at - queued_at`` of the order's first event that carries both
  (enqueued by the trader -> the venue's answer reached the worker: queue, worker, venue and
  back); without them, the order's first event to its first terminal status (an order reported
  once, already terminal and without the times, has no round trip). Once per order.
* slippage: a ``fill`` against the decision price -- the close of the last ``bar`` before the
  order's first event -- in basis points, positive when worse for the bot.

The times of an order event span two wall clocks (Redis' and the trader's; the trader's and the
worker's): on one host, or hosts kept in sync by NTP, the error is well under the histograms'
buckets; a negative difference counts as 0.

State kept is bounded: the open orders (at most ``MAX_PENDING``, oldest dropped) and the last
bar per bot and symbol. Closed round trips come from ``alerts.roundtrips.TripBook`` (incremental).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from prometheus_client import CollectorRegistry

from ai_engine.alerts.roundtrips import Entry, TripBook
from ai_engine.metrics.definitions import EngineMetrics

TERMINAL = frozenset({"filled", "canceled", "cancelled", "rejected", "expired"})
HEALTH = {"ok": 1.0, "degraded": 0.5, "down": 0.0}
STATES = ("running", "paused", "stopped", "halted")
MAX_PENDING = 10_000
WIN_RATE_TRADES = 20


@dataclass
class _Order:
    """What is kept of an order seen: its first event's time, the decision price, and whether
    its round trip was measured."""

    at: float
    close: float | None
    measured: bool = False


def entry_seconds(entry_id: str) -> float:
    """The wall-clock time Redis gave the entry (``<ms>-<seq>``), in seconds."""
    return int(entry_id.split("-", 1)[0]) / 1000.0


def _float(data: Mapping[str, Any], name: str) -> float | None:
    raw = data.get(name)
    if raw is None:
        return None
    try:
        return float(Decimal(str(raw)))
    except (InvalidOperation, ValueError):
        return None


class EventMetrics:
    def __init__(self, registry: CollectorRegistry | EngineMetrics) -> None:
        self.m = registry if isinstance(registry, EngineMetrics) else EngineMetrics.create(registry)
        self._bar: dict[tuple[str, str], tuple[float, float | None]] = {}  # time, close
        self._orders: OrderedDict[str, _Order] = OrderedDict()
        self._book = TripBook()
        self._results: dict[str, deque[bool]] = {}
        self._day_start: dict[str, tuple[date, float]] = {}

    def apply_all(self, entries: Iterable[Entry]) -> None:
        for entry_id, event in entries:
            self.apply(entry_id, event)

    def apply(self, entry_id: str, event: Any) -> None:
        m, data, bot, symbol = self.m, event.data, event.bot_id, event.symbol
        m.events.labels(event.type).inc()
        at = entry_seconds(entry_id)
        handler = getattr(self, f"_on_{event.type}", None)
        if handler is not None:
            handler(entry_id, event, at, data, bot, symbol)

    def _on_bar(self, _id: str, _e: Any, at: float, data: Any, bot: str, symbol: str) -> None:
        self._bar[(bot, symbol)] = (at, _float(data, "close"))

    def _on_order(self, _id: str, _e: Any, at: float, data: Any, bot: str, symbol: str) -> None:
        m = self.m
        cid, status = str(data.get("client_order_id", "")), str(data.get("status", "")).lower()
        m.orders.labels(bot, symbol, str(data.get("side", "")).lower(), status).inc()
        if not cid:
            return
        queued, acked = _float(data, "queued_at"), _float(data, "acked_at")
        seen = self._orders.get(cid)
        earlier = seen is not None
        if seen is None:
            bar_at, close = self._bar.pop((bot, symbol), (None, None))
            if bar_at is not None:
                sent = queued if queued is not None else at
                m.tick_to_order.labels(bot, symbol).observe(max(0.0, sent - bar_at))
            seen = self._orders[cid] = _Order(at, close)
            if len(self._orders) > MAX_PENDING:
                self._orders.popitem(last=False)
        if not seen.measured:
            if queued is not None and acked is not None:
                seen.measured = True
                m.order_round_trip.labels(bot, symbol).observe(max(0.0, acked - queued))
            elif earlier and status in TERMINAL:
                seen.measured = True
                m.order_round_trip.labels(bot, symbol).observe(max(0.0, at - seen.at))
        if status in TERMINAL and status != "filled":  # a filled one waits for its fills
            self._orders.pop(cid, None)

    def _on_fill(self, eid: str, event: Any, at: float, data: Any, bot: str, symbol: str) -> None:
        m = self.m
        side = str(data.get("side", "")).lower()
        m.fills.labels(bot, symbol, side).inc()
        m.last_fill.labels(bot).set(event.ts.timestamp())
        price = _float(data, "price")
        order = self._orders.get(str(data.get("client_order_id", "")))
        decision = order.close if order is not None else None
        if price is not None and decision:
            sign = 1.0 if side == "buy" else -1.0
            m.slippage.labels(bot, symbol, side).observe((price - decision) / decision * 1e4 * sign)
        for trip in self._book.add(eid, event):
            m.trades.labels(bot, "won" if trip.won else "lost").inc()
            results = self._results.setdefault(bot, deque(maxlen=WIN_RATE_TRADES))
            results.append(trip.won)
            m.win_rate.labels(bot).set(sum(results) / len(results))

    def _on_position(self, _i: str, _e: Any, _a: float, data: Any, bot: str, symbol: str) -> None:
        qty = _float(data, "quantity") or 0.0
        signed = -abs(qty) if str(data.get("side", "")).lower() == "short" else qty
        self.m.position_quantity.labels(bot, symbol).set(signed)
        self.m.open_positions.labels(bot, symbol).set(1.0 if qty else 0.0)

    def _on_equity(self, _i: str, event: Any, _a: float, data: Any, bot: str, _s: str) -> None:
        m = self.m
        for gauge, name in (
            (m.equity, "equity"),
            (m.realized_pnl, "realized_pnl"),
            (m.unrealized_pnl, "unrealized_pnl"),
            (m.drawdown, "drawdown_pct"),
        ):
            value = _float(data, name)
            if value is not None:
                gauge.labels(bot).set(value / 100.0 if name == "drawdown_pct" else value)
        equity = _float(data, "equity")
        if equity is not None:
            day = event.ts.date()
            start = self._day_start.get(bot)
            if start is None or start[0] != day:
                start = self._day_start[bot] = (day, equity)
            m.daily_pnl.labels(bot).set(equity - start[1])

    def _on_bot(self, _i: str, _e: Any, _a: float, data: Any, bot: str, _s: str) -> None:
        state = str(data.get("state", ""))
        for known in STATES:
            self.m.bot_state.labels(bot, known).set(1.0 if known == state else 0.0)
        self.m.halted.labels(bot).set(1.0 if state == "halted" else 0.0)

    def _on_risk(self, _i: str, _e: Any, _a: float, data: Any, bot: str, _s: str) -> None:
        if data.get("approved", True) is False:
            self.m.risk_refusals.labels(bot, str(data.get("check", ""))).inc()

    def _on_venue_error(self, _i: str, _e: Any, _a: float, data: Any, bot: str, _s: str) -> None:
        self.m.venue_errors.labels(bot, str(data.get("code", ""))).inc()

    def _on_health(self, _i: str, _e: Any, _a: float, data: Any, bot: str, _s: str) -> None:
        component = str(data.get("component", ""))
        self.m.component_health.labels(bot, component).set(
            HEALTH.get(str(data.get("status", "")), 0.0)
        )
        stale = _float(data, "stale_s")
        if stale is not None:
            self.m.staleness.labels(bot, component).set(stale)

    def _on_reconciliation(self, _i: str, _e: Any, _a: float, data: Any, bot: str, _s: str) -> None:
        self.m.reconciliation_ok.labels(bot).set(0.0 if data.get("ok") is False else 1.0)
