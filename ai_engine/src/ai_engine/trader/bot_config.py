"""A bot's config file (``bots/NAME.yaml``), parsed into one frozen ``BotConfig``.

Rules:

* Every error is a ``BotConfigError`` naming the file and the key (``bots/x.yaml: risk.profile:
  unknown risk profile 'x'; known: ...``); nothing half-parsed is ever returned.
* Unknown keys are refused (a typo must not silently switch a safeguard off).
* Everything checkable without a server is checked here: the strategy and its parameters, the
  risk profile with its overrides (``risk.profiles.with_overrides``), the interval, the market,
  leverage (USD-M only), sizing, the replay data and its bounds.
* Relative ``data.files`` are taken from the config file's folder; glob patterns are expanded.
* ``exits`` is kept as the mapping it is: the exit manager (``execution.exits``) owns its
  schema; ``risk`` overrides are re-validated by the risk package.

Shape (``bots/demo.yaml`` is an example)::

    id: demo-ema                 # [a-z0-9_-], at most 24 characters (client ids carry it)
    name: EMA cross on BTCUSDT   # optional, defaults to id
    venue: binance
    market: spot                 # spot | usdm
    symbols: [BTCUSDT]
    interval: 1m
    strategy: {name: ema_cross, params: {fast: 12, slow: 26}}
    risk: {profile: unrestricted, overrides: {}}
    sizing: {kind: all_equity}   # all_equity | fraction (+ fraction: 0.2)
    leverage: 1                  # usdm only
    exits: {}                    # the exit manager's config
    account: {cash: 10000, fee: 0.001}     # replay/paper sim account
    safety: {stale_after_intervals: 3, heartbeat_s: 5, dead_man_s: 60, flatten_on_stop: false}
    data: {files: [path, ...], start: 2023-03-20T00:00:00Z, end: ...}   # replay
    events: {book: true}         # publish the top 20 book levels with every bar
    sim: {book: {levels: 20, half_spread_bps: 0, level_spacing_bps: 1, depth_fraction: 1}}

``sim.book`` (replay only) shapes the sim exchange's synthetic book
(``matching.params.BookParams``: ``levels``, ``half_spread_bps``, ``level_spacing_bps``,
``depth_fraction``, ``min_half_spread_ticks``). Without it a replay uses the parity book (one
level at the bar's open, the backtest's "no slippage" fill); with it the fills follow that book
(the spread and the walk through the levels), so the replay's trades are no longer the
backtest's to the cent (docs/dashboard.md, "Order book").
"""

from __future__ import annotations

import glob
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from ai_engine.domain.errors import DomainValueError
from ai_engine.execution.exits import ExitConfigError, plan_from_mapping
from ai_engine.marketdata.intervals import interval_ms
from ai_engine.matching.params import BookParams
from ai_engine.risk import RiskLimits
from ai_engine.risk.profiles import load_profile, with_overrides
from ai_engine.strategies import StrategyParamError, UnknownStrategy, get

UNRESTRICTED = "unrestricted"  # no limit but the venue's: what a backtest does
MARKETS = ("spot", "usdm")
SIZINGS = ("all_equity", "fraction")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,23}$")
_SYMBOL = re.compile(r"^[A-Z0-9]{5,20}$")


class BotConfigError(ValueError):
    """A bot config that cannot be used; ``str()`` names the file and the key."""

    def __init__(self, source: str, key: str, message: str) -> None:
        self.source, self.key = source, key
        super().__init__(f"{source}: {key}: {message}" if key else f"{source}: {message}")


@dataclass(frozen=True, slots=True)
class DataSpec:
    files: tuple[Path, ...] = ()
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Safety:
    stale_after_intervals: int = 3  # no bar for this many intervals: halt (stale data)
    stale_after_s: float | None = None  # ... or for this many wall seconds (overrides it)
    heartbeat_s: float = 5.0  # status hash, heartbeat event, dead-man switch refresh
    dead_man_s: float = 60.0  # USD-M countdownCancelAll length (0: off)
    flatten_on_stop: bool = False  # a graceful stop closes positions too
    venue_error_burst: int | None = None  # None: the risk profile's breaker rule


