"""Market streams of a symbol replayed tick by tick (``tick_data``), from its stored ticks:

- ``@trade``: one event per stored trade, with its real id ``t``, price, quantity, trade time
  ``T`` (also the event time ``E``: the store keeps the trade time only) and ``m`` (USD-M's
  shape: no ``M``, ``X`` = MARKET);
- ``@aggTrade``: the same trades grouped as ``trade_tape.aggregate`` groups them for REST
  ``aggTrades`` (same millisecond, price and taker side; ``a`` = the first trade id);
- ``@depth``/``@depth@100ms``/``@depth@0ms`` (diff depth): the recorded diff events themselves,
  with their real ``U`` and ``u`` (USD-M: also ``pu``, and ``T`` = ``E``), levels as recorded. A
  client that applies them to a REST ``/depth`` snapshot by Binance's recipe rebuilds the
  replayed book (our own takes are not in the recorded stream). The stored snapshot is not an
  event;
- ``@markPrice[@1s]`` (USD-M): one ``markPriceUpdate`` a second (``@markPrice`` without
  ``@1s``: the seconds divisible by 3, Binance's 3 s cadence) with the engine's rule for the
  mark at that second: the last recorded mark price if it is at most ``MARK_STALE_MS`` old,
  else the last trade price (nothing before the first trade). Funding rate and next funding
  time as on bars (``render_mark_price.mark_event``).

Spot prices and quantities print with 8 decimals, USD-M ones with the symbol's precisions.
Each event goes out when the replay clock reaches its time: a window ``(start, end]`` renders
the ticks with ``start < time <= end``. Sort key ``2 x time + 1``: after the klines of bars
closing at that time, as other market changes (``replay_bars.change_key``).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import numpy as np

from ai_engine.domain import Rounding
from ai_engine.domain.decimals import snap_to_step
from ai_engine.matching.futures import MARK_STALE_MS
from ai_engine.simexchange.futures.funding import FundingSchedule
from ai_engine.simexchange.market import to_decimal
from ai_engine.simexchange.streams.names import Kind, MarketStream
from ai_engine.simexchange.streams.render_mark_price import mark_event
from ai_engine.simexchange.streams.replay_bars import NO_EVENTS, Events
from ai_engine.simexchange.tick_data import TickData
from ai_engine.simexchange.trade_tape import aggregate

SPOT_DECIMALS = (8, 8)
_SECOND = 1_000


def trade_template(stream: MarketStream, decimals: tuple[int, int] = SPOT_DECIMALS) -> str:
    """The ``%``-template of ``stream``'s trade or aggTrade events, fields in this order:
    trade ``E, t, p, q, T, m``; aggTrade ``E, a, p, q, f, l, T, m`` (``m`` as JSON text)."""
    price, qty = f'"%.{decimals[0]}f"', f'"%.{decimals[1]}f"'
    if stream.kind is Kind.AGG_TRADE:
        body = '"e":"aggTrade","E":%d,"s":<S>,"a":%d,"p":<P>,"q":<Q>,"f":%d,"l":%d,"T":%d,"m":%s'
    else:
        body = '"e":"trade","E":%d,"s":<S>,"t":%d,"p":<P>,"q":<Q>,"T":%d,"m":%s'
        if stream.futures:
            body += ',"X":"MARKET"'
    if not stream.futures:
        body += ',"M":true'
    body = body.replace("<P>", price).replace("<Q>", qty)
    return "{" + body.replace("<S>", f'"{stream.symbol}"') + "}"


class TickTrades:
    def __init__(
        self, stream: MarketStream, data: TickData, decimals: tuple[int, int] = SPOT_DECIMALS
    ) -> None:
        self.stream = stream
        self._data = data
        self._aggregate = stream.kind is Kind.AGG_TRADE
        self._template = trade_template(stream, decimals)

    def render(self, start_ms: int, end_ms: int) -> Events:
        trades = self._data.trades
        lo = int(np.searchsorted(trades.time, start_ms, side="right"))
        hi = int(np.searchsorted(trades.time, end_ms, side="right"))
        if lo >= hi:
            return NO_EVENTS
        window = trades.take(slice(lo, hi))
        payloads: list[bytes] = []
        if self._aggregate:
            runs = aggregate(window)
            times = runs.time.tolist()
            for a, t, p, q, last, m in zip(
                runs.first_id.tolist(), times, runs.price.tolist(), runs.qty.tolist(),
                runs.last_id.tolist(), runs.is_buyer_maker.tolist(), strict=True,
            ):  # fmt: skip
                maker = "true" if m else "false"
                payloads.append((self._template % (t, a, p, q, a, last, t, maker)).encode())
        else:
            times = window.time.tolist()
            for i, t, p, q, m in zip(
                window.id.tolist(), times, window.price.tolist(), window.qty.tolist(),
                window.is_buyer_maker.tolist(), strict=True,
            ):  # fmt: skip
                maker = "true" if m else "false"
                payloads.append((self._template % (t, i, p, q, t, maker)).encode())
        return [2 * t + 1 for t in times], payloads


class TickDepth:
    def __init__(self, stream: MarketStream, data: TickData, decimals: tuple[int, int]) -> None:
        self.stream = stream
        self._data = data
        self._price = f"%.{decimals[0]}f"
        self._qty = f"%.{decimals[1]}f"

    def render(self, start_ms: int, end_ms: int) -> Events:
        data = self._data
        first = int(np.searchsorted(data.event_time, start_ms, side="right"))
        stop = int(np.searchsorted(data.event_time, end_ms, side="right"))
        keys: list[int] = []
        payloads: list[bytes] = []
        for k in range(first, stop):
            event = self._event(k)
            if event is not None:
                keys.append(2 * int(data.event_time[k]) + 1)
                payloads.append(json.dumps(event, separators=(",", ":")).encode())
        return keys, payloads

    def _event(self, k: int) -> dict[str, Any] | None:
        depth, starts = self._data.depth, self._data.starts
        a, b = int(starts[k]), int(starts[k + 1])
        if depth.is_snapshot[a]:
            return None
        bids: list[list[str]] = []
        asks: list[list[str]] = []
        for is_bid, price, qty in zip(
            depth.is_bid[a:b].tolist(), depth.price[a:b].tolist(), depth.qty[a:b].tolist(),
            strict=True,
        ):  # fmt: skip
            if price > 0:  # 0: the marker row of an event without levels
                (bids if is_bid else asks).append([self._price % price, self._qty % qty])
        time = int(depth.time[a])
        event: dict[str, Any] = {"e": "depthUpdate", "E": time}
        if self.stream.futures:
            event.update(T=time, s=self.stream.symbol, U=int(depth.first_id[a]),
                         u=int(depth.final_id[a]), pu=int(depth.prev_final_id[a]))  # fmt: skip
        else:
            event.update(s=self.stream.symbol, U=int(depth.first_id[a]), u=int(depth.final_id[a]))
        event.update(b=bids, a=asks)
        return event


class TickMarks:
    """``@markPrice[@1s]`` of a USD-M perpetual replayed by ticks (module docstring)."""

    def __init__(
        self, stream: MarketStream, data: TickData, funding: FundingSchedule, tick: Decimal
    ) -> None:
        self.stream = stream
        self._data = data
        self._funding = funding
        self._tick = tick
        self._every = _SECOND if stream.name.endswith("@1s") else 3 * _SECOND

    def render(self, start_ms: int, end_ms: int) -> Events:
        data = self._data
        first = (start_ms // self._every + 1) * self._every
        times = np.arange(first, end_ms + 1, self._every, dtype=np.int64)
        marked = np.searchsorted(data.mark_time, times, side="right") - 1
        fresh = marked >= 0
        fresh[fresh] = times[fresh] - data.mark_time[marked[fresh]] <= MARK_STALE_MS
        traded = np.searchsorted(data.trades.time, times, side="right") - 1
        keys: list[int] = []
        payloads: list[bytes] = []
        for time, m, is_fresh, t in zip(
            times.tolist(), marked.tolist(), fresh.tolist(), traded.tolist(), strict=True
        ):
            if is_fresh:
                price = to_decimal(data.mark[m])
            elif t >= 0:
                price = snap_to_step(to_decimal(data.trades.price[t]), self._tick, Rounding.NEAREST)
            else:
                continue  # no trade yet: no mark
            keys.append(2 * time + 1)
            payloads.append(mark_event(self.stream.symbol, time, price, self._funding).encode())
        return keys, payloads
