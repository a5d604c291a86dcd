"""The simulated exchange's one typed configuration, and parsers for its CLI spellings."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ai_engine.matching import BookParams, FeeRates
from ai_engine.simexchange.futures.config import FuturesConfig

DEFAULT_SYMBOLS = ("BTCUSDT", "ETHUSDT")


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountSpec:
    """An API key pair with starting balances; ``fees`` None = the exchange default."""

    api_key: str
    secret: str = field(repr=False)
    balances: tuple[tuple[str, Decimal], ...] = ()
    fees: FeeRates | None = None

    @classmethod
    def parse(cls, text: str) -> AccountSpec:
        """``KEY:SECRET:USDT=10000,BTC=0.5`` (balances optional)."""
        parts = text.split(":", 2)
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise ValueError(f"account {text!r}: expected KEY:SECRET[:ASSET=AMOUNT,...]")
        balances: list[tuple[str, Decimal]] = []
        if len(parts) == 3 and parts[2]:
            for item in parts[2].split(","):
                asset, _, amount = item.partition("=")
                balances.append((asset.strip().upper(), _amount(amount, text)))
        return cls(api_key=parts[0], secret=parts[1], balances=tuple(balances))


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
    futures: FuturesConfig = field(default_factory=FuturesConfig)  # USD-M: symbols, wallets

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