@dataclass(frozen=True, slots=True)
class BotConfig:
    id: str
    name: str
    venue: str
    market: str
    symbols: tuple[str, ...]
    interval: str
    strategy: str
    params: Mapping[str, object]
    risk_profile: str
    risk_overrides: Mapping[str, object]
    limits: RiskLimits
    sizing: str = "all_equity"
    fraction: Decimal = Decimal(1)
    leverage: int | None = None
    exits: Mapping[str, Any] = field(default_factory=dict)
    cash: Decimal = Decimal(10_000)
    fee: Decimal = Decimal("0.001")
    safety: Safety = field(default_factory=Safety)
    data: DataSpec = field(default_factory=DataSpec)
    source: str = "<config>"
    book_events: bool = True  # a ``book`` event (top 20 levels) with every bar
    sim_book: BookParams | None = None  # replay: the sim's book (None: the parity book)

    @property
    def interval_ms(self) -> int:
        return interval_ms(self.interval)

    def as_record(self) -> dict[str, Any]:
        """The config as JSON for the ``bots`` row (no credentials: there are none in it)."""
        return {
            "id": self.id, "name": self.name, "venue": self.venue, "market": self.market,
            "symbols": list(self.symbols), "interval": self.interval,
            "strategy": {"name": self.strategy, "params": dict(self.params)},
            "risk": {"profile": self.risk_profile, "overrides": dict(self.risk_overrides)},
            "sizing": {"kind": self.sizing, "fraction": str(self.fraction)},
            "leverage": self.leverage, "exits": dict(self.exits),
            "account": {"cash": str(self.cash), "fee": str(self.fee)},
            "safety": {
                "stale_after_intervals": self.safety.stale_after_intervals,
                "stale_after_s": self.safety.stale_after_s,
                "heartbeat_s": self.safety.heartbeat_s, "dead_man_s": self.safety.dead_man_s,
                "flatten_on_stop": self.safety.flatten_on_stop,
                "venue_error_burst": self.safety.venue_error_burst,
            },
            "data": {
                "files": [str(f) for f in self.data.files],
                "start": self.data.start.isoformat() if self.data.start else None,
                "end": self.data.end.isoformat() if self.data.end else None,
            },
            "events": {"book": self.book_events},
            "sim": {"book": None if self.sim_book is None else _book_record(self.sim_book)},
            "source": self.source,
        }  # fmt: skip


_TOP = {
    "id", "name", "venue", "market", "symbols", "interval", "strategy", "risk", "sizing",
    "leverage", "exits", "account", "safety", "data", "events", "sim",
}  # fmt: skip


