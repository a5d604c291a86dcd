"""Drift: a replay run against the backtest of the same configuration, trade by trade.

A replay (trader -> Celery -> worker -> sim) and a backtest (``backtest.engine``, latency 0)
of the same strategy, parameters, data, cash and fee must give the same trades: that is the
parity of docs/execution.md. ``compare(replay, backtest)`` pairs the two lists of trades (the
JSON rows of ``tradingbot backtest --json``) by entry time and names every difference with
its cause:

- ``missing trade``: the backtest has a trade the replay does not (no replay trade enters at
  that time); ``extra trade``: the other way round;
- ``refused``: a missing trade whose entry the replay did send, and the venue refused or let
  expire (``refused``: ``refused_entries`` of the record, by decision time, the venue's words --
  ``-2019 Margin is insufficient`` when an all-in entry's fill needed more margin than the
  wallet held); the equity differs from there, so later fee and quantity differences are its
  knock-on;
- ``timing``: paired by entry, but the exits happen in different bars (an exit the backtest
  fills inside a bar -- a stop, a take profit -- is stamped with that bar's open, the sim's
  fill of a bar-triggered order with the bar's close: with ``interval_ms`` they pair when the
  replay's time is in ``(open, open + interval]``; without, times must be equal);
- ``exit reason``: paired, but closed by a different rule (``drift_exits.explain_reason``
  says which and why: a stop only one side reached, a watched take profit);
- ``no liquidity``: the backtest's exit filled in a bar that traded nothing (volume 0: the
  venue was halted, as Binance spot on 2023-03-24 11:28-12:39 UTC) and the replay's did not:
  the sim's book holds a bar's volume, so its market exit there expired (the exit manager
  retries it every bar, and the stop may fire first once trading resumes); the backtest
  without slippage ignores volume. ``quiet`` (``quiet_bars``: the zero-volume bars of the
  data) names it; it replaces that trade's timing / exit reason / exit price differences;
- ``side``: long against short;
- ``price``: an entry or exit price differs by more than ``PRICE_TOL`` (the fill rule is one
  rule, so prices are equal to the float's precision; a stop's exit price difference says what
  can cause it); a position closed in parts (take-profit levels) is one row of both lists
  (``drift_exits.merge_partials``) whose exit price is its legs' average by quantity: the
  legs' weights may differ by ``QTY_REL_TOL`` (the lot step), so that share of the legs'
  price range is allowed on top;
- ``fee``: an entry or exit fee differs by more than ``FEE_REL_TOL`` of the backtest's;
- ``quantity``: the quantity differs by more than ``QTY_REL_TOL``.

A ``quantity`` or ``fee`` difference after a trade that closed differently says so: the
equity each later size is drawn from differs from there on (a knock-on, not a new cause).

Why fees and quantities have a tolerance and prices do not: the venue trades whole lot steps
(0.00001 BTC) and charges a buy's commission in the base asset, so the replay buys the
floored quantity and sells what the commission left (0.1 % less); the backtest trades the
exact fractional quantity and charges in quote. Each fee is the same rate of its own
notional; the amounts differ by that quantity difference, at most a few 0.01 %s plus the
0.1 % commission on exits, inside ``FEE_REL_TOL`` (0.3 %). Anything outside is reported.

With exits on, ``describe`` keeps the bot's ``exits`` section and ``backtest_config`` maps it
to the backtest's ``exits`` overrides (``drift_exits.backtest_exits``), with ``price_tick``
the instrument's tick (the trader's stop is on the grid) and notes naming what the backtest
models differently (spot take profits, trailing, breakeven).

``trades_of_run(session, run_id)`` rebuilds a stored replay's trades from PostgreSQL (the
orders and fills of the run -- bot ``replay-<run id>`` for a one-off replay -- booked in order
as the trader booked them), and ``run_config(session, run_id)`` reads the run's configuration
that the replay recorded (``record_run``: an ``audit_log`` entry), so ``tradingbot drift
--run ID`` can re-run the backtest of the same configuration.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ai_engine.backtest import kernel_codes as kc
from ai_engine.backtest.result import REASON_NAMES
from ai_engine.marketdata.series import DataKind
from ai_engine.store.audit import AuditEntry
from ai_engine.store.instruments import Instrument as InstrumentRow
from ai_engine.store.orders import Fill as FillRow
from ai_engine.store.orders import Order as OrderRow
from ai_engine.store.signals import Decision
from ai_engine.trader.drift_exits import (
    INTRABAR_EXITS,
    backtest_exits,
    explain_price,
    explain_reason,
    merge_partials,
    no_liquidity,
    same_reason,
)
from ai_engine.trader.holdings import FillView, Holdings, OrderFills
from ai_engine.trader.positions_usdm import UsdmBook

PRICE_TOL = 1e-6  # absolute, in quote: prices of one fill rule are equal
FEE_REL_TOL = 3e-3  # relative to the backtest's fee (see the module docstring)
QTY_REL_TOL = 3e-3
CAUSES = (
    "missing trade", "refused", "extra trade", "no liquidity", "timing", "exit reason", "side",
    "price", "fee", "quantity",
)  # fmt: skip
# The trader's exit reasons (``trades.exit_reason``) are the backtest's names; those without a
# backtest counterpart (a flash-crash or emergency exit, "risk") get the signal code in the
# replay's JSON (``trades_of_run`` keeps their words, so a stored run names them).
EXIT_CODES = {name: code for code, name in REASON_NAMES.items() if code >= kc.EXIT_SIGNAL}


def exit_code(reason: str) -> int:
    """The backtest's exit reason code of a trader's exit reason."""
    return EXIT_CODES.get(reason, kc.EXIT_SIGNAL)


@dataclass(frozen=True, slots=True)
class Difference:
    cause: str  # one of CAUSES
    entry_time_ms: int
    detail: str
    replay: Mapping[str, Any] | None = None
    backtest: Mapping[str, Any] | None = None


@dataclass
class DriftReport:
    run_id: str
    replay_trades: int
    backtest_trades: int
    differences: list[Difference] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.differences

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(CAUSES, 0)
        for difference in self.differences:
            out[difference.cause] += 1
        return {cause: n for cause, n in out.items() if n}

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "identical": self.identical,
            "replay_trades": self.replay_trades,
            "backtest_trades": self.backtest_trades,
            "counts": self.counts(),
            "tolerances": {"price_abs": PRICE_TOL, "fee_rel": FEE_REL_TOL, "qty_rel": QTY_REL_TOL},
            "differences": [asdict(d) for d in self.differences],
        }

    def describe(self) -> str:
        head = (
            f"run {self.run_id}: {self.replay_trades} replay trades, "
            f"{self.backtest_trades} backtest trades: "
        )
        if self.identical:
            return head + "identical (bar, side, price, fee)"
        lines = [head + f"{len(self.differences)} difference(s) {self.counts()}"]
        lines += [f"  {d.entry_time_ms} {d.cause}: {d.detail}" for d in self.differences]
        return "\n".join(lines)


def compare(
    replay: Sequence[Mapping[str, Any]],
    backtest: Sequence[Mapping[str, Any]],
    run_id: str = "",
    *,
    interval_ms: int = 0,
    quiet: Collection[int] = (),
    refused: Mapping[int, str] | None = None,
) -> DriftReport:
    """Every difference between the two trade lists, with its cause (module docstring);
    ``interval_ms``: the bar length, to pair an intrabar exit by its bar; ``quiet``: the open
    times of the bars that traded nothing (``quiet_bars``); ``refused``: the replay's entries
    the venue refused, by decision time (``refused_entries``)."""
    refused = refused or {}
    replay, backtest = merge_partials(replay), merge_partials(backtest)
    report = DriftReport(run_id, len(replay), len(backtest))
    quiet = frozenset(quiet)
    diverged: int | None = None  # entry time of the first trade that closed differently
    ours = {int(t["entry_time_ms"]): t for t in replay}
    theirs = {int(t["entry_time_ms"]): t for t in backtest}
    for at in sorted(set(ours) | set(theirs)):
        mine, ref = ours.get(at), theirs.get(at)
        if mine is None and at in refused:
            report.differences.append(Difference(
                "refused", at, f"{_trade_text(ref)}: the replay's entry at that time was refused "
                f"by the venue ({refused[at]})", backtest=ref,
            ))  # fmt: skip
            diverged = at if diverged is None else diverged
        elif mine is None:
            report.differences.append(
                Difference("missing trade", at, _trade_text(ref), backtest=ref)
            )
        elif ref is None:
            report.differences.append(Difference("extra trade", at, _trade_text(mine), mine))
        else:
            found = _pair(at, mine, ref, interval_ms, quiet)
            if diverged is not None:
                found = [_knock_on(d, diverged) for d in found]
            elif any(d.cause in _CLOSED_DIFFERENTLY for d in found):
                diverged = at
            report.differences += found
    return report


_CLOSED_DIFFERENTLY = frozenset({"no liquidity", "timing", "exit reason", "price"})


def _knock_on(difference: Difference, diverged: int) -> Difference:
    if difference.cause not in ("quantity", "fee"):
        return difference
    why = f" (knock-on: the equity differs since the trade entered at {diverged})"
    return Difference(difference.cause, difference.entry_time_ms, difference.detail + why,
                      difference.replay, difference.backtest)  # fmt: skip


def _same_exit_bar(mine: Mapping[str, Any], ref: Mapping[str, Any], interval_ms: int) -> bool:
    ours, theirs = int(mine["exit_time_ms"]), int(ref["exit_time_ms"])
    if ours == theirs:
        return True
    intrabar = str(ref.get("first_exit_reason", ref.get("exit_reason"))) in INTRABAR_EXITS
    return intrabar and interval_ms > 0 and theirs < ours <= theirs + interval_ms


def _pair(
    at: int,
    mine: Mapping[str, Any],
    ref: Mapping[str, Any],
    interval_ms: int = 0,
    quiet: frozenset[int] = frozenset(),
) -> list[Difference]:
    found: list[Difference] = []

    def add(cause: str, detail: str) -> None:
        found.append(Difference(cause, at, detail, mine, ref))

    if mine["side"] != ref["side"]:
        add("side", f"replay {mine['side']}, backtest {ref['side']}")
    same_bar = _same_exit_bar(mine, ref, interval_ms)
    halted = not same_bar and int(ref["exit_time_ms"]) in quiet
    if halted:
        add("no liquidity", no_liquidity(mine, ref))
    elif not same_bar:
        add("timing", f"exit at {mine['exit_time_ms']} (replay) vs {ref['exit_time_ms']}")
    if not halted and "exit_reason" in mine and not same_reason(mine, ref):
        add("exit reason", explain_reason(mine, ref, same_bar=same_bar))
    for leg in ("entry", "exit") if not halted else ("entry",):
        a, b = float(mine[f"{leg}_price"]), float(ref[f"{leg}_price"])
        legs = max(float(t.get("exit_price_range", 0.0)) for t in (mine, ref))
        if abs(a - b) > PRICE_TOL + (QTY_REL_TOL * legs if leg == "exit" else 0.0):
            why = explain_price(leg, mine, ref)
            add("price", f"{leg} {a} (replay) vs {b} (backtest), {a - b:+.6f}{why}")
        fa, fb = float(mine[f"{leg}_fee"]), float(ref[f"{leg}_fee"])
        if abs(fa - fb) > FEE_REL_TOL * max(abs(fb), 1e-12):
            add("fee", f"{leg} fee {fa:.8f} (replay) vs {fb:.8f} (backtest)")
    qa, qb = float(mine["quantity"]), float(ref["quantity"])
    if abs(qa - qb) > QTY_REL_TOL * max(abs(qb), 1e-12):
        add("quantity", f"{qa} (replay) vs {qb} (backtest)")
    return found


def _trade_text(trade: Mapping[str, Any] | None) -> str:
    if trade is None:
        return ""
    return (
        f"{trade['side']} {trade['quantity']} in {trade['entry_time_ms']} at "
        f"{trade['entry_price']}, out {trade['exit_time_ms']} at {trade['exit_price']}"
    )


# -- the record ----------------------------------------------------------------------------


RUN_ACTION = "replay_run"


def record_run(session: Session, run_id: str, description: Mapping[str, Any]) -> None:
    """Keep what ``tradingbot drift`` needs to re-run the backtest of a replay -- strategy,
    parameters, data files, cash, fee -- as an ``audit_log`` entry (actor ``system``, action
    ``replay_run``, ``details.run_id``). Committed."""
    session.add(
        AuditEntry(actor="system", action=RUN_ACTION, details={"run_id": run_id, **description})
    )
    session.commit()


def describe(request: Any, plan: Any) -> dict[str, Any]:
    """A replay's ``ReplayRequest`` and checked plan as ``record_run`` keeps them (JSON)."""
    start, end = getattr(request, "start", None), getattr(request, "end", None)
    return {
        "strategy": request.strategy,
        "params": dict(plan.params),
        "data": [str(Path(p).resolve()) for p in request.data],
        "cash": str(request.cash),
        "fee": str(request.fee),
        "risk_profile": plan.limits.name,
        "exits": dict(bot.exits) if (bot := getattr(request, "bot", None)) is not None else None,
        "symbol": plan.symbol,
        "interval": plan.interval,
        "market": getattr(plan, "market", "spot"),
        "leverage": getattr(plan, "leverage", 1),
        "start": start.isoformat() if start is not None else None,
        "end": end.isoformat() if end is not None else None,
    }


