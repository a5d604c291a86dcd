"""The simulated exchange's one typed configuration, and parsers for its CLI spellings.

An account's commission rates (``AccountSpec.rates``): explicit ``fees`` (admin ``makerFee`` /
``takerFee``) for spot, else its VIP tier's rates (``matching/fee_tiers.py``) if it names one,
else the exchange's defaults (``SimConfig.fees`` and ``SimConfig.futures.fees``, which the CLI
sets from ``--fees-bps``/``--futures-fees-bps`` or else from ``--vip-tier``). An account with
``bnb_discount`` pays in BNB when it can (``matching/bnb.py``): 25 % off on spot, 10 % on USD-M.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ai_engine.domain import DomainValueError
from ai_engine.matching import BookParams, FeeRates
from ai_engine.matching.fee_tiers import (
    BNB_DISCOUNT_SPOT,
    BNB_DISCOUNT_USDM,
    check_tier,
    spot_rates,
    usdm_rates,
)
from ai_engine.simexchange.futures.config import FuturesConfig

DEFAULT_SYMBOLS = ("BTCUSDT", "ETHUSDT")


MAX_LATENCY_MS = 3_600_000  # an hour of replay time


@dataclass(frozen=True, slots=True)
class LatencySpec:
    """Order latency in replay ms (``simexchange/latency.py``): each order or cancel reaches the
    engine ``ms`` plus a seeded draw from 0..``jitter_ms`` after it arrived."""

    ms: int = 0
    jitter_ms: int = 0

    def __post_init__(self) -> None:
        for name in ("ms", "jitter_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"latency {name} must be a whole number of ms, got {value!r}")
            if not 0 <= value <= MAX_LATENCY_MS:
                raise ValueError(f"latency {name} must be 0..{MAX_LATENCY_MS} ms, got {value}")

    @property
    def is_zero(self) -> bool:
        return self.ms == 0 and self.jitter_ms == 0


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountSpec:
    """An API key pair with starting balances and its fee and latency settings.

    ``fees``: explicit spot rates (None: by tier or the exchange default); ``vip_tier``: 0
    (Regular) to 9, None for the exchange default; ``bnb_discount``: pay commissions in BNB when
    possible; ``futures_bnb``: BNB in the futures wallet (for fees only); ``latency``: None for
    the exchange default.
    """

    api_key: str
    secret: str = field(repr=False)
    balances: tuple[tuple[str, Decimal], ...] = ()
    fees: FeeRates | None = None
    vip_tier: int | None = None
    bnb_discount: bool = False
    futures_bnb: Decimal = Decimal(0)
    latency: LatencySpec | None = None

    def __post_init__(self) -> None:
        if self.vip_tier is not None:
            try:
                check_tier(self.vip_tier)
            except DomainValueError as exc:
                raise ValueError(f"account {self.api_key!r}: {exc}") from None
        if self.futures_bnb < 0:
            raise ValueError(f"account {self.api_key!r}: futures BNB must not be negative")

    def rates(self, spot_default: FeeRates, usdm_default: FeeRates) -> tuple[FeeRates, FeeRates]:
        """(spot, USD-M) rates of this account (rules in the module docstring)."""
        if self.vip_tier is not None:
            spot, usdm = spot_rates(self.vip_tier), usdm_rates(self.vip_tier)
        else:
            spot, usdm = spot_default, usdm_default
        spot = self.fees or spot
        if not self.bnb_discount:
            return spot.with_bnb(Decimal(0)), usdm.with_bnb(Decimal(0))
        return spot.with_bnb(BNB_DISCOUNT_SPOT), usdm.with_bnb(BNB_DISCOUNT_USDM)

    @classmethod
    def parse(cls, text: str) -> AccountSpec:
        """``KEY:SECRET[:USDT=10000,BTC=0.5[:OPTIONS]]``; OPTIONS, comma-separated: ``vip=N``,
        ``bnb`` (pay fees in BNB), ``futures-bnb=AMOUNT``, ``latency=MS``, ``jitter=MS``."""
        parts = text.split(":", 3)
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise ValueError(f"account {text!r}: expected KEY:SECRET[:ASSET=AMOUNT,...[:OPTIONS]]")
        balances: list[tuple[str, Decimal]] = []
        if len(parts) >= 3 and parts[2]:
            for item in parts[2].split(","):
                asset, _, amount = item.partition("=")
                balances.append((asset.strip().upper(), _amount(amount, text)))
        options = _options(parts[3], text) if len(parts) == 4 and parts[3] else {}
        latency = None
        if "latency" in options or "jitter" in options:
            latency = LatencySpec(
                _whole(options.get("latency", "0"), "latency", text),
                _whole(options.get("jitter", "0"), "jitter", text),
            )
        return cls(
            api_key=parts[0],
            secret=parts[1],
            balances=tuple(balances),
            vip_tier=_whole(options["vip"], "vip", text) if "vip" in options else None,
            bnb_discount="bnb" in options,
            futures_bnb=_amount(options.get("futures-bnb", "0"), text),
            latency=latency,
        )


_OPTIONS = ("vip", "bnb", "futures-bnb", "latency", "jitter")


def _options(text: str, where: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in text.split(","):
        name, has_value, value = (part.strip() for part in item.partition("="))
        if name not in _OPTIONS:
            raise ValueError(f"account {where!r}: unknown option {name!r} (known: {_OPTIONS})")
        if (name == "bnb") == bool(has_value):
            raise ValueError(f"account {where!r}: write 'bnb' alone and '{name}=VALUE' otherwise")
        found[name] = value
    return found


def _whole(text: str, what: str, where: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(
            f"account {where!r}: {what} must be a whole number, got {text!r}"
        ) from None


MAX_BALANCE = Decimal(10) ** 15
BALANCE_DECIMALS = 8


def parse_balance(text: str) -> Decimal:
    """A starting balance: 0 to 10^15 with at most 8 decimals, as Binance's balances."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    if not value.is_finite() or not 0 <= value <= MAX_BALANCE:
        raise ValueError(f"{text!r} is not an amount between 0 and {MAX_BALANCE:,}")
    if -value.as_tuple().exponent > BALANCE_DECIMALS:  # type: ignore[operator]
        raise ValueError(f"{text!r} has more than {BALANCE_DECIMALS} decimals")
    return value


