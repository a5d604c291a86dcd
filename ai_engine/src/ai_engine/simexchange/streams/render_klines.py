"""``<symbol>@kline_<interval>`` events from replayed 1m bars (spot and USD-M), and USD-M's
``<pair>_perpetual@continuousKline_<interval>`` (the same kline, headed ``continuous_kline``
with ``ps`` and ``ct`` instead of ``s``).

We replay closed 1m bars, so each 1m kline is sent once, final (``x: true``), when it closes.
A longer interval gets an update of its open kline (``x: false``, the 1m bars so far
aggregated) at every 1m close inside it and the final one (``x: true``) with its last minute.
If the data has a gap at the end of a kline, the final event goes out when the next bar
closes (never earlier: that would tell the future).

The 1m path is the hot one (hundreds of thousands of events per second at "max" speed): one
``%`` template per bar over plain Python lists, no per-event dicts and no json.dumps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ai_engine.marketdata import Bars
from ai_engine.marketdata.intervals import bucket_starts, interval_ms
from ai_engine.simexchange.market import BAR_MS, ReplayMarket
from ai_engine.simexchange.streams.names import Kind, MarketStream
from ai_engine.simexchange.streams.replay_bars import (
    NO_EVENTS,
    BarWindow,
    Events,
    TradeIds,
    bar_key,
)

# Every template has the same slots in the same order: the head names the stream's symbol.
_HEAD = '{"e":"kline","E":%d,"s":"SYMBOL","k":{"t":%d,"T":%d,"s":"SYMBOL",'
_CONTINUOUS_HEAD = (
    '{"e":"continuous_kline","E":%d,"ps":"SYMBOL","ct":"PERPETUAL","k":{"t":%d,"T":%d,'
)
_BODY = (
    '"i":"INTERVAL","f":%d,"L":%d,"o":"%.8f","c":"%.8f","h":"%.8f","l":"%.8f","v":"%.8f",'
    '"n":%d,"x":%s,"q":"%.8f","V":"%.8f","Q":"%.8f","B":"0"}}'
)
# The 1m hot path prints most decimals as two integers: "%d.%08d" is twice as fast as "%.8f".
_FAST_1M_BODY = (
    '"i":"1m","f":%d,"L":%d,"o":"%d.%08d","c":"%d.%08d","h":"%d.%08d","l":"%d.%08d",'
    '"v":"%d.%08d","n":%d,"x":true,"q":"%.8f","V":"%d.%08d","Q":"%.8f","B":"0"}}'
)
# Below this, x * 1e8 of a value with at most 8 decimals (what Binance publishes) rounds to
# the integer "%.8f" prints: the product stays under 2**50, so the float's own error
# (<= 2**-53 relative, under 0.125) plus the product's rounding (< 0.07) stay far from 0.5.
_FIXED8_BELOW = 1e7


def template(symbol: str, interval: str, *, continuous: bool = False) -> str:
    """``<symbol>@kline_<interval>``, or ``<pair>_perpetual@continuousKline_<interval>``."""
    head = _CONTINUOUS_HEAD if continuous else _HEAD
    return (head + _BODY).replace("SYMBOL", symbol).replace("INTERVAL", interval)


def fixed8(column: npt.NDArray[np.float64]) -> tuple[list[int], list[int]] | None:
    """(whole, hundred-millionths) of each value, for "%d.%08d"; None if a value is out of
    the range where that equals "%.8f" (negative, or too large)."""
    if len(column) and not (column.min() >= 0 and column.max() < _FIXED8_BELOW):
        return None
    whole, fraction = np.divmod(np.rint(column * 1e8).astype(np.int64), 100_000_000)
    return whole.tolist(), fraction.tolist()


class Klines:
    def __init__(self, stream: MarketStream, market: ReplayMarket) -> None:
        self.stream = stream
        self._market = market
        continuous = stream.kind is Kind.CONTINUOUS_KLINE
        self._template = template(stream.symbol, stream.interval, continuous=continuous)
        self._fast = ((_CONTINUOUS_HEAD if continuous else _HEAD) + _FAST_1M_BODY).replace(
            "SYMBOL", stream.symbol
        )
        self._ids = TradeIds()
        self._step = interval_ms(stream.interval)
        self._open: _Bucket | None = None  # the longer kline in progress

    def render(self, start_ms: int, end_ms: int) -> Events:
        window = BarWindow.closed_between(self._market, self.stream.symbol, start_ms, end_ms)
        if not len(window):
            return NO_EVENTS
        if self._step == BAR_MS:
            return self._one_minute(window)
        return self._longer(window)

    def _one_minute(self, window: BarWindow) -> Events:
        bars = window.bars
        first, last = self._ids.ranges(window)
        closes = (bars.open_time + BAR_MS).tolist()
        keys = [close * 2 for close in closes]
        columns = (bars.open, bars.close, bars.high, bars.low, bars.volume, bars.taker_buy_volume)
        split = [fixed8(column) for column in columns]
        if any(parts is None for parts in split):  # a value "%d.%08d" would not print right
            return keys, self._one_minute_floats(window, closes, first, last)
        (ow, of), (cw, cf), (hw, hf), (lw, lf), (vw, vf), (bw, bf) = split  # type: ignore[misc]
        fill = self._fast
        return keys, [
            (fill % row).encode()
            for row in zip(
                closes, bars.open_time.tolist(), (bars.open_time + BAR_MS - 1).tolist(),
                first, last, ow, of, cw, cf, hw, hf, lw, lf, vw, vf, bars.trades.tolist(),
                bars.quote_volume.tolist(), bw, bf, bars.taker_buy_quote_volume.tolist(),
                strict=True,
            )
        ]  # fmt: skip

    def _one_minute_floats(
        self, window: BarWindow, closes: list[int], first: list[int], last: list[int]
    ) -> list[bytes]:
        bars = window.bars
        fill = self._template
        return [
            (fill % (closed, closed - BAR_MS, closed - 1, f, lt, o, c, h, low, v, n, "true",
                     q, bv, bq)).encode()
            for closed, f, lt, o, c, h, low, v, n, q, bv, bq in zip(
                closes, first, last, bars.open.tolist(), bars.close.tolist(),
                bars.high.tolist(), bars.low.tolist(), bars.volume.tolist(),
                bars.trades.tolist(), bars.quote_volume.tolist(),
                bars.taker_buy_volume.tolist(), bars.taker_buy_quote_volume.tolist(),
                strict=True,
            )
        ]  # fmt: skip

    def _longer(self, window: BarWindow) -> Events:
        bars = window.bars
        first, last = self._ids.ranges(window)
        buckets = bucket_starts(bars.open_time, self.stream.interval).tolist()
        if self._open is None:
            self._open = self._history(window, buckets[0])
        keys: list[int] = []
        payloads: list[bytes] = []
        for i, (t, bucket) in enumerate(zip(bars.open_time.tolist(), buckets, strict=True)):
            closed = t + BAR_MS
            state = self._open
            if state is not None and state.open_ms != bucket:
                if not state.final:  # a gap hid its last minute: close it now, not earlier
                    keys.append(bar_key(closed))
                    payloads.append(self._event(state, closed, final=True))
                state = None
            if state is None:
                state = _Bucket(bucket, float(bars.open[i]), float(bars.high[i]),
                                float(bars.low[i]))  # fmt: skip
            state.add(bars, i, first[i], last[i])
            state.final = closed == bucket + self._step
            self._open = state
            keys.append(bar_key(closed))
            payloads.append(self._event(state, closed, final=state.final))
        return keys, payloads

    def _history(self, window: BarWindow, bucket: int) -> _Bucket | None:
        """The part of the kline in progress that closed before this stream started."""
        history = window.history
        start = int(bucket_starts(history.open_time[: window.first], self.stream.interval)
                    .searchsorted(bucket))  # fmt: skip
        if start >= window.first:
            return None
        earlier = BarWindow(history, start, window.first)
        first, last = TradeIds().ranges(earlier)
        bars = earlier.bars
        state = _Bucket(bucket, float(bars.open[0]), float(bars.high[0]), float(bars.low[0]))
        for i in range(len(bars)):
            state.add(bars, i, first[i], last[i])
        return state

    def _event(self, s: _Bucket, event_ms: int, *, final: bool) -> bytes:
        return (self._template % (
            event_ms, s.open_ms, s.open_ms + self._step - 1, s.first_id, s.last_id, s.open,
            s.close, s.high, s.low, s.volume, s.trades, "true" if final else "false",
            s.quote, s.buy_volume, s.buy_quote,
        )).encode()  # fmt: skip


@dataclass(slots=True)
class _Bucket:
    open_ms: int
    open: float
    high: float
    low: float
    close: float = 0.0
    volume: float = 0.0
    quote: float = 0.0
    buy_volume: float = 0.0
    buy_quote: float = 0.0
    trades: int = 0
    first_id: int = -1
    last_id: int = -1
    final: bool = False

    def add(self, bars: Bars, i: int, first_id: int, last_id: int) -> None:
        self.high = max(self.high, float(bars.high[i]))
        self.low = min(self.low, float(bars.low[i]))
        self.close = float(bars.close[i])
        self.volume += float(bars.volume[i])
        self.quote += float(bars.quote_volume[i])
        self.buy_volume += float(bars.taker_buy_volume[i])
        self.buy_quote += float(bars.taker_buy_quote_volume[i])
        self.trades += int(bars.trades[i])
        if first_id >= 0:
            self.first_id = first_id if self.first_id < 0 else self.first_id
            self.last_id = last_id