def backtest_config(
    description: Mapping[str, Any], tick: float
) -> tuple[dict[str, Any], list[str]]:
    """(the backtest ``config`` of a recorded replay -- latency 0, the bot's exits mapped, the
    instrument's ``tick`` as ``price_tick`` -- and notes on exits it models differently)."""
    config: dict[str, Any] = {"latency_ms": 0}
    if description.get("market") == "usdm":  # a USD-M replay: the perpetual at its leverage
        config.update(market="usdm", leverage=float(description.get("leverage") or 1))
    exits = description.get("exits")
    if not exits:
        return config, []
    overrides, notes = backtest_exits(exits, str(description.get("market") or "spot"))
    config["exits"] = overrides
    config["price_tick"] = tick
    return config, notes


def quiet_bars(paths: Sequence[Path]) -> frozenset[int]:
    """Open times (epoch ms) of the bars in these kline files that traded nothing (other files
    -- a USD-M replay's funding rates -- are passed over)."""
    from ai_engine.marketdata.importer import expand_paths
    from ai_engine.marketdata.parsing import parse_file

    quiet: set[int] = set()
    for path in expand_paths(list(paths)):
        parsed = parse_file(path)
        if parsed.key.kind is not DataKind.BARS:
            continue
        table = parsed.table
        times, volumes = table.column("open_time").to_numpy(), table.column("volume").to_numpy()
        quiet.update(int(t) for t in times[volumes == 0])
    return frozenset(quiet)


