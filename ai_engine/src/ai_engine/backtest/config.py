"""How a backtest simulates the market: cash, fees, slippage, latency, sizing, leverage, exits.

``BacktestConfig`` is a frozen value; ``validate`` refuses an inconsistent one with a message
naming the field, before any data is read (``BacktestConfigError``, a ``ValueError``). The
rules each field selects are in ``docs/backtesting.md`` and the kernel's docstring.

Units: fees and rates are fractions (0.001 = 0.1 %), slippage ``bps`` are 1/10,000 of the
price, money is the quote currency, times are milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from ai_engine.domain.errors import DomainValueError

SLIPPAGE_KINDS = ("none", "fixed_bps", "volatility", "volume", "book")
SIZING_KINDS = ("all_equity", "fixed_notional", "equity_pct", "risk_pct")
MARKETS = ("spot", "usdm")
INTRABAR = ("worst", "best")


class BacktestConfigError(DomainValueError):
    """A backtest set-up that cannot run: the message names the field and what is allowed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SlippageModel:
    """Adverse price move on market and stop fills (never on take-profit limits).

    * ``none``: fills at the modelled price.
    * ``fixed_bps``: ``bps`` / 10^4 of the price.
    * ``volatility``: ``k`` x ATR(``atr_period``) of the last closed bar before the fill
      (``atr_period`` 0: ``k`` x that bar's high - low), in price units.
    * ``volume``: ``k`` x (order quantity / base volume of the last closed bar), as a fraction
      of the price (``k`` = 1: an order of 1 % of the bar's volume moves the price 1 %).
    * ``book``: the average price of walking the synthetic book of ``matching.book`` built
      around the fill price from the last closed bar's volume (``half_spread_bps``,
      ``level_spacing_bps``, ``depth_fraction``, ``levels``); the part beyond the book's depth
      fills at its last level.

    Every kind is capped at ``max_bps`` of the price (a zero-volume bar would be infinite).
    """

    kind: str = "none"
    bps: float = 0.0
    k: float = 0.0
    atr_period: int = 14
    max_bps: float = 500.0
    half_spread_bps: float = 0.5
    level_spacing_bps: float = 1.0
    depth_fraction: float = 0.5
    levels: int = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class Sizing:
    """How much an entry buys (or sells short).

    * ``all_equity``: all free cash (split evenly over the free position slots):
      ``quantity = cash / (price x (1/leverage + fee))``; with leverage 1 that is
      ``cash / (price x (1 + fee))``, the reference ``ema_cross`` rule.
    * ``fixed_notional``: ``value`` quote currency of notional per entry.
    * ``equity_pct``: margin = ``value`` (a fraction, 0.1 = 10 %) of the equity at the decision
      bar's close; notional = margin x leverage.
    * ``risk_pct``: lose ``value`` (a fraction) of that equity if the stop is hit:
      ``quantity = value x equity / |fill price - stop|``; entries without a stop are skipped.

    Every size is capped at what the free cash can pay (margin + entry fee).
    """

    kind: str = "all_equity"
    value: float = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ExitOverrides:
    """Exits applied on top of (replacing) the strategy's own; ``None`` keeps the strategy's.

    ``stop_pct`` / ``take_profit_pct``: levels this % from the entry fill; ``trail_pct``: a
    trailing distance of this % of the close; ``trail_atr``: of this many ATR(``atr_period``)s;
    ``trail_entry_pct``: of this % of the entry fill (the trader's exit manager's ``trailing:
    {distance: {percent}}``);
    ``max_hold_bars``, ``trail_after_r``, ``breakeven_after_r``, ``take_profit_levels`` replace
    the fields of the strategy's ``ExitRules`` of the same name.
    """

    stop_pct: float | None = None
    take_profit_pct: float | None = None
    trail_pct: float | None = None
    trail_atr: float | None = None
    trail_entry_pct: float | None = None
    atr_period: int = 14
    max_hold_bars: int | None = None
    trail_after_r: float | None = None
    breakeven_after_r: float | None = None
    take_profit_levels: tuple[tuple[float, float], ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BacktestConfig:
    """One backtest's market model (see the module docstring and docs/backtesting.md)."""

    cash: float = 10_000.0
    fee_maker: float = 0.001
    fee_taker: float = 0.001
    slippage: SlippageModel = field(default_factory=SlippageModel)
    latency_ms: int = 0
    sizing: Sizing = field(default_factory=Sizing)
    leverage: float = 1.0
    market: str = "spot"
    maintenance_margin: float = 0.004  # Binance USD-M BTCUSDT's first bracket
    max_positions: int = 1
    intrabar: str = "worst"
    close_at_end: bool = True
    # The instrument's price tick: ``exits.stop_pct`` / ``take_profit_pct`` levels are put on
    # its grid as the trader's exit manager puts them (a long's up, a short's down); 0: exact.
    price_tick: float = 0.0
    exits: ExitOverrides = field(default_factory=ExitOverrides)

    def validate(self) -> None:
        """Raise ``BacktestConfigError`` naming the first inconsistent field."""
        for name in ("cash", "fee_maker", "fee_taker", "leverage", "maintenance_margin"):
            _finite(name, getattr(self, name))
        _check(self.cash > 0, f"cash must be positive, got {self.cash}")
        for name in ("fee_maker", "fee_taker"):
            value = getattr(self, name)
            _check(0 <= value < 0.1, f"{name} is a fraction in [0, 0.1), got {value}")
        _check(
            self.market in MARKETS, f"market must be one of {', '.join(MARKETS)}: {self.market!r}"
        )
        _check(self.leverage >= 1, f"leverage must be at least 1, got {self.leverage}")
        _check(
            self.market == "usdm" or self.leverage == 1,
            f"leverage {self.leverage} needs market 'usdm' (perpetuals); spot trades at 1",
        )
        _check(
            0 <= self.maintenance_margin < 1 / self.leverage,
            f"maintenance_margin must be in [0, 1/leverage = {1 / self.leverage:g}), "
            f"got {self.maintenance_margin}",
        )
        _finite("price_tick", self.price_tick)
        _check(self.price_tick >= 0, f"price_tick must be 0 or more, got {self.price_tick}")
        _check(self.latency_ms >= 0, f"latency_ms must be 0 or more, got {self.latency_ms}")
        _check(self.max_positions >= 1, f"max_positions must be 1 or more: {self.max_positions}")
        _check(
            self.intrabar in INTRABAR,
            f"intrabar must be one of {', '.join(INTRABAR)}, got {self.intrabar!r}",
        )
        _check_slippage(self.slippage)
        _check_sizing(self.sizing)
        _check_exits(self.exits)


def _check_slippage(s: SlippageModel) -> None:
    _check(
        s.kind in SLIPPAGE_KINDS,
        f"slippage.kind must be one of {', '.join(SLIPPAGE_KINDS)}, got {s.kind!r}",
    )
    for f in fields(s):
        value = getattr(s, f.name)
        if isinstance(value, (int, float)):
            _finite(f"slippage.{f.name}", value)
            _check(value >= 0, f"slippage.{f.name} must be 0 or more, got {value}")
    if s.kind == "fixed_bps":
        _check(s.bps > 0, "slippage kind fixed_bps needs bps > 0")
    if s.kind in ("volatility", "volume"):
        _check(s.k > 0, f"slippage kind {s.kind} needs k > 0")
    if s.kind == "book":
        _check(s.levels >= 1, "slippage.levels must be 1 or more")
        _check(0 < s.depth_fraction <= 1, "slippage.depth_fraction must be in (0, 1]")


def _check_sizing(s: Sizing) -> None:
    _check(
        s.kind in SIZING_KINDS,
        f"sizing.kind must be one of {', '.join(SIZING_KINDS)}, got {s.kind!r}",
    )
    _finite("sizing.value", s.value)
    if s.kind == "fixed_notional":
        _check(s.value > 0, f"sizing fixed_notional needs value > 0 (quote), got {s.value}")
    if s.kind in ("equity_pct", "risk_pct"):
        _check(
            0 < s.value <= 1,
            f"sizing {s.kind} takes value as a fraction in (0, 1], got {s.value}",
        )


def _check_exits(e: ExitOverrides) -> None:
    for name in ("stop_pct", "take_profit_pct", "trail_pct", "trail_atr", "trail_entry_pct"):
        value = getattr(e, name)
        if value is not None:
            _finite(f"exits.{name}", value)
            _check(value > 0, f"exits.{name} must be positive, got {value}")
    _check(e.atr_period >= 1, f"exits.atr_period must be 1 or more, got {e.atr_period}")
    _check(
        e.trail_pct is None or e.trail_atr is None,
        "exits.trail_pct and exits.trail_atr exclude each other: give one",
    )
    _check(
        e.trail_entry_pct is None or (e.trail_pct is None and e.trail_atr is None),
        "exits.trail_entry_pct excludes exits.trail_pct and exits.trail_atr: give one",
    )
    if e.max_hold_bars is not None:
        _check(e.max_hold_bars >= 1, f"exits.max_hold_bars must be 1 or more: {e.max_hold_bars}")
    for name in ("trail_after_r", "breakeven_after_r"):
        value = getattr(e, name)
        if value is not None:
            _finite(f"exits.{name}", value)
            _check(value >= 0, f"exits.{name} must be 0 or more, got {value}")
    if e.take_profit_levels is not None:
        check_levels(e.take_profit_levels, "exits.take_profit_levels")


def check_levels(levels: tuple[tuple[float, float], ...], where: str) -> None:
    """Partial take-profits: positive R multiples, rising, shares in (0, 1] adding up to <= 1."""
    previous = 0.0
    for r, share in levels:
        _check(
            math.isfinite(r) and r > previous,
            f"{where}: R multiples must be positive and rising, got {r} after {previous}",
        )
        _check(0 < share <= 1, f"{where}: share {share} is not in (0, 1]")
        previous = r
    total = sum(share for _, share in levels)
    _check(total <= 1 + 1e-12, f"{where}: shares add up to {total:g}, more than the position")


def _finite(name: str, value: float) -> None:
    _check(math.isfinite(value), f"{name} must be a finite number, got {value}")


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise BacktestConfigError(message)
