"""``sim.book`` in a bot config: the replay sim's synthetic book (what the dashboard's order book
shows) and its effect on the fills.

Real replays (PostgreSQL, Redis, Celery worker, sim exchange) of the same bot, each stopped at
its first entry: with the parity book (no ``sim``) the book event has one level a side at the
bar's price and the entry fills there (the backtest's fill); with a 20-level book it has 20
levels a side with a spread, and the entry pays the spread (docs/dashboard.md, "Order book").
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ai_engine.events import EngineEvent
from ai_engine.events.control import Command
from ai_engine.matching.params import BookParams
from ai_engine.trader.bot_config import BotConfigError, parse_bot_config

from .test_supervised_replay import END, Watcher, replay
from .test_supervised_replay import pytestmark as _marks

pytestmark = _marks
BOOK = {"levels": 20, "half_spread_bps": 0, "level_spacing_bps": 1, "depth_fraction": 1}


def config(bot_id: str, files: tuple[Path, ...], **extra: Any) -> Any:
    return parse_bot_config(
        {"id": bot_id, "symbols": ["BTCUSDT"], "strategy": {"name": "ema_cross"},
         "safety": {"heartbeat_s": 0.1, "flatten_on_stop": True},
         "data": {"files": [str(f) for f in files], "end": END.isoformat()}, **extra},
        source=f"{bot_id}.yaml",
    )  # fmt: skip


def first_entry(bot: Any, database_url: str, redis_url: str) -> tuple[EngineEvent, EngineEvent]:
    """(the first buy fill, the book event published just before it)."""

    def stop_at_entry(event: EngineEvent, w: Watcher) -> None:
        if event.type == "fill" and event.data["side"] == "buy" and not w.done.is_set():
            w.send(Command.STOP, "seen the entry")
            w.done.set()

    watcher = Watcher(redis_url, bot.id, stop_at_entry)
    replay(bot, database_url, redis_url, watcher)
    index = next(
        i for i, e in enumerate(watcher.events) if e.type == "fill" and e.data["side"] == "buy"
    )
    book = [e for e in watcher.events[:index] if e.type == "book"][-1]
    return watcher.events[index], book


def test_the_parity_book_by_default_and_a_deeper_one_from_the_config(
    btc_files: tuple[Path, ...], database_url: str, redis_url: str
) -> None:
    parity_fill, parity_book = first_entry(
        config("t-book-parity", btc_files[:1]), database_url, redis_url
    )
    deep_fill, deep_book = first_entry(
        config("t-book-deep", btc_files[:1], sim={"book": BOOK}), database_url, redis_url
    )
    assert (len(parity_book.data["bids"]), len(parity_book.data["asks"])) == (1, 1)
    assert (len(deep_book.data["bids"]), len(deep_book.data["asks"])) == (20, 20)
    best_bid, best_ask = (Decimal(str(deep_book.data[s][0][0])) for s in ("bids", "asks"))
    assert best_ask - best_bid == Decimal("0.02")  # one tick each side of the mid
    # The same entry bar (the strategy does not see the book); the deep book's fill pays at
    # least the half spread over the parity fill (which is the backtest's, at the open).
    assert deep_fill.ts == parity_fill.ts
    parity_price, deep_price = Decimal(parity_fill.data["price"]), Decimal(deep_fill.data["price"])
    assert deep_price >= parity_price + Decimal("0.01")


def test_sim_book_is_parsed_checked_and_recorded() -> None:
    bot = config("t-parse", (), sim={"book": {"levels": 5, "half_spread_bps": "0.5"}})
    assert bot.sim_book == BookParams(levels=5, half_spread_bps=Decimal("0.5"))
    assert bot.as_record()["sim"]["book"]["levels"] == 5
    assert config("t-none", ()).sim_book is None
    for sim, key, words in [
        ({"book": {"levels": 0}}, "sim.book", "levels must be 1..5000"),
        ({"book": {"depth": 1}}, "sim.book.depth", "unknown key"),
        ({"books": {}}, "sim.books", "unknown key"),
        ({"book": {"half_spread_bps": -1}}, "sim.book.half_spread_bps", "between"),
        ({"book": {"min_half_spread_ticks": 2}}, "sim.book", "0 or 1"),
    ]:
        with pytest.raises(BotConfigError) as caught:
            config("t-bad", (), sim=sim)
        assert caught.value.key == key
        assert words in str(caught.value)
