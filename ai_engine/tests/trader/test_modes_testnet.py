"""`tradingbot run --mode testnet|live`: a bot config against a venue speaking Binance's REST and
streams -- here the sim exchange as a separate server with a running clock (real BTCUSDT 1m from
sample_data), the endpoints overridden to point at it (``TRADINGBOT_BINANCE_BASE_URL``), the
keys from the environment as on the real testnet. Real PostgreSQL, Redis and Celery worker.

Proves: the bot warms up over REST, follows the venue's kline stream, places an order that fills
at the venue and is recorded (order, fills, decision) end to end; a ``stop`` ends the run, which
prints its run id; ``--mode live`` without ``--confirm-live`` or without keys is refused before
anything connects; no key ever appears in the output or the logs.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ai_engine.cli.main import app
from ai_engine.events import read_events
from ai_engine.events.control import Command, ControlCommand, send_command
from ai_engine.events.stream import last_id
from ai_engine.simexchange import ThreadedSimExchange
from ai_engine.store import db as store_db
from ai_engine.store.orders import Order

from .conftest import TESTNET_KEY as KEY  # the sim account's keys: never printed
from .conftest import TESTNET_SECRET as SECRET
from .conftest import pytestmark as _celery_marks

pytestmark = _celery_marks
runner = CliRunner()


def bot_file(tmp_path: Path, bot_id: str, exits: str = "") -> Path:
    path = tmp_path / f"{bot_id}.yaml"
    path.write_text(
        f"id: {bot_id}\nsymbols: [BTCUSDT]\ninterval: 1m\n"
        "strategy: {name: ema_cross, params: {fast: 2, slow: 3}}\n"
        "sizing: {kind: fraction, fraction: 0.5}\naccount: {cash: 2000, fee: 0.001}\n"
        "safety: {heartbeat_s: 0.2, flatten_on_stop: true}\n" + exits
    )
    return path


class StopAfterFill(threading.Thread):
    """Watches the bot's events; after its first fill (or ``limit_s``) sends ``stop``."""

    def __init__(self, redis_url: str, bot_id: str, limit_s: float = 120.0) -> None:
        super().__init__(daemon=True)
        self.redis, self.bot_id, self.limit_s = Redis.from_url(redis_url), bot_id, limit_s
        self.after = last_id(self.redis)
        self.kinds: list[str] = []
        self.stopped_after_fill = False

    def run(self) -> None:
        deadline = threading.Event()
        timer = threading.Timer(self.limit_s, deadline.set)
        timer.start()
        try:
            while not deadline.is_set():
                for entry_id, event in read_events(self.redis, self.after, block_ms=100):
                    self.after = entry_id
                    if event.bot_id == self.bot_id:
                        self.kinds.append(event.type)
                if "fill" in self.kinds:
                    self.stopped_after_fill = True
                    break
        finally:
            timer.cancel()
            stop = ControlCommand(Command.STOP, "test", "done", datetime.now(UTC))
            send_command(self.redis, self.bot_id, stop)
            self.redis.close()


@pytest.mark.parametrize("with_stop", [False, True], ids=["strategy-exits", "protective-stop"])
def test_a_bot_in_testnet_mode_places_fills_and_records_an_order_end_to_end(
    testnet_venue: ThreadedSimExchange, database_url: str, redis_url: str, tmp_path: Path,
    caplog: pytest.LogCaptureFixture, with_stop: bool,
) -> None:  # fmt: skip
    """With ``exits:`` the entry's protective stop goes to the venue too (as in replay)."""
    caplog.set_level(logging.DEBUG)
    exits = "exits: {stop: {percent: 0.05}}\n" if with_stop else ""
    env = {"TRADINGBOT_DATABASE_URL": database_url, "TRADINGBOT_REDIS_URL": redis_url,
           "TRADINGBOT_BINANCE_API_KEY": KEY, "TRADINGBOT_BINANCE_API_SECRET": SECRET,
           "TRADINGBOT_BINANCE_BASE_URL": testnet_venue.base_url}  # fmt: skip
    watcher = StopAfterFill(redis_url, "tn-bot")
    watcher.start()
    result = runner.invoke(
        app,
        ["run", "--config", str(bot_file(tmp_path, "tn-bot", exits)), "--mode", "testnet"],
        env=env,
    )
    watcher.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert watcher.stopped_after_fill, watcher.kinds
    lines = result.stdout.splitlines()
    assert lines[0].startswith("run ")
    assert lines[0].endswith("or Ctrl-C")
    run_id = lines[0].split()[1]
    assert f"run {run_id}" in lines
    assert "stopped by stop by test: done" in result.stdout
    counted = re.search(r"(\d[\d,]*) bars, (\d+) orders", lines[2])
    assert counted, lines
    bars = int(counted[1].replace(",", ""))
    assert bars > 180  # the warm-up over REST (3 hours before the venue's start), then live
    assert {"bar", "signal", "risk", "order", "fill"} <= set(watcher.kinds)

    engine = store_db.make_engine(database_url)
    try:
        with Session(engine) as session:
            orders = session.scalars(select(Order).where(Order.run_id == run_id)).all()
            assert orders
            filled = [o for o in orders if o.status == "filled"]
            assert filled, [(o.client_order_id, o.status) for o in orders]
            first = filled[0]
            assert first.bot_id == "tn-bot"
            assert first.fills
            assert sum(f.qty for f in first.fills) == first.quantity == first.filled_qty
            client_ids = {o.client_order_id for o in orders}
            stops = [o for o in orders if o.order_type == "stop_market"]
            if with_stop:  # placed on the entry's fill, cancelled by the flatten on stop
                assert stops, [(o.client_order_id, o.order_type) for o in orders]
                assert all(o.status in ("new", "canceled", "filled") for o in stops), [
                    (o.client_order_id, o.status) for o in stops
                ]
                assert all(o.side == "sell" and o.stop_price is not None for o in stops)
            else:
                assert not stops
    finally:
        engine.dispose()
    # The venue has exactly those orders, each once.
    log = httpx.get(f"{testnet_venue.base_url}/sim/fills").text.splitlines()
    at_venue = {line.split('"clientOrderId":"')[1].split('"')[0] for line in log}
    assert {o.client_order_id for o in filled} <= at_venue <= client_ids
    for secret in (KEY, SECRET):
        assert secret not in result.output
        assert secret not in caplog.text


