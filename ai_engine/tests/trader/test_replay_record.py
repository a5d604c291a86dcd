"""A second supervised replay of the same bot starts a fresh record (``records.start_replay``).

The dashboard's account panel read ``/account`` (the bot's newest equity snapshot) and
``/trades`` while a bot replayed the same data a second time: the first run had got further in
the data, so its snapshots were newer than the run now playing, and its trades were listed as
the bot's. Two real replays of one bot (PostgreSQL, Redis, Celery worker, sim exchange): the
first to the end of 12 hours, the second stopped at its first entry. Everything the read side
shows must then be the second run's.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from ai_engine.events import EngineEvent
from ai_engine.events.control import Command
from ai_engine.store import db as store_db
from ai_engine.store import trading_queries as q

from .test_supervised_replay import Watcher, bot, replay
from .test_supervised_replay import pytestmark as _marks

pytestmark = _marks


def test_a_second_replay_of_a_bot_replaces_its_earlier_record(
    btc_files: tuple[Path, ...], database_url: str, redis_url: str
) -> None:
    config = bot("t-rerun", btc_files[:1])
    engine = store_db.make_engine(database_url)
    try:
        first = replay(config, database_url, redis_url, Watcher(redis_url, config.id, _quiet))
        assert first.trips, "the first run must trade for the test to mean anything"
        with Session(engine) as session:
            first_last_ts = q.latest_equity(session, bot_id=config.id)[0].ts

        def stop_at_entry(event: EngineEvent, w: Watcher) -> None:
            if event.type == "fill" and event.data["side"] == "buy" and not w.done.is_set():
                w.send(Command.STOP, "second run ends early")
                w.done.set()

        second = replay(
            config, database_url, redis_url, Watcher(redis_url, config.id, stop_at_entry)
        )
        assert second.document["bars"] < first.document["bars"]
        with Session(engine) as session:
            accounts = q.latest_equity(session, bot_id=config.id)
            curve = q.equity_curve(session, config.id)
            trades = q.trades(session, bot_id=config.id)
            positions = q.positions(session, bot_id=config.id)
            summary = q.pnl_summary(session, bot_id=config.id)
    finally:
        engine.dispose()
    # /account: the second run's last snapshot (after its flatten), not the first run's later one
    assert len(accounts) == 1
    assert accounts[0].ts < first_last_ts
    assert accounts[0].ts == curve[-1].ts
    assert accounts[0].cash == second.holdings.quote
    # /pnl's curve: the second run only
    assert len(curve) <= second.document["bars"]
    # /trades and /pnl: only the second run's round trips (its entry, flattened by the stop)
    assert first.run_id != second.run_id
    assert {t.run_id for t, _ in trades} == {second.run_id}
    assert len(trades) == len(second.trips) == summary.trades == 1
    assert positions == []  # flat after the stop; nothing left open from the first run


def _quiet(event: EngineEvent, watcher: Watcher) -> None:
    return None
