"""What the signal routes do: bars from the store -> a strategy's latest signal, cached.

* The bars are the last ``strategy.lookback(params)`` closed bars of the series: bars whose
  close (``open_time + interval``) is at or before the clock's now, or before ``at`` when the
  caller names an earlier moment (a replay's dashboard asks at its replay clock: the signal,
  and the news sentiment of the ensemble, as knowable at the bot's bar, not at the end of the
  stored data); ``at`` is never later than now (a forming bar is never read); resampled
  from 1m by the store when the interval is not stored. (A resampled bucket
  whose time is over counts as closed even if the store lacks some of its minutes, as the
  store's resampling does for exchange halts.)
* Perpetual (``usdm``) series get the stored funding rates as of each bar's close.
* Cache: bars read per (symbol, interval, market), valid while the series' files are
  unchanged (paths, sizes, mtimes); the clock only moves the cut inside them. Readings per
  (symbol, interval, market, strategy, parameters, last bar, files). A repeated GET costs a
  directory listing, a binary search and two dictionary look-ups; a series is read by one
  request at a time (the others wait for it and reuse it).
* Errors: ``UnknownSeries`` (no such series: 404), ``StrategyParamError``,
  ``UnknownStrategy`` and ``DomainValueError`` for a bad interval (422). The messages say
  what is known or allowed.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from ai_engine.api import signals_model
from ai_engine.domain.clock import Clock, from_epoch_ms
from ai_engine.domain.enums import MarketType, Venue
from ai_engine.marketdata.intervals import interval_ms, to_ms
from ai_engine.marketdata.partitions import month_start_ms, series_dir
from ai_engine.marketdata.series import DataKind, SeriesKey, normalise_symbol
from ai_engine.marketdata.store import BarStore, UnknownSeries
from ai_engine.strategies import BUILTIN, MarketInput, Registry, Strategy
from ai_engine.strategies.live import Reading, latest
from ai_engine.strategies.params import ParamValue

# A window is read from the newest month's start minus twice the span of _LOAD_BARS bars
# (room for gaps and for every built-in's lookback); older bars only when a window needs them.
_GAP_MARGIN = 2
_LOAD_BARS = 2_000


@dataclass(frozen=True)
class SignalResult:
    symbol: str
    interval: str
    market: MarketType
    strategy: str
    params: dict[str, ParamValue]
    reading: Reading
    model: dict[str, Any] | None = None  # the served model's part (api/signals_model.py)

    @property
    def as_of(self) -> datetime:
        return from_epoch_ms(self.reading.close_time_ms)


@dataclass(frozen=True)
class _Window:
    files: tuple[tuple[str, int, int], ...]  # the store files it was read from
    data: MarketInput
    from_start: bool  # read from the series' first bar (else from a recent month on)


class SignalService:
    """Latest signals for the API (see the module docstring)."""

    def __init__(
        self,
        store: BarStore,
        clock: Clock,
        registry: Registry = BUILTIN,
        *,
        max_readings: int = 4096,
        max_windows: int = 256,
    ) -> None:
        self.store = store
        self.clock = clock
        self.registry = registry
        self._lock = threading.Lock()
        # One computation at a time: strategies are short, CPU-bound numpy work, and several
        # threads taking turns on the GIL only delay each other and the event loop.
        self._computing = threading.Lock()
        self._readings: OrderedDict[Hashable, Reading] = OrderedDict()
        self._windows: OrderedDict[Hashable, _Window] = OrderedDict()
        # Striped: a bounded set of locks, however many series (or bad symbols) are asked for.
        self._loading = tuple(threading.Lock() for _ in range(64))
        self._max_readings = max_readings
        self._max_windows = max_windows
        self.models: Any = None  # api.models_service.ModelsService, set by create_app
        self.hits = 0  # readings served from the cache
        self.misses = 0  # readings computed

    def strategies(self) -> list[dict[str, Any]]:
        return [strategy.describe() for strategy in self.registry]

    def signal(
        self,
        symbol: str,
        interval: str,
        strategy_name: str,
        overrides: Mapping[str, object] | None = None,
        market: MarketType = MarketType.SPOT,
        *,
        at: datetime | None = None,
    ) -> SignalResult:
        """The latest signal of one series as of ``at`` (default and at most: the clock's
        now); errors as in the module docstring."""
        strategy, params = self.resolve(strategy_name, overrides)
        step = interval_ms(interval)
        symbol = normalise_symbol(symbol)
        files = _files(self.store.root, symbol, market)
        model = signals_model.status(self.models, step)
        need = signals_model.bars_needed(strategy, params, model)
        data = self._window(symbol, interval, step, market, files, need, at)
        if len(data) == 0:
            raise UnknownSeries(f"no closed {interval} bars of {symbol} ({market}) in the store")
        values = {f.name: getattr(params, f.name) for f in fields(params)}
        key = (symbol, interval, market, strategy.name, tuple(sorted(values.items())),
               int(data.open_time[-1]), files, model and model["model_id"])  # fmt: skip
        with self._lock:
            cached = self._readings.get(key)
            if cached is not None:
                self._readings.move_to_end(key)
                self.hits += 1
        if cached is None:
            with self._computing:
                data = signals_model.attach(self.models, strategy, params, data, model, key)
                cached = latest(strategy, data, params)
            with self._lock:
                self.misses += 1
                self._readings[key] = cached
                while len(self._readings) > self._max_readings:
                    self._readings.popitem(last=False)
        return SignalResult(
            symbol, interval, market, strategy.name, values, cached,
            signals_model.with_probability(self.models, model, key),
        )  # fmt: skip

    def resolve(
        self, strategy_name: str, overrides: Mapping[str, object] | None
    ) -> tuple[Strategy[Any], Any]:
        """The strategy and its validated parameters (``UnknownStrategy``, param errors)."""
        strategy = self.registry.get(strategy_name)
        return strategy, strategy.params(overrides)

    def _window(
        self,
        symbol: str,
        interval: str,
        step: int,
        market: MarketType,
        files: tuple[tuple[str, int, int], ...],
        bars_needed: int,
        at: datetime | None = None,
    ) -> MarketInput:
        """The last ``bars_needed`` bars closed by ``at`` (at most the clock's now)."""
        now = self.clock.now()
        now_ms = to_ms(now if at is None else min(at, now))
        key = (symbol, interval, market)
        with self._loading[hash(key) % len(self._loading)]:  # one load per series at a time
            with self._lock:
                held = self._windows.get(key)
            if held is None or held.files != files:
                held = self._keep(key, self._load(symbol, interval, step, market, files))
            cut = _closed_by(held.data, now_ms)
            if cut < bars_needed and not held.from_start:
                held = self._keep(
                    key, self._load(symbol, interval, step, market, files, from_start=True)
                )
                cut = _closed_by(held.data, now_ms)
        return held.data.take(slice(max(0, cut - bars_needed), cut))

    def _keep(self, key: Hashable, window: _Window) -> _Window:
        with self._lock:
            self._windows[key] = window
            self._windows.move_to_end(key)
            while len(self._windows) > self._max_windows:
                self._windows.popitem(last=False)
        return window

    def _load(
        self,
        symbol: str,
        interval: str,
        step: int,
        market: MarketType,
        files: tuple[tuple[str, int, int], ...],
        *,
        from_start: bool = False,
    ) -> _Window:
        """Bars from ``_GAP_MARGIN * _LOAD_BARS`` bars before the newest month on (every bar
        when ``from_start`` or when no file is known), with funding for perpetuals."""
        newest = max((_month_of(path) for path, _, _ in files), default=None)
        span = _GAP_MARGIN * _LOAD_BARS * step
        start_ms = None if newest is None or from_start else max(newest - span, 0)
        start = None if start_ms is None else from_epoch_ms(start_ms)
        bars = self.store.load_bars(symbol, interval, start, market=market)
        funding = None
        if market is MarketType.USDM:
            try:
                funding = self.store.load_funding(symbol)
            except UnknownSeries:
                funding = None  # no funding stored: the bias is unknown, not zero
        data = MarketInput.from_bars(bars, step, funding=funding)
        return _Window(files, data, from_start=start_ms is None)


def _closed_by(data: MarketInput, now_ms: int) -> int:
    """How many of ``data``'s bars had closed at ``now_ms`` (open + interval <= now)."""
    return int(np.searchsorted(data.close_time, now_ms, side="right"))


def _files(root: Path, symbol: str, market: MarketType) -> tuple[tuple[str, int, int], ...]:
    """(path, size, mtime) of every bar partition of the symbol: the series' identity."""
    folder = series_dir(root, SeriesKey(DataKind.BARS, Venue.BINANCE, market, symbol, "1m")).parent
    found = []
    try:
        intervals = [e.path for e in os.scandir(folder) if e.name.startswith("interval=")]
    except FileNotFoundError:
        return ()
    for interval_dir in sorted(intervals):
        try:
            entries = list(os.scandir(interval_dir))
        except FileNotFoundError:
            continue  # removed while we listed
        for entry in entries:
            # Names starting with a dot are temporary files of an interrupted write.
            if entry.name.endswith(".parquet") and not entry.name.startswith("."):
                try:
                    stat = entry.stat()
                except FileNotFoundError:
                    continue  # replaced while we listed
                found.append((entry.path, stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(found))


def _month_of(path: str) -> int:
    return month_start_ms(Path(path).stem)