def refused_entries(session: Session, run_id: str) -> dict[int, str]:
    """The run's entries the venue refused or let expire: decision time (epoch ms, the bar
    the backtest would have entered at) -> the venue's words (the decision's ``execution``)."""
    rows = session.execute(
        select(Decision.ts, Decision.reason, OrderRow.status)
        .join(OrderRow, OrderRow.client_order_id == Decision.client_order_id)
        .where(OrderRow.run_id == run_id, OrderRow.status.in_(("rejected", "expired")))
    ).all()
    out: dict[int, str] = {}
    for ts, reason, status in rows:
        if (reason or {}).get("purpose") != "entry":
            continue
        out[int(ts.timestamp() * 1000)] = str((reason or {}).get("execution") or status)
    return out


def run_config(session: Session, run_id: str) -> dict[str, Any] | None:
    """The description ``record_run`` stored for ``run_id``, or None."""
    found = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == RUN_ACTION, AuditEntry.details["run_id"].astext == run_id)
        .order_by(AuditEntry.id.desc())
    ).first()
    return dict(found.details) if found is not None else None


def run_tick(session: Session, run_id: str) -> float:
    """The price tick of the instrument the run traded (0 when it placed no order)."""
    row = session.scalars(select(OrderRow).where(OrderRow.run_id == run_id).limit(1)).first()
    if row is None:
        return 0.0
    return float(session.get_one(InstrumentRow, row.instrument_id).tick_size)


