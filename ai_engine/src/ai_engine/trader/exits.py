"""The exit manager (``execution.exits``) wired into one trader's order path (spot long; USD-M
long and short).

    runner = await ExitRunner.restore(wiring, instrument, key=cfg.id_key, desk=desk)
    stop = runner.planned_stop(close, atr)           # an entry's stop, for the risk checks
    await runner.entry_filled(fills, quantity=q, anchor=signal_bar_time, atr=atr)
    await runner.on_bar(ts=..., high=..., low=..., close=..., atr=..., volume=...)  # every bar
    await runner.on_signal(score=..., ts=...)        # a sell signal: reversal
    await runner.release()                           # before a flatten: cancel what rests

Its ports (``ExitWiring``, ``ExitDesk``, the stores, ``bot_wiring``) are in
``trader/exit_ports.py`` (re-exported here).

Rules:

- **Same order path as entries.** Every exit order is an ``Intent`` persisted (order
  ``initialized`` + decision) before it is queued on Celery's ``orders`` queue (``desk.send``);
  its client id is the manager's ``ExitTag`` minted with the position's anchor and the bot's
  order key, so the same step gives the same id across restarts. Cancels go through the
  worker's ``orders.cancel`` (``wiring.cancel``).
- **The protective stop is on the exchange before the trader moves on.** ``entry_filled``
  runs the manager's first action, ``PlaceStop``, and waits for the worker's answer: a stop the
  venue holds (``accepted``) rests; a stop it refuses becomes the manager's market exit
  (``on_exit_failed``), so a position never stays without a stop. On spot the stop is a
  ``stop_market`` order, which the Binance wire sends as ``STOP_LOSS`` (docs/execution.md says
  why not ``STOP_LOSS_LIMIT``).
- **Actions run in list order**, each one's follow-ups (a refused stop's market exit, a late
  fill's re-sized stop) before the next. ``MoveStop`` on spot: cancel, then place.
- **Fills at the venue are noticed** by reading each resting exit order's rows once per bar
  (one read: what the worker, the user data stream or a refresh wrote) and by querying the
  venue for it (``wiring.refresh``: the venue's report and fills into the order's rows, by
  client id, idempotently) when it could have traded: a market exit always; a resting stop or
  take profit only on a new bar whose range reached its level within a tick (a long's stop:
  low <= stop; a short's: high >= stop; take profits the other way; a stop-limit and an
  order whose level the state no longer names: always) -- the sim fills them only on such a
  touch. Every ``full_refresh_every`` bars, on the first bar, after skipped bars (a bar
  later than the shortest step seen after the last) and in ``poll`` (before each of the
  loop's reconciliations) every resting order is queried: live fills can come from elsewhere
  (a manual cancel, a liquidation, a partial fill). A user data stream reconnect reconciles,
  which writes the venue's view into the rows: the next bar's read sees it. Each new fill
  is given to the manager (``on_fill``) and booked in the holdings with the exit reason of
  its order (the ``trades.exit_reason`` words); the round trip closes with the fill that
  closes the manager's position.
- **Quantity (spot)**: the position the exits cover is the base the entry left after its
  base-asset fee, floored to the lot step (``exit_quantity``).
- **A close-out the venue did not fill** (a market exit expired in an empty book): the manager
  puts the stop back and retries after 1, 2, 4 ... 16 new bars, on a bar with volume
  (``ExitRetry``); the stop rests untouched meanwhile. ``volume`` (the bar's) feeds that rule.
- **Persistence**: after every call the manager's state, the order key, the resting orders and
  the fills already booked are saved (``ExitStore``: Redis hash ``tradingbot:exits:<bot>``,
  field = symbol; a record equal to the last one written is not written again); ``restore``
  picks them up, so a restarted trader carries on with the same
  stop and the same ids. A closed position clears its record.
- Spot take profits are watched by the manager on each bar and sent as market exits.
- **USD-M** (a plan with ``reduce_only_venue``: ``bot_wiring(market="usdm")``): every exit
  order is reduce-only -- the protective stop a ``STOP_MARKET`` on the closing side (SELL for a
  long, BUY for a short), the take profits rest at the venue (``PlaceTakeProfit``:
  ``TAKE_PROFIT_MARKET`` or a LIMIT), a stop is moved by placing the new one before canceling
  the old (``MoveStop.place_first``), and a short's stop sits above its entry
  (``planned_stop(..., side=-1)``). Fills of a short's exits are booked as buys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from ai_engine.domain import OrderSide, OrderStatus, Price, Quantity, from_epoch_ms
from ai_engine.domain.enums import PositionSide
from ai_engine.domain.instruments import Instrument
from ai_engine.execution.client_ids import Purpose, mint_client_order_id
from ai_engine.execution.exits import (
    CancelExit,
    ExitAction,
    ExitManager,
    ExitReason,
    ExitTag,
    MarketExit,
    MoveStop,
    PlaceStop,
    PlaceTakeProfit,
    state_from_primitive,
    state_to_primitive,
)
from ai_engine.trader.exit_ports import (
    FILL_LOOKBACK,
    FULL_REFRESH_EVERY,
    Book,
    Cancel,
    ExitDesk,
    ExitStore,
    ExitWiring,
    MemoryExitStore,
    Peek,
    Read,
    RedisExitStore,
    Refresh,
    RowMark,
    Send,
    bot_wiring,
    peek_orders,
    refresh_order,
)
from ai_engine.trader.holdings import OrderFills
from ai_engine.trader.intents import Intent

__all__ = [  # the ports are re-exported: importers of trader.exits keep working
    "FILL_LOOKBACK",
    "FULL_REFRESH_EVERY",
    "Book",
    "Cancel",
    "ExitDesk",
    "ExitRunner",
    "ExitStore",
    "ExitWiring",
    "MemoryExitStore",
    "Peek",
    "Read",
    "RedisExitStore",
    "Refresh",
    "RowMark",
    "Send",
    "average_true_range",
    "bot_wiring",
    "exit_quantity",
    "peek_orders",
    "refresh_order",
]

ZERO = Decimal(0)


def exit_quantity(bought: Decimal, base_fee: Decimal, lot_step: Decimal) -> Decimal:
    """The base an entry left after its base-asset fee, floored to the lot step (spot)."""
    return ((bought - base_fee) / lot_step).to_integral_value(rounding=ROUND_DOWN) * lot_step


def average_true_range(highs: list[float], lows: list[float], closes: list[float],
                       period: int = 14) -> Decimal | None:  # fmt: skip
    """The mean true range of the last ``period`` bars (None with too few bars)."""
    if len(closes) < period + 1:
        return None
    ranges = [
        max(highs[i] - lows[i], abs(highs[i] - closes[i - 1]), abs(lows[i] - closes[i - 1]))
        for i in range(len(closes) - period, len(closes))
    ]
    return Decimal(repr(sum(ranges) / period))


class ExitRunner:
    def __init__(
        self, wiring: ExitWiring, manager: ExitManager, *, key: str, desk: ExitDesk,
        resting: Mapping[str, ExitTag] | None = None, booked: Mapping[str, int] | None = None,
    ) -> None:  # fmt: skip
        self.wiring, self.manager, self.key, self.desk = wiring, manager, key, desk
        self.symbol = manager.instrument.symbol
        self.resting: dict[str, ExitTag] = dict(resting or {})
        self.booked: dict[str, int] = dict(booked or {})
        self.reasons: dict[str, ExitReason] = {}  # client id -> why it was sent
        self.last_close: Decimal | None = None  # the reference price of a market exit
        self._pending_books: list[tuple[OrderFills, bool]] = []  # booked at the step's end
        self._saved: str | None = None  # the record last written (unchanged: not again)
        self._last_bar: datetime | None = None  # the last bar's close time seen by on_bar
        self._interval: timedelta | None = None  # the shortest step between two bars seen
        self._since_full = 0  # bars since every resting order was last queried
        self._marks: dict[str, RowMark] = {}  # each resting order's row as last read in full
        self._followed: set[str] = set()  # orders whose read follows a replacement: always read

    @classmethod
    async def restore(
        cls, wiring: ExitWiring, instrument: Instrument, *, key: str, desk: ExitDesk
    ) -> ExitRunner:
        """The runner of ``instrument``, with the saved position's state when there is one."""
        record = await wiring.store.load(instrument.symbol)
        if record is None:
            return cls(wiring, ExitManager(wiring.plan, instrument), key=key, desk=desk)
        state = state_from_primitive(record["state"])
        resting = {cid: _tag(cid) for cid in record.get("resting", [])}
        runner = cls(
            wiring, ExitManager(wiring.plan, instrument, state), key=str(record["key"]),
            desk=desk, resting=resting, booked=dict(record.get("booked", {})),
        )  # fmt: skip
        runner.reasons = {cid: ExitReason(r) for cid, r in record.get("reasons", {}).items()}
        return runner

    # -- views -------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        state = self.manager.state
        return state is not None and state.is_open

    @property
    def stop_price(self) -> Decimal | None:
        state = self.manager.state
        if state is None or not state.is_open or state.stop is None:
            return None
        return state.stop.stop_price.value

    @property
    def take_profit(self) -> Decimal | None:
        """The next take-profit level still to be taken, if any."""
        state = self.manager.state
        if state is None or not state.is_open:
            return None
        levels = [slot.price.value for slot in state.take_profits if not slot.done]
        return min(levels) if levels else None

    @property
    def entry_client_id(self) -> str | None:
        """The client id of the open position's entry order (minted from the anchor)."""
        state = self.manager.state
        if state is None or not state.is_open:
            return None
        return mint_client_order_id(
            bot_id=self.key, bar_time=state.anchor, symbol=self.symbol, purpose=Purpose.ENTRY
        )

    def planned_stop(self, price: Decimal, atr: Decimal | None, side: int = 1) -> Decimal | None:
        """The stop an entry at ``price`` will get (for the pre-trade risk checks); ``side``
        -1: a short's, above the entry."""
        stop = self.wiring.plan.stop
        if stop is None:
            return None
        try:
            distance = stop.resolve(entry=price, atr=atr, risk=None)
        except ValueError:
            return None
        level = price - side * distance
        return level if level > 0 else None

    def planned_target(self, price: Decimal, atr: Decimal | None, side: int = 1) -> Decimal | None:
        """The first take-profit level of an entry at ``price`` (the expected exit the
        pre-trade checks weigh against the stop), or None without take profits."""
        levels, stop = self.wiring.plan.take_profits, self.planned_stop(price, atr, side)
        if not levels or stop is None:
            return None
        try:
            distance = levels[0].distance.resolve(entry=price, atr=atr, risk=abs(price - stop))
        except ValueError:
            return None
        level = price + side * distance
        return level if level > 0 else None

    # -- events ------------------------------------------------------------------------------

    async def entry_filled(
        self, fills: OrderFills, *, quantity: Decimal, anchor: datetime, atr: Decimal | None
    ) -> None:
        ts = from_epoch_ms(fills.fills[-1].ts_ms)
        side = PositionSide.LONG if fills.side == "buy" else PositionSide.SHORT
        actions = self.manager.on_entry_filled(
            side=side, price=Price(fills.avg_price), quantity=Quantity(quantity),
            fee=fills.fee_in_quote(self.desk.quote_asset), ts=ts, anchor=anchor, atr=atr,
        )  # fmt: skip
        await self.run(actions, ts)

    async def on_bar(
        self, *, ts: datetime, high: Decimal, low: Decimal, close: Decimal,
        atr: Decimal | None, volume: Decimal | None = None,
    ) -> None:  # fmt: skip
        """Notice what filled at the venue (querying what the bar could have filled), then
        the manager's bar rules."""
        self.last_close = close
        new_bar = self._last_bar is None or ts > self._last_bar
        full = self._full_refresh_due(ts)
        for client_id in list(self.resting):
            if full or self._may_have_traded(client_id, high, low, new_bar):
                await self.wiring.refresh(client_id)
        marks = self._peek(list(self.resting))
        for client_id in list(self.resting):
            if marks is None or marks.get(client_id) != self._marks.get(client_id):
                await self.run(self._settle(client_id, ours_canceled=False), ts)
        if self.is_open:
            actions = self.manager.on_bar(
                ts=ts, high=Price(high), low=Price(low), close=Price(close), atr=atr,
                volume=volume,
            )  # fmt: skip
            await self.run(actions, ts)

    def _peek(self, client_ids: list[str]) -> Mapping[str, RowMark] | None:
        """The rows' marks in one read (None: no peek, or an order read through its
        replacement -- read each in full)."""
        peek = self.wiring.peek
        if peek is None or not client_ids or self._followed.intersection(client_ids):
            return None
        return peek(client_ids)

    def _full_refresh_due(self, ts: datetime) -> bool:
        """Every resting order is queried on the first bar, after skipped bars (later than the
        shortest step seen) and every ``full_refresh_every`` bars."""
        last, self._since_full = self._last_bar, self._since_full + 1
        skipped = False
        if last is not None and ts > last:
            step = ts - last
            skipped = self._interval is not None and step > self._interval
            self._interval = step if self._interval is None else min(self._interval, step)
        if last is None or ts > last:
            self._last_bar = ts
        due = last is None or skipped or self._since_full >= self.wiring.full_refresh_every
        if due:
            self._since_full = 0
        return due

    def _may_have_traded(self, client_id: str, high: Decimal, low: Decimal, new_bar: bool) -> bool:
        """Whether the bar could have filled a resting exit order: a market exit (or an order
        the state no longer prices) always; a stop or take profit when a new bar's range
        reached its level within a tick."""
        state = self.manager.state
        tag = self.resting.get(client_id)
        if state is None or tag is None:
            return True
        tick = self.manager.instrument.tick_size
        if state.stop is not None and state.stop.tag == tag:
            if self.wiring.plan.stop_limit_offset is not None:
                return True  # a triggered stop-limit may fill on any later bar
            level = state.stop.stop_price.value
            touched = low <= level + tick if state.is_long else high >= level - tick
            return new_bar and touched
        slot = next((t for t in state.take_profits if t.tag == tag and t.resting), None)
        if slot is None:
            return True
        level = slot.price.value
        touched = high >= level - tick if state.is_long else low <= level + tick
        return new_bar and touched

    async def on_signal(self, *, score: Decimal | None, ts: datetime) -> None:
        """A signal to close the position (a long's sell, a short's buy): the reversal rule."""
        if self.is_open:
            side = OrderSide.SELL if self._closing_side == "sell" else OrderSide.BUY
            await self.run(self.manager.on_signal(side=side, score=score, ts=ts), ts)

    @property
    def _closing_side(self) -> str:
        """The side of the orders that close the position: "sell" (long, spot) or "buy"."""
        state = self.manager.state
        return "buy" if state is not None and not state.is_long else "sell"

    async def poll(self, ts: datetime) -> None:
        """Query every resting exit order and settle what it did (a full refresh: before a
        reconciliation, after a reconnect)."""
        for client_id in list(self.resting):
            await self.wiring.refresh(client_id)
            await self.run(self._settle(client_id, ours_canceled=False), ts)

    async def release(self) -> None:
        """Cancel every resting exit order (a flatten follows), booking any fill it got
        first; the position is then the caller's to close, and the record is cleared. An
        order already canceled at the venue (an operator's cancel-all) counts as ours: no
        market exit is made of it."""
        for client_id in list(self.resting):
            await self.wiring.refresh(client_id)
            await self.wiring.cancel(client_id)
            self._settle(client_id, ours_canceled=True)
        self.resting.clear()
        self.manager = ExitManager(self.wiring.plan, self.manager.instrument)
        await self._save()

    # -- actions -----------------------------------------------------------------------------

    async def run(self, actions: list[ExitAction], ts: datetime) -> None:
        queue = list(actions)
        while queue:
            more = await self._do(queue.pop(0), ts)
            queue[0:0] = more
        await self._save()

    async def _do(self, action: ExitAction, ts: datetime) -> list[ExitAction]:
        if isinstance(action, CancelExit):
            return await self._cancel(action.tag)
        if isinstance(action, MoveStop) and action.place_first:  # reduce-only: never unguarded
            more = await self._place(action.place, ts)
            return more + await self._cancel(action.cancel)
        if isinstance(action, MoveStop):  # spot: cancel first (the stop locks the base)
            more = await self._cancel(action.cancel)
            if not self.is_open:
                return more
            return await self._place(action.place, ts) + more
        return await self._place(action, ts)

    async def _cancel(self, tag: ExitTag) -> list[ExitAction]:
        client_id = self._id(tag)
        if client_id not in self.resting:
            return []
        await self.wiring.cancel(client_id)
        return self._settle(client_id, ours_canceled=True)

    async def _place(
        self, action: PlaceStop | PlaceTakeProfit | MarketExit, ts: datetime
    ) -> list[ExitAction]:
        state = self.manager.state
        assert state is not None
        client_id = self._id(action.tag)
        kind, limit, stop = "market", None, None
        if isinstance(action, PlaceStop):
            kind, stop, limit = str(action.order_type), action.stop_price.value, None
            if action.limit_price is not None:
                limit = action.limit_price.value
        elif isinstance(action, PlaceTakeProfit):
            kind = str(action.order_type)
            if action.order_type.needs_price:
                limit = action.price.value
            else:
                stop = action.price.value
        reference = stop or limit or self.last_close or state.entry_price
        d = self.desk
        intent = Intent(
            client_order_id=client_id, bot_id=d.bot_id, run_id=d.run_id,
            side=action.side.value, quantity=action.quantity.value, reference_price=reference,
            fee_rate=d.fee_rate, risk_profile=d.risk_profile, decided_at=ts,
            purpose=action.tag.purpose.name.lower(), reason=str(action.reason),
            starting_equity=d.starting_equity,
            why={"purpose": action.tag.purpose.name.lower(), "reason": str(action.reason),
                 "exit": str(action.tag), "detail": action.detail},
            order_type=kind, limit_price=limit, stop_price=stop,
            reduce_only=self.wiring.plan.reduce_only_venue,
        )  # fmt: skip
        self.reasons[client_id] = action.reason
        await d.send(intent)
        self.resting[client_id] = action.tag
        return self._settle(client_id, ours_canceled=False)

    def _settle(self, client_id: str, *, ours_canceled: bool) -> list[ExitAction]:
        """Give the manager the order's fills not seen yet (booking them); an order that ended
        unfilled in part not at our request is an exit failure. Returns follow-ups."""
        tag = self.resting.get(client_id) or _tag(client_id)
        reason = self.reasons.get(client_id, ExitReason.STOP_LOSS)
        if self.wiring.peek is not None:  # the row as this read saw it (or a little later)
            self._marks.update(self.wiring.peek([client_id]))
        status, fills = self.desk.read(client_id, str(reason))
        if fills.client_order_id != client_id:
            self._followed.add(client_id)
        seen = self.booked.get(client_id, 0)
        new = fills.fills[seen:]
        actions: list[ExitAction] = []
        pending: list[tuple[OrderFills, bool]] = []
        if new and self.manager.state is not None and not self.manager.state.closed:
            self.booked[client_id] = len(fills.fills)
            qty = sum((f.qty for f in new), ZERO)
            price = sum((f.qty * f.price for f in new), ZERO) / qty
            actions = self.manager.on_fill(
                tag=tag, quantity=Quantity(qty), price=Price(price),
                ts=from_epoch_ms(new[-1].ts_ms),
            )  # fmt: skip
            closes = not self.is_open
            side = self._closing_side
            pending.append((OrderFills(client_id, side, str(reason), tuple(new)), closes))
        self._pending_books.extend(pending)
        terminal = OrderStatus(status).is_terminal
        if terminal:
            self.resting.pop(client_id, None)
            self._marks.pop(client_id, None)
            unfilled = status != OrderStatus.FILLED.value
            if unfilled and not ours_canceled and self.is_open:
                detail = f"{client_id} {status} at the venue"
                actions += self.manager.on_exit_failed(tag=tag, detail=detail)
        return actions

    def _id(self, tag: ExitTag) -> str:
        state = self.manager.state
        assert state is not None
        return tag.client_order_id(bot_id=self.key, anchor=state.anchor, symbol=self.symbol)

    async def _save(self) -> None:
        for fills, closes in self._pending_books:
            await self.desk.book(fills, closes)
        self._pending_books.clear()
        state = self.manager.state
        if state is None or state.closed:
            if self._saved != "":
                await self.wiring.store.save(self.symbol, None)
                self._saved = ""
            return
        record = {
            "key": self.key,
            "state": state_to_primitive(state),
            "resting": sorted(self.resting),
            "booked": self.booked,
            "reasons": {cid: str(r) for cid, r in self.reasons.items()},
        }
        text = json.dumps(record)
        if text != self._saved:
            await self.wiring.store.save(self.symbol, record)
            self._saved = text


def _tag(client_id: str) -> ExitTag:
    tag = ExitTag.of_client_order_id(client_id)
    if tag is None:
        raise ValueError(f"{client_id} is not an exit order's client id")
    return tag