def load_bot_config(path: Path) -> BotConfig:
    """Read and check ``path`` (relative data paths are taken from the file's folder)."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BotConfigError(source, "", f"cannot read: {exc.strerror or exc}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BotConfigError(source, "", f"not valid YAML: {exc}") from None
    return parse_bot_config(document, source=source, base_dir=path.parent)


def parse_bot_config(document: Any, *, source: str, base_dir: Path | None = None) -> BotConfig:
    """``document`` (the parsed YAML) as a ``BotConfig``; see the module docstring."""
    p = _Parser(source)
    top = p.mapping(document, "")
    p.known(top, _TOP, "")
    bot_id = p.text(top, "id", required=True)
    if not _ID.match(bot_id):
        raise BotConfigError(source, "id", f"{bot_id!r}: use 1-24 of a-z 0-9 _ - (start alnum)")
    venue = p.text(top, "venue", default="binance")
    if venue != "binance":
        raise BotConfigError(source, "venue", f"only binance is supported, got {venue!r}")
    market = p.text(top, "market", default="spot")
    if market not in MARKETS:
        raise BotConfigError(source, "market", f"one of {', '.join(MARKETS)}, got {market!r}")
    symbols = _symbols(p, top)
    interval = p.text(top, "interval", default="1m")
    try:
        interval_ms(interval)
    except DomainValueError as exc:
        raise BotConfigError(source, "interval", str(exc)) from None
    strategy, params = _strategy(p, top)
    profile, overrides, limits = _risk(p, top)
    sizing, fraction = _sizing(p, top)
    leverage = _leverage(p, top, market)
    exits = p.mapping(top.get("exits", {}), "exits")
    cash, fee = _account(p, top)
    try:  # checked now (the exit manager's plan), built when the trader starts
        if exits:
            plan_from_mapping(exits, maker_fee_rate=fee, taker_fee_rate=fee,
                              reduce_only_venue=market == "usdm")  # fmt: skip
    except ExitConfigError as exc:
        key, _, message = str(exc).partition(": ")
        raise BotConfigError(source, key, message) from None
    safety = _safety(p, top)
    data = _data(p, top, base_dir)
    events = p.mapping(top.get("events", {}), "events")
    p.known(events, {"book"}, "events")
    book = events.get("book", True)
    if not isinstance(book, bool):
        raise p.fail("events.book", f"expected true or false, got {book!r}")
    return BotConfig(
        id=bot_id, name=p.text(top, "name", default=bot_id), venue=venue, market=market,
        symbols=symbols, interval=interval, strategy=strategy, params=params,
        risk_profile=profile, risk_overrides=overrides, limits=limits, sizing=sizing,
        fraction=fraction, leverage=leverage, exits=dict(exits), cash=cash, fee=fee,
        safety=safety, data=data, source=source, book_events=book, sim_book=_sim_book(p, top),
    )  # fmt: skip


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> BotConfigError:
        return BotConfigError(self.source, key, message)

    def mapping(self, value: Any, key: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise self.fail(key, f"expected a mapping of names, got {type(value).__name__}")
        return value

    def known(self, value: Mapping[str, Any], allowed: set[str], where: str) -> None:
        unknown = sorted(set(value) - allowed)
        if unknown:
            prefix = f"{where}." if where else ""
            raise self.fail(
                prefix + unknown[0], f"unknown key; known: {', '.join(sorted(allowed))}"
            )

    def text(
        self, value: Mapping[str, Any], key: str, *, default: str = "", required: bool = False,
        where: str = "",
    ) -> str:  # fmt: skip
        name = f"{where}.{key}" if where else key
        if key not in value or value[key] is None:
            if required:
                raise self.fail(name, "required")
            return default
        found = value[key]
        if not isinstance(found, str) or not found.strip():
            raise self.fail(name, f"expected a non-empty string, got {found!r}")
        return found.strip()

    def decimal(self, value: Any, key: str, *, low: Decimal, high: Decimal | None) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.fail(key, f"expected a number, got {value!r}")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.fail(key, f"expected a number, got {value!r}") from None
        if not number.is_finite() or number < low or (high is not None and number > high):
            upper = f" and {high}" if high is not None else ""
            raise self.fail(key, f"must be between {low}{upper}, got {value!r}")
        return number

    def integer(self, value: Any, key: str, *, low: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.fail(key, f"expected a whole number >= {low}, got {value!r}")
        return value

    def time(self, value: Any, key: str) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
        elif isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise self.fail(key, f"expected an ISO-8601 time, got {value!r}") from None
        else:
            raise self.fail(key, f"expected an ISO-8601 time, got {value!r}")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


def _symbols(p: _Parser, top: Mapping[str, Any]) -> tuple[str, ...]:
    raw = top.get("symbols")
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise p.fail("symbols", "required: a list of one or more symbols (e.g. [BTCUSDT])")
    out: list[str] = []
    for i, symbol in enumerate(raw):
        if not isinstance(symbol, str) or not _SYMBOL.match(symbol):
            raise p.fail(f"symbols[{i}]", f"expected an upper-case symbol, got {symbol!r}")
        if symbol in out:
            raise p.fail(f"symbols[{i}]", f"{symbol} is listed twice")
        out.append(symbol)
    return tuple(out)


def _strategy(p: _Parser, top: Mapping[str, Any]) -> tuple[str, dict[str, object]]:
    raw = top.get("strategy")
    if isinstance(raw, str):
        raw = {"name": raw}
    section = p.mapping(raw, "strategy")
    p.known(section, {"name", "params"}, "strategy")
    name = p.text(section, "name", required=True, where="strategy")
    params = dict(p.mapping(section.get("params", {}), "strategy.params"))
    try:
        strategy = get(name)
    except UnknownStrategy as exc:
        raise p.fail("strategy.name", str(exc)) from None
    account = top.get("account")
    fee = account.get("fee", "0.001") if isinstance(account, dict) else "0.001"
    if "fee_rate" not in params and "fee_rate" in {s.name for s in strategy.param_specs()}:
        params["fee_rate"] = float(str(fee))  # as the backtest does: its fee gate
    try:
        strategy.params(params)
    except StrategyParamError as exc:
        raise p.fail("strategy.params", str(exc)) from None
    return name, params


def _risk(p: _Parser, top: Mapping[str, Any]) -> tuple[str, dict[str, object], RiskLimits]:
    section = p.mapping(top.get("risk", {}), "risk")
    p.known(section, {"profile", "overrides"}, "risk")
    profile = p.text(section, "profile", default=UNRESTRICTED, where="risk")
    overrides = dict(p.mapping(section.get("overrides", {}), "risk.overrides"))
    try:
        base = (
            RiskLimits(name=UNRESTRICTED, require_stop=False)
            if profile == UNRESTRICTED
            else load_profile(profile)
        )
    except DomainValueError as exc:
        raise p.fail("risk.profile", str(exc)) from None
    try:
        limits = with_overrides(base, overrides) if overrides else base
    except DomainValueError as exc:
        raise p.fail("risk.overrides", str(exc)) from None
    return profile, overrides, limits


def _sizing(p: _Parser, top: Mapping[str, Any]) -> tuple[str, Decimal]:
    section = p.mapping(top.get("sizing", {}), "sizing")
    p.known(section, {"kind", "fraction"}, "sizing")
    kind = p.text(section, "kind", default="all_equity", where="sizing")
    if kind not in SIZINGS:
        raise p.fail("sizing.kind", f"one of {', '.join(SIZINGS)}, got {kind!r}")
    if kind == "all_equity":
        if "fraction" in section:
            raise p.fail("sizing.fraction", "only with kind: fraction")
        return kind, Decimal(1)
    if "fraction" not in section:
        raise p.fail("sizing.fraction", "required with kind: fraction")
    fraction = p.decimal(section["fraction"], "sizing.fraction", low=Decimal(0), high=Decimal(1))
    if fraction == 0:
        raise p.fail("sizing.fraction", "must be above 0")
    return kind, fraction


def _leverage(p: _Parser, top: Mapping[str, Any], market: str) -> int | None:
    if top.get("leverage") is None:
        return None
    if market != "usdm":
        raise p.fail("leverage", "only a usdm bot has leverage")
    value = p.integer(top["leverage"], "leverage", low=1)
    if value > 125:
        raise p.fail("leverage", f"Binance allows at most 125, got {value}")
    return value


_BOOK_DECIMALS = ("half_spread_bps", "level_spacing_bps", "depth_fraction")
_BOOK_INTEGERS = ("levels", "min_half_spread_ticks")


def _sim_book(p: _Parser, top: Mapping[str, Any]) -> BookParams | None:
    """``sim.book``: the replay sim's book shape (module docstring), or None."""
    sim = p.mapping(top.get("sim", {}), "sim")
    p.known(sim, {"book"}, "sim")
    if sim.get("book") is None:
        return None
    section = p.mapping(sim["book"], "sim.book")
    p.known(section, {*_BOOK_DECIMALS, *_BOOK_INTEGERS}, "sim.book")
    values: dict[str, Any] = {}
    for name in _BOOK_DECIMALS:
        if name in section:
            values[name] = p.decimal(
                section[name], f"sim.book.{name}", low=Decimal(0), high=Decimal(10_000)
            )
    for name in _BOOK_INTEGERS:
        if name in section:
            values[name] = p.integer(section[name], f"sim.book.{name}", low=0)
    try:
        return BookParams(**values)
    except DomainValueError as exc:
        raise p.fail("sim.book", str(exc)) from None


