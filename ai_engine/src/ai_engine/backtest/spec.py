"""A backtest as a YAML spec (``backtests/NAME.yaml``): the fields of ``tradingbot backtest``.

Fields (all optional except ``strategy`` and one data source)::

    name: ema_cross_btc            # a label for reports (default: the file name)
    description: free text
    strategy: ema_cross
    params: {fast: 12, slow: 26}   # the strategy's parameters (typed or strings)
    data: [path, ...]              # Binance kline files or folders, relative to the spec file
    symbol: BTCUSDT                # ... or the Parquet store: symbol, interval, start, end
    interval: 1m
    market: spot                   # spot | usdm (files: checked; default: theirs)
    start: 2023-03-23              # ISO date or time, UTC unless an offset is given
    end: 2023-03-26                # exclusive
    engine: fast                   # fast | backtrader
    cash: 10000
    fee_maker: 0.001
    fee_taker: 0.001
    slippage_bps: 0
    config: {...}                  # any other BacktestConfig field (sizing, leverage, exits ...)
    json: reports/NAME.json        # outputs, relative to the spec file
    report: reports/NAME.html
    model: promoted                # a model id or promoted: its P(up) feeds ml_lightgbm
    allow_model_overlap: false     # true: run bars the model trained on (flagged in-sample)

Every problem is refused with ``SpecError`` naming the file and the field (``params``,
``config.sizing.kind``); ``cash``, ``fee_maker``, ``fee_taker`` and ``slippage_bps`` may not
also appear inside ``config``. ``read_spec`` returns a ``service.BacktestRequest``, the same
value the command line builds, so both are validated by one function.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from ai_engine.backtest.service import BacktestRequest, RequestError, parse_moment

FIELDS = (
    "name", "description", "strategy", "params", "data", "symbol", "interval", "market",
    "start", "end", "engine", "cash", "fee_maker", "fee_taker", "slippage_bps", "config",
    "json", "report", "model", "allow_model_overlap",
)  # fmt: skip
_CONFIG_SHORTCUTS = ("cash", "fee_maker", "fee_taker", "slippage_bps")


class SpecError(RequestError):
    """A spec file that cannot be read or does not describe a backtest."""


def read_spec(path: Path) -> BacktestRequest:
    """The request ``path`` describes (see the module docstring)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read spec {path}: {exc.strerror or exc}") from None
    try:
        values = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML: {exc}") from None
    try:
        return spec_request(values, base=path.parent, default_name=_stem(path))
    except RequestError as exc:
        raise SpecError(f"{path}: {exc}") from None


def spec_request(values: Any, *, base: Path, default_name: str = "") -> BacktestRequest:
    """A request from parsed YAML ``values``; relative paths are taken from ``base``."""
    if not isinstance(values, Mapping):
        raise SpecError("a spec is a mapping of fields (strategy, params, data ...)")
    unknown = sorted(str(k) for k in values if k not in FIELDS)
    if unknown:
        raise SpecError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}")
    config = values.get("config") or {}
    if not isinstance(config, Mapping):
        raise SpecError(f"field config must be a mapping, got {_kind(config)}")
    clash = [name for name in _CONFIG_SHORTCUTS if name in values and name in config]
    if clash:
        raise SpecError(f"field(s) {', '.join(clash)} given both at the top and inside config")
    params = values.get("params") or {}
    if not isinstance(params, Mapping):
        raise SpecError(f"field params must be a mapping of name: value, got {_kind(params)}")
    return BacktestRequest(
        name=_text(values, "name") or default_name,
        strategy=_required_text(values, "strategy"),
        params={str(k): _param(k, v) for k, v in params.items()},
        data=tuple(base / p for p in _paths(values.get("data"))),
        symbol=_text(values, "symbol"),
        interval=_text(values, "interval"),
        market=_text(values, "market"),
        start=_moment(values, "start"),
        end=_moment(values, "end"),
        engine=_text(values, "engine") or "fast",
        cash=_number(values, "cash"),
        fee_maker=_number(values, "fee_maker"),
        fee_taker=_number(values, "fee_taker"),
        slippage_bps=_number(values, "slippage_bps"),
        config=dict(config),
        json_out=_out(values, "json", base),
        report_out=_out(values, "report", base),
        model=_text(values, "model"),
        allow_model_overlap=_flag(values, "allow_model_overlap"),
    )


def _flag(values: Mapping[str, Any], name: str) -> bool:
    value = values.get(name, False)
    if not isinstance(value, bool):
        raise SpecError(f"field {name} must be true or false, got {_kind(value)}")
    return value


def _stem(path: Path) -> str:
    return path.name.removesuffix(".yaml").removesuffix(".yml")


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _text(values: Mapping[str, Any], name: str) -> str | None:
    value = values.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"field {name} must be a non-empty string, got {value!r}")
    return value.strip()


def _required_text(values: Mapping[str, Any], name: str) -> str:
    value = _text(values, name)
    if value is None:
        raise SpecError(f"field {name} is required")
    return value


def _number(values: Mapping[str, Any], name: str) -> float | None:
    value = values.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"field {name} must be a number, got {value!r}")
    return float(value)


def _param(name: object, value: Any) -> object:
    if isinstance(value, (Mapping, list)) or value is None:
        raise SpecError(f"params.{name} must be a number, a string or true/false, got {value!r}")
    return value


def _paths(value: Any) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(p, str) and p for p in items):
        raise SpecError(f"field data must be a path or a list of paths, got {value!r}")
    return items


def _moment(values: Mapping[str, Any], name: str) -> datetime | None:
    value = values.get(name)
    if value is None:
        return None
    # YAML reads an unquoted 2023-03-23 as a date and 2023-03-23T00:00:00Z as a datetime.
    if isinstance(value, (date, datetime)):
        value = value.isoformat()
    if not isinstance(value, str):
        raise SpecError(f"field {name} must be an ISO date or time, got {value!r}")
    return parse_moment(value, name)


def _out(values: Mapping[str, Any], name: str, base: Path) -> Path | None:
    value = _text(values, name)
    return None if value is None else base / value
