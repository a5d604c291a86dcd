"""`tradingbot drift --run ID [--json OUT]`: a stored replay against its backtest.

Reads the run from PostgreSQL (the configured database, or `tradingbot services up`'s): its
orders and fills (``trader.drift.trades_of_run``) and the configuration the replay recorded
(``trader.drift.run_config``: strategy, parameters, data files, cash, fee, a bot's exits);
runs the backtest of that configuration with latency zero (a bot's exits mapped to the
backtest's, on the instrument's tick: ``drift.backtest_config``); prints every difference
with its cause (missing trade, extra trade, timing, exit reason, side, price, fee, quantity;
``trader/drift.py``) and a note for each exit rule the backtest models differently.

Exit codes: 0 identical, 1 differences (listed), 2 a run that cannot be compared (unknown run
id, its data files gone, no database) -- named.
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from ai_engine.cli.context import settings_of


def drift(
    ctx: typer.Context,
    run_id: str = typer.Option(..., "--run", help="The run id `tradingbot run` printed."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the report as JSON here."),
) -> None:
    """Compare a replay run with the backtest of the same configuration, trade by trade."""
    from sqlalchemy.orm import Session

    from ai_engine.backtest.service import BacktestRequest, RequestError, run_backtest
    from ai_engine.infra.local_services import resolve_database_url
    from ai_engine.marketdata.intervals import interval_ms
    from ai_engine.store import db as store_db
    from ai_engine.trader.drift import (
        backtest_config,
        compare,
        quiet_bars,
        refused_entries,
        run_config,
        run_tick,
        trades_of_run,
    )

    def refuse(message: str) -> typer.Exit:
        typer.echo(f"error: {message}", err=True)
        return typer.Exit(2)

    url = resolve_database_url(settings_of(ctx))
    if url is None:
        raise refuse("no database: set TRADINGBOT_DATABASE_URL or run `tradingbot services up`")
    engine = store_db.make_engine(url)
    try:
        with Session(engine) as session:
            config = run_config(session, run_id)
            replay = trades_of_run(session, run_id) if config is not None else []
            tick = run_tick(session, run_id)
            refused = refused_entries(session, run_id)  # entries the venue refused
    finally:
        engine.dispose()
    if config is None:
        raise refuse(f"run {run_id!r}: no replay recorded under that id")
    data = tuple(Path(p) for p in config.get("data", []))
    missing = [str(p) for p in data if not p.exists()]
    if missing:
        raise refuse(f"run {run_id}: its data files are gone: {', '.join(missing)}")
    setup, notes = backtest_config(config, tick)  # exits on: the bot's, mapped (and noted)
    request = BacktestRequest(
        strategy=str(config["strategy"]),
        params=dict(config.get("params") or {}),
        data=data,
        start=_time(config.get("start")),
        end=_time(config.get("end")),
        cash=float(config.get("cash", 10_000)),
        fee_maker=float(config.get("fee", 0.001)),
        fee_taker=float(config.get("fee", 0.001)),
        config=setup,
    )
    try:
        with tempfile.TemporaryDirectory(prefix="tradingbot-drift-") as tmp:
            backtest = run_backtest(request, data_dir=Path(tmp))
    except RequestError as exc:
        raise refuse(f"run {run_id}: its backtest cannot run: {exc}") from exc
    theirs: list[dict[str, Any]] = backtest.document["trades"]
    interval = config.get("interval")
    report = compare(
        replay, theirs, run_id, interval_ms=interval_ms(str(interval)) if interval else 0,
        quiet=quiet_bars(data),  # bars that traded nothing: an exit there is "no liquidity"
        refused=refused,
    )  # fmt: skip
    typer.echo(report.describe())
    for note in notes:  # exits the backtest models differently (trader/drift_exits.py)
        typer.echo(f"  note: {note}")
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(report.to_json(), indent=2, default=str) + "\n")
        typer.echo(f"wrote {json_out}")
    raise typer.Exit(0 if report.identical else 1)


def _time(raw: object) -> datetime | None:
    return datetime.fromisoformat(str(raw)) if raw else None