@pytest.mark.parametrize(
    ("extra", "env", "message"),
    [
        ([], {"TRADINGBOT_BINANCE_API_KEY": KEY, "TRADINGBOT_BINANCE_API_SECRET": SECRET},
         "--confirm-live"),
        (["--confirm-live"], {"TRADINGBOT_BINANCE_API_KEY": "",
                              "TRADINGBOT_BINANCE_API_SECRET": ""}, "TRADINGBOT_BINANCE_API_KEY"),
        (["--confirm-live"], {"TRADINGBOT_BINANCE_API_KEY": KEY,
                              "TRADINGBOT_BINANCE_API_SECRET": ""},
         "TRADINGBOT_BINANCE_API_SECRET unset"),
    ],
)  # fmt: skip
def test_live_is_refused_before_anything_connects(
    testnet_venue: ThreadedSimExchange, tmp_path: Path, extra: list[str], env: dict[str, str],
    message: str,
) -> None:  # fmt: skip
    """The venue would answer (it is up, the override points at it): nothing may reach it."""
    before = httpx.get(f"{testnet_venue.base_url}/sim/streams").json()
    result = runner.invoke(
        app,
        ["run", "--config", str(bot_file(tmp_path, "live-bot")), "--mode", "live", *extra],
        env={**env, "TRADINGBOT_BINANCE_BASE_URL": testnet_venue.base_url,
             "TRADINGBOT_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none",
             "TRADINGBOT_REDIS_URL": "redis://127.0.0.1:9/0"},
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert KEY not in result.output
    assert SECRET not in result.output
    assert httpx.get(f"{testnet_venue.base_url}/sim/streams").json() == before
    assert httpx.get(f"{testnet_venue.base_url}/sim/fills").text == ""


def test_live_with_keys_and_confirmation_still_needs_a_bot_config(
    tmp_path: Path,
) -> None:
    """And a USD-M bot without the dead-man switch is refused, in paper too, before anything
    connects (USD-M runs: ``test_modes_usdm.py``, ``test_modes_paper_usdm.py``)."""
    keys = {"TRADINGBOT_BINANCE_API_KEY": KEY, "TRADINGBOT_BINANCE_API_SECRET": SECRET}
    no_config = runner.invoke(app, ["run", "--mode", "live", "--confirm-live"], env=keys)
    assert no_config.exit_code == 2
    assert "runs a bot config" in no_config.stderr
    usdm = tmp_path / "usdm.yaml"
    usdm.write_text("id: fut\nmarket: usdm\nsymbols: [BTCUSDT]\nstrategy: {name: ema_cross}\n"
                    "safety: {dead_man_s: 0}\n")  # fmt: skip
    refused = runner.invoke(app, ["run", "--config", str(usdm), "--mode", "paper"], env=keys)
    assert refused.exit_code == 2, refused.output
    assert "safety.dead_man_s: a USD-M bot in paper runs with" in refused.stderr
    for secret in (KEY, SECRET):
        assert secret not in no_config.output + refused.output


def test_the_live_safety_guard_is_checked_again_before_any_client_is_built() -> None:
    """``check_live`` behind ``check_mode``: mainnet needs ``confirm_live`` even if a caller
    skipped the CLI's checks; the testnet and paper's public data do not."""
    from pydantic import SecretStr

    from ai_engine.settings import Settings
    from ai_engine.trader.bot_config import parse_bot_config
    from ai_engine.trader.live import LiveRequest, check_live
    from ai_engine.venues.binance.endpoints import LiveTradingRefused

    bot = parse_bot_config(
        {"id": "g", "symbols": ["BTCUSDT"], "strategy": "ema_cross"}, source="g.yaml"
    )
    keys = Settings(
        binance_api_key=SecretStr(KEY), binance_api_secret=SecretStr(SECRET), binance_base_url=None
    )
    with pytest.raises(LiveTradingRefused, match="may trade real money") as refused:
        check_live(LiveRequest(bot=bot, mode="live"), keys)
    assert KEY not in str(refused.value)
    assert check_live(LiveRequest(bot=bot, mode="live", confirm_live=True), keys).name == "mainnet"
    assert check_live(LiveRequest(bot=bot, mode="testnet"), keys).name == "testnet"
    public = Settings(binance_base_url=None)
    assert check_live(LiveRequest(bot=bot, mode="paper"), public).name == "mainnet"


def test_an_unreachable_venue_exits_1_with_a_message_and_no_key(
    database_url: str, redis_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env = {"TRADINGBOT_DATABASE_URL": database_url, "TRADINGBOT_REDIS_URL": redis_url,
           "TRADINGBOT_BINANCE_API_KEY": KEY, "TRADINGBOT_BINANCE_API_SECRET": SECRET,
           "TRADINGBOT_BINANCE_BASE_URL": closed}  # fmt: skip
    result = runner.invoke(
        app, ["run", "--config", str(bot_file(tmp_path, "gone-bot")), "--mode", "testnet"], env=env
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ")
    for secret in (KEY, SECRET):
        assert secret not in result.output
        assert secret not in caplog.text
