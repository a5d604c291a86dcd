"""What a supervised bot writes to PostgreSQL besides its orders: signals, positions, closed
round trips and equity snapshots (docs/trading.md, "What is recorded").

* ``signals``: every BUY or SELL reading (HOLD bars are in the event stream only: one row per
  bar per bot would be the bar table again), with score and reasons;
* ``positions``: the bot's row per instrument, upserted after every order (quantity, average
  entry, realised P&L and fees so far; ``funding`` stays 0 on spot);
* ``trades``: each closed round trip (entry and exit times and prices, fees in quote, P&L net
  of fees, exit reason in the store's vocabulary, the entry and exit order rows);
* ``equity_snapshots``: equity, cash, unrealised P&L and drawdown (fraction of the peak), every
  ``every_bars`` bars and at the end. Keyed by (bot, time): a replay of the same bot over the
  same bars overwrites its earlier run's snapshots (upsert). Written in batches: a snapshot is
  written at once when the last write is ``flush_s`` (0.5 s) of wall time old -- every bar of a
  live bot -- and otherwise with the next one that is (``force``, the end of a run, writes what
  is held): a replay at full speed wrote one transaction per bar, which cost more than the
  trader's own work on the bar. A run that fails loses at most that half second of snapshots.

A supervised replay is a fresh simulated account (the config's cash), so ``start_replay``
clears the bot's earlier replay record before it trades: its equity snapshots and trades are
deleted and its position rows set flat. Otherwise the read side (``/account``: the newest
snapshot; ``/trades``, ``/pnl``) mixes runs: an earlier run that got further in the data has
newer snapshots and trades than the run now playing (the dashboard showed the new run's live
balance next to the old run's trades). The earlier runs' orders stay, each with its run id
(``trader/drift.py`` rebuilds any run's trades from them). Only the replay composition calls it:
paper, testnet and live records are never cleared.

Money is Decimal throughout; a failed write raises (the record is not optional).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert

from ai_engine.domain import from_epoch_ms
from ai_engine.store.orders import Order as OrderRow
from ai_engine.store.portfolio import EquitySnapshot, Position, Trade
from ai_engine.store.signals import Signal
from ai_engine.trader.holdings import Holdings, RoundTrip
from ai_engine.trader.positions_usdm import UsdmBook

ZERO = Decimal(0)
FLUSH_S = 0.5  # equity snapshots: wall seconds between writes (module docstring)
MAX_HELD = 1_000  # ... and at most this many held
EXIT_REASONS = {  # the trader's order reason -> the trades table's exit_reason
    "signal": "signal",
    "end_of_data": "end_of_data",
    "emergency_stop": "emergency_stop",
    "manual": "manual",
    # the exit manager's (``execution.exits.ExitReason``: the same words as the store's)
    "stop_loss": "stop_loss",
    "take_profit": "take_profit",
    "trailing_stop": "trailing_stop",
    "time_stop": "time_stop",
    "risk": "risk",
    "flash_crash": "flash_crash",  # trader.flash_crash (live modes)
}


class BotEquity:
    """One bot's equity snapshots, whatever number of symbols it trades. A bot trades each
    symbol from a share of its cash (each symbol's trader keeps its own book), so a symbol's
    equity is a part of the bot's: a snapshot is the sum of every symbol's newest report
    (equity, cash, unrealised P&L) and its drawdown is from the bot's peak (the highest such
    sum; with one symbol, its trader's peak, as before). The Recorders of one bot's traders
    share one (``shared=`` of ``Recorder``); before, each wrote its own share as the bot's
    snapshot and the last to write a time won (the record's drawdown, ``/account`` and the
    equity curve of a bot with several symbols showed one symbol's share).

    Reports of one time from several symbols come one after another: the held snapshot of a
    time is rewritten by each (the newest values of a time win, also in the table), so once
    every symbol has reported the bar, it is the whole bot's."""

    def __init__(
        self, sessions: Callable[[], Any], *, bot_id: str, flush_s: float = FLUSH_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self.sessions, self.bot_id = sessions, bot_id
        self.flush_s, self._monotonic = flush_s, monotonic
        self._latest: dict[int, tuple[Decimal, Decimal, Decimal]] = {}  # instrument row -> ...
        self._peak = ZERO
        self._held: dict[datetime, dict[str, Decimal]] = {}  # snapshots not written yet, by ts
        self._written_at = float("-inf")

    def report(
        self, part: int, ts: datetime, equity: Decimal, cash: Decimal, unrealised: Decimal,
        peak: Decimal, *, hold: bool = True, force: bool = False,
    ) -> None:  # fmt: skip
        """Symbol ``part``'s book at ``ts`` (``peak``: its trader's); a snapshot is held when
        ``hold`` (a ``Recorder``'s ``every_bars``), written per ``flush_s`` or ``force``."""
        self._latest[part] = (equity, cash, unrealised)
        total = sum((v[0] for v in self._latest.values()), ZERO)
        self._peak = max(self._peak, total)
        top = max(self._peak, peak) if len(self._latest) == 1 else self._peak
        if not hold:
            return
        drawdown = (top - total) / top if top > 0 and total < top else ZERO
        self._held[ts] = {
            "equity": total,
            "cash": sum((v[1] for v in self._latest.values()), ZERO),
            "unrealised": sum((v[2] for v in self._latest.values()), ZERO),
            "drawdown": min(drawdown, Decimal(1)),
        }
        now = self._monotonic()
        if force or now - self._written_at >= self.flush_s or len(self._held) >= MAX_HELD:
            self.flush()
            self._written_at = now

    def total_with(self, part: int, equity: Decimal) -> tuple[Decimal, Decimal]:
        """(the bot's equity with symbol ``part`` at ``equity`` and the others at their newest
        reports, the bot's peak so far): the supervisor's breaker checks the whole bot."""
        total = equity + sum((v[0] for k, v in self._latest.items() if k != part), ZERO)
        return total, max(self._peak, total)

    def flush(self) -> None:
        """Write the equity snapshots held (one statement; the newest values of a time win)."""
        if not self._held:
            return
        rows = [{"ts": ts, "bot_id": self.bot_id, **values} for ts, values in self._held.items()]
        with self.sessions() as session:
            statement = insert(EquitySnapshot).values(rows)
            columns = ("equity", "cash", "unrealised", "drawdown")
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=["bot_id", "ts"],
                    set_={name: statement.excluded[name] for name in columns},
                )
            )
            session.commit()
        self._held.clear()


class Recorder:
    def __init__(
        self, sessions: Callable[[], Any], *, bot_id: str, run_id: str, instrument_row: int,
        interval: str, strategy: str, every_bars: int = 1, flush_s: float = FLUSH_S,
        monotonic: Callable[[], float] = time.monotonic, shared: BotEquity | None = None,
    ) -> None:  # fmt: skip
        """``shared``: the bot's ``BotEquity`` when it trades several symbols (one Recorder
        per symbol's trader, all with the same one); None: a bot of one symbol (its own)."""
        self.sessions, self.bot_id, self.run_id = sessions, bot_id, run_id
        self.instrument_row, self.interval, self.strategy = instrument_row, interval, strategy
        self.every_bars = every_bars
        self._bars = 0
        self._trips = 0
        self.bot_equity = shared or BotEquity(
            sessions, bot_id=bot_id, flush_s=flush_s, monotonic=monotonic
        )

    def signal(self, action: str, score: float | None, reasons: list[str], ts: datetime) -> None:
        if action.lower() not in ("buy", "sell"):
            return
        with self.sessions() as session:
            session.add(
                Signal(
                    ts=ts, instrument_id=self.instrument_row, interval=self.interval,
                    strategy=self.strategy, bot_id=self.bot_id, action=action.lower(),
                    score=score if score is not None else float("nan"),
                    reasons={"reasons": reasons, "run_id": self.run_id},
                )
            )  # fmt: skip
            session.commit()

    def after_order(self, holdings: Holdings | UsdmBook) -> None:
        """Upsert the position; write the round trips closed since the last call."""
        trips = holdings.trips[self._trips :]
        self._trips = len(holdings.trips)
        realised = sum((t.pnl for t in holdings.trips), ZERO)
        fees = sum(
            (t.entry.fee_in_quote(holdings.quote_asset) + t.exit.fee_in_quote(holdings.quote_asset)
             for t in holdings.trips),
            ZERO,
        )  # fmt: skip
        entry = holdings.open_entry
        usdm = isinstance(holdings, UsdmBook)  # a signed position (shorts), with funding
        held = holdings.base if entry is not None and (usdm or holdings.base > 0) else ZERO
        qty = abs(held)
        values = {
            "side": "long" if held > 0 else "short" if held < 0 else "flat", "qty": qty,
            "avg_entry": entry.avg_price if entry is not None and qty > 0 else ZERO,
            "realised_pnl": realised, "fees": fees,
        }  # fmt: skip
        if isinstance(holdings, UsdmBook):
            values["funding"] = holdings.funding_total
        with self.sessions() as session:
            statement = insert(Position).values(
                bot_id=self.bot_id, instrument_id=self.instrument_row, **values
            )
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=["bot_id", "instrument_id"], set_=values
                )
            )
            for trip in trips:
                session.add(self._trade(session, trip, holdings.quote_asset))
            session.commit()

    def _trade(self, session: Any, trip: RoundTrip, quote: str) -> Trade:
        ids = dict(
            session.execute(
                select(OrderRow.client_order_id, OrderRow.id).where(
                    OrderRow.client_order_id.in_(
                        [trip.entry.client_order_id, trip.exit.client_order_id]
                    )
                )
            ).all()
        )
        return Trade(
            bot_id=self.bot_id, run_id=self.run_id, instrument_id=self.instrument_row,
            side="long" if trip.side > 0 else "short", qty=trip.entry.qty,
            entry_time=from_epoch_ms(trip.entry.fills[0].ts_ms),
            entry_price=trip.entry.avg_price,
            exit_time=from_epoch_ms(trip.exit.fills[-1].ts_ms),
            exit_price=trip.exit.avg_price,
            fees=trip.entry.fee_in_quote(quote) + trip.exit.fee_in_quote(quote),
            pnl_net=trip.pnl, exit_reason=EXIT_REASONS.get(trip.exit.reason, "manual"),
            entry_order_id=ids.get(trip.entry.client_order_id),
            exit_order_id=ids.get(trip.exit.client_order_id),
        )  # fmt: skip

    def equity(
        self, ts: datetime, equity: Decimal, cash: Decimal, unrealised: Decimal, peak: Decimal,
        *, force: bool = False,
    ) -> None:  # fmt: skip
        """This symbol's book at ``ts`` into the bot's snapshots (``BotEquity``): held every
        ``every_bars`` bars and at the end (``force``)."""
        self._bars += 1
        hold = force or not self._bars % self.every_bars
        self.bot_equity.report(
            self.instrument_row, ts, equity, cash, unrealised, peak, hold=hold, force=force
        )

    def flush(self) -> None:
        """Write the bot's equity snapshots held (``BotEquity.flush``)."""
        self.bot_equity.flush()


def start_replay(sessions: Callable[[], Any], bot_id: str) -> None:
    """Clear ``bot_id``'s earlier replay record (the module docstring says why). Committed."""
    with sessions() as session:
        session.execute(delete(EquitySnapshot).where(EquitySnapshot.bot_id == bot_id))
        session.execute(delete(Trade).where(Trade.bot_id == bot_id))
        session.execute(
            update(Position)
            .where(Position.bot_id == bot_id)
            .values(side="flat", qty=ZERO, avg_entry=ZERO, realised_pnl=ZERO, fees=ZERO,
                    funding=ZERO)
        )  # fmt: skip
        session.commit()
