"""The alert rules: pure functions of the recent engine events and the time now.

Each rule takes ``(entries, now, thresholds)`` -- ``entries`` the recent ``(stream id, event)``
pairs oldest first, ``now`` a UTC time from the injected clock -- and returns the alerts that hold
now. An alert carries a ``key``; the engine (``alerts.engine``) sends a key once, or again after
``repeat_after`` while the condition lasts, so the rules need no memory of what was sent.

* ``large_fill``: a fill's notional (price x quantity) >= ``fill_notional``; once per fill.
* ``trade_pnl``: a closed round trip's net P&L, won or lost, >= ``trade_pnl`` in size; once.
* ``daily_loss``: the bot's loss today (UTC) >= ``daily_loss`` -- equity now against the day's
  start, or the day's closed trades, whichever is worse; once per bot and day.
* ``breaker``: a ``risk`` event of a halt (breaker, kill switch) refusing, or a bot moving to
  ``halted`` or stopped by an emergency stop (a repeated state is not news); once per event.
* ``venue_errors``: more than ``venue_errors_per_minute`` ``venue_error`` events within 60 s;
  once per burst (a storm is reported again ``repeat_after`` later, in event time).
* ``win_rate``: the win rate of the last ``win_rate_trades`` round trips < ``win_rate_min``.
* ``idle``: the bot is running and nothing filled for ``idle_after``.
* ``stale_data``: a component's last ``health`` event is not ``ok``, or says ``stale_s`` >=
  ``stale_after_s``.
* ``reconciliation``: the bot's last ``reconciliation`` event has ``ok: false``.
* ``daily_summary``: ``now`` is past ``daily_summary_at`` (UTC): yesterday's trades and P&L per
  bot; once per day.

The conditions that last (win rate, idle, stale data, reconciliation) repeat every
``repeat_after`` while they hold.

Windows over events use the events' own ``ts`` (a replay's clock and the wall clock agree with
themselves); only ``idle`` and ``daily_summary`` look at ``now``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from ai_engine.alerts.roundtrips import Entry, RoundTrip
from ai_engine.alerts.window import Window, window

_ZERO = Decimal(0)
HALT_CHECKS = frozenset(
    {
        "breaker",
        "circuit_breaker",
        "kill_switch",
        "emergency_stop",
        "halt",
        "daily_loss",
        "weekly_loss",
        "drawdown",
        "loss_streak",
        "stale_data",
        "venue_errors",
        "reconciliation",
        "flash_crash",
        "operator",
    }
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    fill_notional: Decimal = Decimal(1000)
    trade_pnl: Decimal = Decimal(100)
    daily_loss: Decimal = Decimal(200)  # seed 000: "daily loss > $200"
    venue_errors_per_minute: int = 5
    win_rate_min: Decimal = Decimal("0.40")
    win_rate_trades: int = 20
    idle_after: timedelta = timedelta(minutes=10)
    stale_after_s: Decimal = Decimal(60)
    daily_summary_at: time = time(0, 5)
    repeat_after: timedelta = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Alert:
    rule: str
    key: str
    severity: str  # "info" | "warning" | "critical"
    text: str
    bot_id: str = ""
    repeat_after: timedelta | None = None  # None: once per key

    def render(self) -> str:
        mark = {"critical": "🚨", "warning": "⚠️", "info": "\N{INFORMATION SOURCE}\ufe0f"}.get(
            self.severity, ""
        )
        return f"{mark} {self.text}".strip()


Rule = Callable[[Sequence[Entry], datetime, Thresholds], list[Alert]]


def _dec(data: Mapping[str, Any], name: str) -> Decimal | None:
    raw = data.get(name)
    if raw is None:
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _num(value: Decimal) -> str:
    """A price or quantity as a trader writes it: 8 significant digits at most, no exponent."""
    return f"{Decimal(f'{value:.8g}').normalize():f}"


def _who(bot_id: str, symbol: str = "") -> str:
    return " ".join(p for p in (bot_id or "engine", symbol) if p)


def _of(entries: Sequence[Entry], kind: str) -> list[Entry]:
    return window(entries).of_type(kind)


def large_fill(entries: Sequence[Entry], now: datetime, t: Thresholds) -> list[Alert]:
    out = []
    for entry_id, event in _of(entries, "fill"):
        price, qty = _dec(event.data, "price"), _dec(event.data, "quantity")
        if price is None or qty is None or price * qty < t.fill_notional:
            continue
        side = str(event.data.get("side", "")).upper()
        out.append(
            Alert(
                "large_fill",
                f"fill:{entry_id}",
                "info",
                f"{_who(event.bot_id, event.symbol)}: {side} {_num(qty)} @ {_num(price)} "
                f"(notional {_money(price * qty)} >= {_money(t.fill_notional)})",
                event.bot_id,
            )
        )
    return out


def trade_pnl(entries: Sequence[Entry], now: datetime, t: Thresholds) -> list[Alert]:
    out = []
    for trip in window(entries).trips:
        if abs(trip.pnl) < t.trade_pnl:
            continue
        word = "profit" if trip.pnl > 0 else "loss"
        out.append(
            Alert(
                "trade_pnl",
                f"trade:{trip.closing_entry}",
                "info" if trip.pnl > 0 else "warning",
                f"{_who(trip.bot_id, trip.symbol)}: {trip.side} closed with a {word} of "
                f"{_money(trip.pnl)} ({_num(trip.quantity)} from {_num(trip.entry_price)} to "
                f"{_num(trip.exit_price)})",
                trip.bot_id,
            )
        )
    return out


def _bots(entries: Sequence[Entry]) -> list[str]:
    return window(entries).bots


def daily_loss(entries: Sequence[Entry], now: datetime, t: Thresholds) -> list[Alert]:
    today = now.date()
    start_of_day = datetime.combine(today, time(0), now.tzinfo)
    w = window(entries)
    trips = w.trips
    out = []
    for bot in w.bots:
        equities = [
            (e.ts, v) for e in w.of_bot("equity", bot) if (v := _dec(e.data, "equity")) is not None
        ]
        before = [v for ts, v in equities if ts < start_of_day]
        during = [v for ts, v in equities if ts >= start_of_day and ts <= now]
        loss = _ZERO
        if during:
            loss = (before[-1] if before else during[0]) - during[-1]
        realised = sum(
            (r.pnl for r in trips if r.bot_id == bot and r.closed.date() == today), _ZERO
        )
        loss = max(loss, -realised)
        if loss >= t.daily_loss:
            out.append(
                Alert(
                    "daily_loss",
                    f"daily_loss:{bot}:{today.isoformat()}",
                    "critical",
                    f"{bot}: daily loss {_money(loss)} reached the limit of "
                    f"{_money(t.daily_loss)} ({today.isoformat()} UTC)",
                    bot,
                )
            )
    return out


def breaker(entries: Sequence[Entry], now: datetime, t: Thresholds) -> list[Alert]:
    out = []
    state_of: dict[str, str] = {}  # a bot event repeating the state it is in is no news
    for entry_id, event in entries:
        data = event.data
        if event.type == "risk":
            check = str(data.get("check", "")).lower()
            if data.get("approved", True) is not False or not (
                check in HALT_CHECKS or "breaker" in check or "halt" in check
            ):
                continue
            reasons = "; ".join(str(r) for r in data.get("reasons", []) or []) or check
            text = f"{_who(event.bot_id, event.symbol)}: circuit breaker ({check}): {reasons}"
        elif event.type == "bot":
            state, reason = str(data.get("state", "")), str(data.get("reason", ""))
            before, state_of[event.bot_id] = state_of.get(event.bot_id), state
            emergency = "emergency" in reason.lower() or "kill" in reason.lower()
            if state == before or (state != "halted" and not (state == "stopped" and emergency)):
                continue
            text = f"{_who(event.bot_id)}: {state.upper()} ({reason or 'no reason given'})"
        else:
            continue
        out.append(Alert("breaker", f"breaker:{entry_id}", "critical", text, event.bot_id))
    return out


def venue_errors(entries: Sequence[Entry], now: datetime, t: Thresholds) -> list[Alert]:
    """A burst is reported once; the next burst of the bot only ``repeat_after`` later."""
    window = timedelta(minutes=1)
    out = []
    errors = [e for _, e in _of(entries, "venue_error")]
    for bot in sorted({e.bot_id for e in errors}):
        mine = [e for e in errors if e.bot_id == bot]
        lo, reported = 0, None
        for hi, event in enumerate(mine):
            while mine[lo].ts <= event.ts - window:
                lo += 1
            count = hi - lo + 1
            if count <= t.venue_errors_per_minute:
                continue
            if reported is not None and event.ts - reported < t.repeat_after:
                continue
            reported = event.ts
            out.append(
                Alert(
                    "venue_errors",
                    f"venue_errors:{bot}:{event.ts.isoformat()}",
                    "critical",
                    f"{_who(bot)}: {count} venue errors within a minute (limit "
                    f"{t.venue_errors_per_minute}); last: {event.data.get('code', '')} "
                    f"{event.data.get('message', '')} on {event.data.get('endpoint', '')}",
                    bot,
                )
            )
    return out


def win_rate(entries: Sequence[Entry], now: datetime, t: Thresholds) -> list[Alert]:
    trips = window(entries).trips
    out = []
    for bot in sorted({r.bot_id for r in trips}):
        last = [r for r in trips if r.bot_id == bot][-t.win_rate_trades :]
        if len(last) < t.win_rate_trades:
            continue
        rate = Decimal(sum(1 for r in last if r.won)) / len(last)
        if rate < t.win_rate_min:
            out.append(
                Alert(
                    "win_rate",
                    f"win_rate:{bot}",
                    "warning",
                    f"{_who(bot)}: win rate {rate:.0%} over the last {len(last)} trades "
                    f"(below {t.win_rate_min:.0%})",
                    bot,
                    t.repeat_after,
                )
            )
    return out


def idle(entries: Sequence[Entry], now: datetime, t: Thresholds) -> list[Alert]:
    out = []
    w = window(entries)
    for bot in w.bots:
        states = w.of_bot("bot", bot)
        if not states or states[-1].data.get("state") != "running":
            continue
        since = states[-1].ts
        fills = [e.ts for e in w.of_bot("fill", bot)]
        last = max([since, *fills])
        if now - last >= t.idle_after:
            minutes = int((now - last).total_seconds() // 60)
            out.append(
                Alert(
                    "idle",
                    f"idle:{bot}",
                    "warning",
                    f"{_who(bot)}: running, but no trades for {minutes} minutes",
                    bot,
                    t.repeat_after,
                )
            )
    return out


def stale_data(entries: Sequence[Entry], now: datetime, t: Thresholds) -> list[Alert]:
    latest: dict[tuple[str, str], tuple[str, Any]] = {}
    for entry_id, event in _of(entries, "health"):
        latest[(event.bot_id, str(event.data.get("component", "")))] = (entry_id, event)
    out = []
    for (bot, component), (_, event) in sorted(latest.items()):
        status = str(event.data.get("status", ""))
        stale = _dec(event.data, "stale_s")
        if status == "ok" and (stale is None or stale < t.stale_after_s):
            continue
        detail = str(event.data.get("detail", ""))
        age = f", data {stale:.0f} s old" if stale is not None else ""
        out.append(
            Alert(
                "stale_data",
                f"stale:{bot}:{component}",
                "critical" if status == "down" else "warning",
                f"{_who(bot, event.symbol)}: {component or 'component'} {status}{age}"
                f"{': ' + detail if detail else ''}",
                bot,
                t.repeat_after,
            )
        )
    return out


def reconciliation(entries: Sequence[Entry], now: datetime, t: Thresholds) -> list[Alert]:
    latest: dict[str, Any] = {}
    for _, event in _of(entries, "reconciliation"):
        latest[event.bot_id] = event
    out = []
    for bot, event in sorted(latest.items()):
        if event.data.get("ok", True) is not False:
            continue
        mismatches = "; ".join(str(m) for m in event.data.get("mismatches", []) or [])
        out.append(
            Alert(
                "reconciliation",
                f"reconciliation:{bot}",
                "critical",
                f"{_who(bot)}: reconciliation mismatch: {mismatches or 'unspecified'}",
                bot,
                t.repeat_after,
            )
        )
    return out


def _summary_line(bot: str, day: date, trips: list[RoundTrip], fills: int) -> str:
    wins = sum(1 for r in trips if r.won)
    pnl = sum((r.pnl for r in trips), _ZERO)
    rate = f", win rate {wins / len(trips):.0%}" if trips else ""
    return f"{bot}: {len(trips)} trades ({wins} won{rate}), {fills} fills, net P&L {_money(pnl)}"


def daily_summary(entries: Sequence[Entry], now: datetime, t: Thresholds) -> list[Alert]:
    if now.timetz().replace(tzinfo=None) < t.daily_summary_at:
        return []
    day = now.date() - timedelta(days=1)
    of_day = [(i, e) for i, e in entries if e.ts.date() == day]
    if not of_day:
        return []
    trips = [r for r in window(entries).trips if r.closed.date() == day]
    lines = [
        _summary_line(
            bot,
            day,
            [r for r in trips if r.bot_id == bot],
            sum(1 for _, e in of_day if e.type == "fill" and e.bot_id == bot),
        )
        for bot in _bots(of_day)
    ]
    text = f"Daily summary {day.isoformat()} (UTC)\n" + "\n".join(lines or ["no bot activity"])
    return [Alert("daily_summary", f"daily_summary:{day.isoformat()}", "info", text)]


RULES: tuple[Rule, ...] = (
    large_fill,
    trade_pnl,
    daily_loss,
    breaker,
    venue_errors,
    win_rate,
    idle,
    stale_data,
    reconciliation,
    daily_summary,
)


def evaluate(entries: Sequence[Entry], now: datetime, thresholds: Thresholds) -> list[Alert]:
    """Every alert that holds now, rule by rule in ``RULES`` order."""
    indexed = Window(entries)  # one pass shared by every rule
    return [alert for rule in RULES for alert in rule(indexed, now, thresholds)]