def trades_of_run(session: Session, run_id: str) -> list[dict[str, Any]]:
    """The run's round trips rebuilt from its recorded orders and fills, as trade rows with
    the keys ``compare`` reads (fees in the quote asset, times in epoch ms, the exit reason
    of the order that closed it: ``trades.exit_reason``'s words, the backtest's names)."""
    orders = session.scalars(
        select(OrderRow).where(OrderRow.run_id == run_id).order_by(OrderRow.id)
    ).all()
    if not orders:
        return []
    instrument = session.get_one(InstrumentRow, orders[0].instrument_id)
    holdings: Holdings | UsdmBook = (  # a perpetual's books: a signed position (shorts)
        UsdmBook(instrument.base_asset, instrument.quote_asset)
        if instrument.market == "usdm"
        else Holdings(instrument.base_asset, instrument.quote_asset)
    )
    for row in orders:
        decision = session.scalars(
            select(Decision).where(Decision.client_order_id == row.client_order_id)
        ).first()
        reason = str(((decision.order_intent or {}) if decision else {}).get("reason", "signal"))
        fills = session.scalars(
            select(FillRow).where(FillRow.order_id == row.id).order_by(FillRow.ts, FillRow.id)
        ).all()
        views = tuple(
            FillView(f.price, f.qty, f.fee, f.fee_asset, int(f.ts.timestamp() * 1000))
            for f in fills
        )
        holdings.apply(OrderFills(row.client_order_id, row.side, reason, views))
    quote = instrument.quote_asset
    return [
        {
            "side": "long" if t.side > 0 else "short",
            "entry_time_ms": t.entry.fills[0].ts_ms,
            "exit_time_ms": t.exit.fills[0].ts_ms,
            "entry_price": float(t.entry.avg_price),
            "exit_price": float(t.exit.avg_price),
            "quantity": float(t.entry.qty),
            "entry_fee": float(t.entry.fee_in_quote(quote)),
            "exit_fee": float(t.exit.fee_in_quote(quote)),
            "pnl": float(t.pnl),
            "exit_reason": t.exit.reason,
        }
        for t in holdings.trips
    ]
