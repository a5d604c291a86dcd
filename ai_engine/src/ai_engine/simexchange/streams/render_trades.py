"""``<symbol>@trade`` and ``<symbol>@aggTrade`` events: one synthetic trade per replayed bar.

The replay has 1m bars, not the tape, so each bar that had trades yields ONE event at its
close: price = the bar's close, quantity = the bar's whole volume, time = the bar's last
millisecond, buyer-is-maker = takers sold more than they bought in that bar. Ids are
consistent with the klines' ``f``/``L``: a trade event carries the bar's last trade id; an
aggregate trade covers the bar's trade ids ``f``..``l`` and is numbered by the bar's minute.
A bar without trades sends nothing (one with volume but a trade count of 0 counts as one
trade: ``replay_bars.trade_counts``). USD-M's shapes have no ``M`` (``@trade`` adds ``X``).
Symbols replayed tick by tick send their stored trades instead (``render_ticks``).
"""

from __future__ import annotations

from ai_engine.simexchange.market import BAR_MS, ReplayMarket
from ai_engine.simexchange.streams.names import Kind, MarketStream
from ai_engine.simexchange.streams.render_ticks import trade_template
from ai_engine.simexchange.streams.replay_bars import NO_EVENTS, BarWindow, Events, TradeIds


class Trades:
    def __init__(self, stream: MarketStream, market: ReplayMarket) -> None:
        self.stream = stream
        self._market = market
        self._aggregate = stream.kind is Kind.AGG_TRADE
        self._template = trade_template(stream)  # USD-M's shapes have no "M"
        self._ids = TradeIds()

    def render(self, start_ms: int, end_ms: int) -> Events:
        window = BarWindow.closed_between(self._market, self.stream.symbol, start_ms, end_ms)
        if not len(window):
            return NO_EVENTS
        bars = window.bars
        first, last = self._ids.ranges(window)
        keys: list[int] = []
        payloads: list[bytes] = []
        for t, price, qty, bought, f, lt in zip(
            bars.open_time.tolist(), bars.close.tolist(), bars.volume.tolist(),
            bars.taker_buy_volume.tolist(), first, last, strict=True,
        ):  # fmt: skip
            if lt < 0:
                continue
            closed = t + BAR_MS
            maker = "true" if bought < qty / 2 else "false"  # takers mostly sold
            if self._aggregate:
                values: tuple[object, ...] = (closed, t // BAR_MS, price, qty, f, lt, closed - 1,
                                              maker)  # fmt: skip
            else:
                values = (closed, lt, price, qty, closed - 1, maker)
            keys.append(closed * 2)
            payloads.append((self._template % values).encode())
        return keys, payloads
