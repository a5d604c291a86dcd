"""The bot's record as the pre-trade checks need it (``risk.history.RiskHistory``), in ONE query.

Both checks read it with the same SQL and fill their ``RiskState`` with
``risk.history.with_history``, so they agree:

* the trader's pre-check, before it persists an entry: ``read_history`` (one round trip);
* the execution worker's authoritative check: ``history_column``, a column of the statement
  that reads and leases the order (``workers/orders.py``): no round trip of its own, and the
  statement overlaps the venue's account read. Computed for an entry only (not reduce-only,
  purpose ``entry`` or ``scale_in``): an exit always passes and reads nothing; nor is it for
  a profile with no history-based limit (``risk.history.needs_history``: ``unrestricted``).

Whose record: the bot's (``bot_id``), across its runs: a live bot restarted keeps its day (its
losses, streak and cool-downs survive a restart). All up to ``now`` (the intent's decision
time, ``decisions.ts``: replay time in a replay); the day is ``now``'s UTC day; ``since`` is the
day's start, or earlier by the profile's longest pause (``risk.history.lookback``). Bounded,
whatever the bot's age or pace (one JSON object of a few figures and at most ``STREAK`` rows):

* ``trades`` (closed round trips, ``trader/records.py``): the newest ``STREAK`` (a losing
  streak is counted over those: every profile's ``loss_streak`` is below it); the sums of the
  day's and of the ISO week's ``pnl_net`` (the week from Monday 00:00 UTC); the newest close
  by a stop (``exit_reason = 'stop_loss'``) since ``since``;
* entries: the count (today) and the newest decision time (since ``since``) of the bot's
  approved ``entry`` / ``scale_in`` intents whose order filled (``filled_qty > 0``) or is
  still working (``initialized``, ``submitted``, ``accepted``: a resting limit entry counts
  from its decision, so a second entry cannot slip in while the first rests; an order that
  ended unfilled -- canceled, expired, rejected -- does not), of this run (``run_id``) or of a
  trade in the bot's record; never the order being checked (the worker's column). A fresh
  replay clears the bot's trades (``start_replay``) but not its orders: an earlier replay's
  entries, on the same replay clock, must not count;
* the newest equity snapshot up to ``now``: its ``drawdown`` (a fraction of the bot's peak).

A bot with no record (an unsupervised replay writes no trades or snapshots) has nothing here
but its own run's entries. Indexes used: ``trades (bot_id, exit_time)``, ``decisions (bot_id,
ts)``, ``orders (client_order_id)`` and ``equity_snapshots (bot_id, ts)``
(``tests/workers/test_orders_risk_history.py`` checks the plan); no migration was needed.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from ai_engine.risk.history import RiskHistory, lookback, needs_history
from ai_engine.risk.limits import RiskLimits
from ai_engine.risk.state import ClosedTrade

STREAK = 20  # newest trades read for a losing streak (module docstring)
ENTRY_PURPOSES = ("entry", "scale_in")  # ``Purpose.name.lower()`` of an opening order

# An entry at the venue or about to be, not filled yet (a resting limit order): it counts.
_WORKING = "'initialized', 'submitted', 'accepted', 'partially_filled'"

# The record as one JSON object, for the inputs in ``p`` (bot, run, checked, now, day, since).
_RECORD = f"""(SELECT json_build_object(
  'trades', (SELECT coalesce(json_agg(json_build_array(t.exit_time, t.pnl_net::text,
                                                       t.exit_reason = 'stop_loss')), '[]')
               FROM (SELECT exit_time, pnl_net, exit_reason FROM trades
                      WHERE bot_id = p.bot AND exit_time <= p.now
                      ORDER BY exit_time DESC, id DESC LIMIT {STREAK}) t),
  'today', (SELECT coalesce(sum(pnl_net), 0)::text FROM trades
             WHERE bot_id = p.bot AND exit_time >= p.day AND exit_time <= p.now),
  'week', (SELECT coalesce(sum(pnl_net), 0)::text FROM trades
            WHERE bot_id = p.bot AND exit_time >= p.week AND exit_time <= p.now),
  'stop', (SELECT max(exit_time) FROM trades
            WHERE bot_id = p.bot AND exit_reason = 'stop_loss' AND exit_time >= p.since
              AND exit_time <= p.now),
  'entries', (SELECT json_build_array(count(*) FILTER (WHERE d.ts >= p.day), max(d.ts))
                FROM decisions d JOIN orders o ON o.client_order_id = d.client_order_id
               WHERE d.bot_id = p.bot AND d.ts >= p.since AND d.ts <= p.now
                 AND d.outcome = 'approved' AND o.client_order_id IS DISTINCT FROM p.checked
                 AND (o.filled_qty > 0 OR o.status IN ({_WORKING}))
                 AND d.order_intent ->> 'purpose' IN ('entry', 'scale_in')
                 AND (o.run_id = p.run OR o.id IN (SELECT entry_order_id FROM trades
                                                    WHERE bot_id = p.bot
                                                      AND exit_time >= p.since))),
  'drawdown', (SELECT s.drawdown::text FROM equity_snapshots s
                WHERE s.bot_id = p.bot AND s.ts <= p.now ORDER BY s.ts DESC LIMIT 1)))"""


def _inputs(bot: str, run: str, now: str, lookback_s: str, checked: str = "NULL") -> str:
    """``p``: the record's inputs; ``day`` and ``since`` are computed here, the same way for
    both checks. ``checked``: the client id of the order being checked (the worker's: it is
    persisted and working, and must not count as an entry before itself)."""
    return (
        f"(SELECT {bot} AS bot, {run} AS run, {checked}::text AS checked, n.now, n.day, n.week, "
        f"least(n.day, n.now - "
        f"make_interval(secs => {lookback_s})) AS since FROM (SELECT m.now, "
        f"date_trunc('day', m.now, 'UTC') AS day, date_trunc('week', m.now, 'UTC') AS week "
        f"FROM (SELECT {now} AS now) m) n) p"
    )


_BOUND = _inputs("CAST(:bot AS text)", "CAST(:run AS text)", "CAST(:now AS timestamptz)",
                 "CAST(:lookback_s AS double precision)")  # fmt: skip
HISTORY_SQL = text(f"SELECT {_RECORD} FROM {_BOUND}")


def read_history(
    session: Session, *, bot_id: str, run_id: str | None, now: datetime, limits: RiskLimits
) -> RiskHistory:
    """The bot's record for a check of an entry at ``now`` under ``limits`` (the trader's)."""
    lookback = limits_lookback_s(limits)
    found = session.execute(
        HISTORY_SQL, {"bot": bot_id, "run": run_id, "now": now, "lookback_s": lookback}
    ).scalar_one()
    return parse_history(found)


def history_column(limits: dict[str, RiskLimits]) -> TextClause | None:
    """The record as a column of a statement over ``orders`` and ``decisions`` (the worker's
    read of one order): for an entry of a profile in ``limits`` that reads it
    (``risk.history.needs_history``), else NULL; None when no profile reads it."""
    needed = {name: lim for name, lim in limits.items() if needs_history(lim)}
    if not needed:
        return None
    return _column(tuple(sorted((name, limits_lookback_s(lim)) for name, lim in needed.items())))


@functools.lru_cache(maxsize=16)
def _column(lookbacks: tuple[tuple[str, float], ...]) -> TextClause:
    profile = "(decisions.order_intent ->> 'risk_profile')"
    lookback_s = f"CAST(CAST(:risk_lookbacks AS jsonb) ->> {profile} AS double precision)"
    inputs = _inputs(
        "decisions.bot_id", "orders.run_id", "decisions.ts", lookback_s, "orders.client_order_id"
    )
    return text(
        "(CASE WHEN NOT orders.reduce_only"
        " AND decisions.order_intent ->> 'purpose' IN ('entry', 'scale_in')"
        f" AND CAST(:risk_lookbacks AS jsonb) ? {profile}"
        f" THEN (SELECT {_RECORD} FROM {inputs}) END)"
    ).bindparams(risk_lookbacks=json.dumps(dict(lookbacks)))


def limits_lookback_s(limits: RiskLimits) -> float:
    """``limits``' longest pause in seconds (``risk.history.lookback``)."""
    return lookback(limits).total_seconds()


def parse_history(found: Any) -> RiskHistory:
    """``RiskHistory`` from the record's JSON object (module docstring)."""
    trades = tuple(
        ClosedTrade(symbol="", closed_at=_utc(ts), pnl=Decimal(pnl), by_stop=bool(stop))
        for ts, pnl, stop in found["trades"]
    )
    entries_today, last_entry = found["entries"]
    drawdown = found["drawdown"]
    return RiskHistory(
        trades=trades, realised_today=Decimal(found["today"]),
        realised_week=Decimal(found["week"]),
        last_stop_loss_at=_utc(found["stop"]) if found["stop"] else None,
        entries_today=int(entries_today), last_entry_at=_utc(last_entry) if last_entry else None,
        drawdown=Decimal(drawdown) if drawdown is not None else None,
    )  # fmt: skip


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