def _amount(text: str, where: str) -> Decimal:
    try:
        return parse_balance(text)
    except ValueError as exc:
        raise ValueError(f"account {where!r}: {exc}") from None


def parse_speed(text: str) -> float:
    """``0`` (manual clock), a positive multiple of real time, or ``max``."""
    if text.strip().lower() == "max":
        return math.inf
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"speed must be 0, a positive number or 'max', got {text!r}")
    return value


def parse_fees_bps(text: str) -> FeeRates:
    """``maker,taker`` in basis points: ``10,10`` is Binance's 0.1 % / 0.1 %."""
    maker, _, taker = text.partition(",")
    return FeeRates.from_bps(maker.strip(), (taker or maker).strip())


@dataclass(frozen=True, slots=True, kw_only=True)
class SimConfig:
    """Everything a simulated exchange instance needs; read once at the entry point.

    ``speed``: 0 = the replay clock moves only through ``POST /sim/clock/advance``; x > 0 =
    x times real time; ``math.inf`` = as fast as bars can be processed ("max").
    ``start``: replay start; None = the close of the first bar every symbol has.
    ``fees``/``futures.fees``: the default rates of accounts without a tier or own rates.
    ``latency``: the order latency of accounts without their own (``latency.py``).
    ``book_at_next_open``: after a bar closes, centre its book on the NEXT bar's open (the
    first price of the instant the clock stands at) instead of its close: a market order sent
    at a bar's close then fills at the next open, as the backtest fills (the replay trader's
    one fill rule, docs/execution.md "Parity"), on spot and on the USD-M perpetuals (whose mark
    stays the close). Off: the close, as before.
    """

    data_dir: Path
    symbols: tuple[str, ...] = DEFAULT_SYMBOLS
    start: datetime | None = None
    speed: float = 0.0
    accounts: tuple[AccountSpec, ...] = ()
    fees: FeeRates = field(default_factory=FeeRates)
    book: BookParams = field(default_factory=BookParams)
    seed: int = 0  # generated client order ids come from a PRNG seeded with this
    host: str = "127.0.0.1"
    port: int = 0
    weight_limit: int = 6000  # request weight per IP per minute
    orders_per_10s: int = 100  # new orders per account per 10 s
    orders_per_day: int = 200_000
    ban_seconds: int = 120  # an IP that keeps going after a 429 is banned this long (418)
    tick_seconds: float = 0.2  # how often a running clock processes newly closed bars
    depth_levels: int = 100  # per side of the book of a symbol replayed tick by tick (L2)
    book_at_next_open: bool = False
    futures: FuturesConfig = field(default_factory=FuturesConfig)  # USD-M: symbols, wallets
    latency: LatencySpec = field(default_factory=LatencySpec)  # orders/cancels, replay ms

    def __post_init__(self) -> None:
        if not self.symbols and not self.futures.symbols:
            raise ValueError("at least one symbol is needed")
        if self.speed < 0 or math.isnan(self.speed):
            raise ValueError(f"speed must be >= 0, got {self.speed}")
        for name in ("weight_limit", "orders_per_10s", "orders_per_day", "ban_seconds"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        keys = [account.api_key for account in self.accounts]
        if len(keys) != len(set(keys)):
            raise ValueError("two accounts share an API key")
