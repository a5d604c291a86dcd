"""Which resting exit orders the runner asks the venue about on a bar (trader/exits.py): only
what the bar could have filled, every order on the first bar, after skipped bars and every
``full_refresh_every`` bars; the rows are read once per bar (their marks) and an order in full
only when its mark moved -- so a fill written by someone else (the user data stream) is seen
on the next bar without a venue query. The ports are in-memory stand-ins that record their
calls; the whole path with the sim is tests/trader/test_exits_replay.py (same orders and
trades with this policy as without it: docs/execution.md)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from ai_engine.domain import from_epoch_ms, to_epoch_ms
from ai_engine.domain.instrument_examples import binance_spot_btcusdt
from ai_engine.execution.exits import Distance, ExitManager, ExitPlan
from ai_engine.trader.exits import ExitDesk, ExitRunner, ExitWiring, MemoryExitStore, RowMark
from ai_engine.trader.holdings import FillView, OrderFills
from ai_engine.trader.intents import Intent

D = Decimal
SPOT = binance_spot_btcusdt()
T0 = from_epoch_ms(1_679_616_000_000)  # 2023-03-24 00:00 UTC
PLAN = ExitPlan(stop=Distance.percent("0.01"), flash_crash=None)  # stop at 49500 for 50000


class Rows:
    """The orders' rows and the venue, as the runner's ports see them."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, tuple[FillView, ...]]] = {}
        self.refreshed: list[str] = []
        self.full_reads: list[str] = []
        self.peeks = 0
        self.booked: list[tuple[OrderFills, bool]] = []

    async def send(self, intent: Intent) -> tuple[str, OrderFills]:
        self.rows[intent.client_order_id] = ("accepted", ())
        return self.read(intent.client_order_id, intent.reason)

    def read(self, client_id: str, reason: str) -> tuple[str, OrderFills]:
        self.full_reads.append(client_id)
        status, fills = self.rows[client_id]
        return status, OrderFills(client_id, "sell", reason, fills)

    def peek(self, client_ids: Any) -> dict[str, RowMark]:
        self.peeks += 1
        return {
            cid: (status, sum((f.qty for f in fills), D(0)), len(fills))
            for cid, (status, fills) in self.rows.items()
            if cid in client_ids
        }

    async def refresh(self, client_id: str) -> None:
        self.refreshed.append(client_id)

    async def cancel(self, client_id: str) -> dict[str, Any]:
        self.rows[client_id] = ("canceled", self.rows[client_id][1])
        return {}

    async def book(self, fills: OrderFills, closes: bool) -> None:
        self.booked.append((fills, closes))


async def test_only_a_bar_that_reaches_the_stop_queries_it_and_a_fill_written_elsewhere_is_seen(
) -> None:  # fmt: skip
    rows = Rows()
    wiring = ExitWiring(plan=PLAN, cancel=rows.cancel, refresh=rows.refresh,
                        store=MemoryExitStore(), full_refresh_every=10, peek=rows.peek)  # fmt: skip
    desk = ExitDesk(bot_id="bot", run_id="run", fee_rate=D("0.001"), risk_profile="unrestricted",
                    starting_equity=D(10_000), quote_asset="USDT", send=rows.send,
                    read=rows.read, book=rows.book)  # fmt: skip
    runner = ExitRunner(wiring, ExitManager(PLAN, SPOT), key="bot", desk=desk)
    entry = FillView(D(50000), D("0.1"), D(5), "USDT", to_epoch_ms(T0))
    await runner.entry_filled(OrderFills("entry", "buy", "signal", (entry,)), quantity=D("0.1"),
                              anchor=T0, atr=None)  # fmt: skip
    assert runner.stop_price == D(49500)
    (stop,) = runner.resting

    async def bar(minute: int, low: str) -> tuple[int, int, int]:
        """One bar; (venue queries, full reads, mark reads) it made."""
        before = (len(rows.refreshed), len(rows.full_reads), rows.peeks)
        await runner.on_bar(ts=T0 + timedelta(minutes=minute), high=D(50100), low=D(low),
                            close=D(50000), atr=None, volume=D(1))  # fmt: skip
        after = (len(rows.refreshed), len(rows.full_reads), rows.peeks)
        return after[0] - before[0], after[1] - before[1], after[2] - before[2]

    assert await bar(1, "49900") == (1, 0, 1)  # the first bar: every order
    for minute in range(2, 11):  # above the stop: no query, one mark read, no full read
        assert await bar(minute, "49900") == (0, 0, 1), minute
    assert await bar(11, "49900") == (1, 0, 1)  # every 10 bars: every order
    assert await bar(12, "49500.01") == (1, 0, 1)  # within a tick of the stop
    assert await bar(13, "49400") == (1, 0, 1)  # through it (the venue says: still resting)
    assert await bar(13, "49400") == (0, 0, 1)  # the same bar again: nothing new traded
    assert await bar(16, "49900") == (1, 0, 1)  # bars skipped (a feed gap): every order
    assert rows.refreshed == [stop] * 5
    # The stop fills and someone else writes it (the user data stream): the next bar's mark
    # read sees it, reads it in full and books the close, without asking the venue.
    fill = FillView(D(49500), D("0.1"), D("4.95"), "USDT", to_epoch_ms(T0) + 16 * 60_000)
    rows.rows[stop] = ("filled", (fill,))
    assert await bar(17, "49900") == (0, 1, 2)  # (the second mark read: the full read's own)
    assert not runner.is_open
    assert [(f.client_order_id, f.reason, closes) for f, closes in rows.booked] == [
        (stop, "stop_loss", True)
    ]