def _book_record(book: BookParams) -> dict[str, Any]:
    return {name: str(getattr(book, name)) for name in _BOOK_DECIMALS} | {
        name: getattr(book, name) for name in _BOOK_INTEGERS
    }


def _account(p: _Parser, top: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    section = p.mapping(top.get("account", {}), "account")
    p.known(section, {"cash", "fee"}, "account")
    cash = p.decimal(section.get("cash", 10_000), "account.cash", low=Decimal(0), high=None)
    fee = p.decimal(section.get("fee", "0.001"), "account.fee", low=Decimal(0), high=Decimal("0.1"))
    if cash == 0:
        raise p.fail("account.cash", "must be above 0")
    return cash, fee


def _safety(p: _Parser, top: Mapping[str, Any]) -> Safety:
    section = p.mapping(top.get("safety", {}), "safety")
    names = {"stale_after_intervals", "stale_after_s", "heartbeat_s", "dead_man_s",
             "flatten_on_stop", "venue_error_burst"}  # fmt: skip
    p.known(section, names, "safety")
    default = Safety()
    flatten = section.get("flatten_on_stop", default.flatten_on_stop)
    if not isinstance(flatten, bool):
        raise p.fail("safety.flatten_on_stop", f"expected true or false, got {flatten!r}")
    burst = section.get("venue_error_burst")
    heartbeat = p.decimal(
        section.get("heartbeat_s", default.heartbeat_s), "safety.heartbeat_s",
        low=Decimal("0.05"), high=Decimal(300),
    )  # fmt: skip
    dead_man = p.decimal(
        section.get("dead_man_s", default.dead_man_s), "safety.dead_man_s",
        low=Decimal(0), high=Decimal(3600),
    )  # fmt: skip
    if 0 < dead_man <= heartbeat:
        raise p.fail("safety.dead_man_s", "must be longer than heartbeat_s (or 0: off)")
    return Safety(
        stale_after_intervals=p.integer(
            section.get("stale_after_intervals", default.stale_after_intervals),
            "safety.stale_after_intervals", low=1,
        ),
        stale_after_s=(
            None if section.get("stale_after_s") is None
            else float(p.decimal(section["stale_after_s"], "safety.stale_after_s",
                                 low=Decimal("0.01"), high=None))
        ),
        heartbeat_s=float(heartbeat),
        dead_man_s=float(dead_man),
        flatten_on_stop=flatten,
        venue_error_burst=(
            None if burst is None else p.integer(burst, "safety.venue_error_burst", low=1)
        ),
    )  # fmt: skip


def _data(p: _Parser, top: Mapping[str, Any], base_dir: Path | None) -> DataSpec:
    section = p.mapping(top.get("data", {}), "data")
    p.known(section, {"files", "start", "end"}, "data")
    raw = section.get("files", [])
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise p.fail("data.files", f"expected a list of paths, got {type(raw).__name__}")
    files: list[Path] = []
    for i, item in enumerate(raw):
        if not isinstance(item, str) or not item:
            raise p.fail(f"data.files[{i}]", f"expected a path, got {item!r}")
        path = Path(item).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if any(c in item for c in "*?["):
            matched = sorted(Path(m) for m in glob.glob(str(path)))
            if not matched:
                raise p.fail(f"data.files[{i}]", f"{item!r} matches no file")
            files.extend(matched)
        else:
            files.append(path)
    start, end = p.time(section.get("start"), "data.start"), p.time(section.get("end"), "data.end")
    if start is not None and end is not None and end <= start:
        raise p.fail("data.end", f"{end.isoformat()} is not after data.start {start.isoformat()}")
    return DataSpec(tuple(files), start, end)
