"""The futures part of the simulated exchange's configuration (``SimConfig.futures``).

Every account (from ``--account`` or ``POST /sim/accounts``) gets a USD-M futures account next
to its spot balances; its USDT wallet is the matching ``wallets`` entry, else
``default_wallet``. CLI spelling: ``--futures-symbols BTCUSDT``,
``--futures-wallet KEY:USDT=10000`` (repeatable), ``--futures-fees-bps 2,5``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ai_engine.matching import FeeRates
from ai_engine.matching.futures import FUTURES_FEES

MARGIN_ASSET = "USDT"


@dataclass(frozen=True, slots=True, kw_only=True)
class FuturesConfig:
    symbols: tuple[str, ...] = ()
    fees: FeeRates = field(default_factory=lambda: FUTURES_FEES)
    wallets: tuple[tuple[str, Decimal], ...] = ()  # (api key, USDT wallet)
    default_wallet: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        keys = [key for key, _ in self.wallets]
        if len(keys) != len(set(keys)):
            raise ValueError("two futures wallets share an API key")
        if any(amount < 0 for _, amount in self.wallets) or self.default_wallet < 0:
            raise ValueError("a futures wallet must not be negative")

    def wallet_of(self, api_key: str) -> Decimal:
        return dict(self.wallets).get(api_key, self.default_wallet)


def parse_wallet(text: str) -> tuple[str, Decimal]:
    """``KEY:USDT=10000`` -> ("KEY", Decimal("10000")); USDT is the only margin asset."""
    key, _, balance = text.partition(":")
    asset, _, amount = balance.partition("=")
    if not key or asset.strip().upper() != MARGIN_ASSET or not amount:
        raise ValueError(f"futures wallet {text!r}: expected KEY:USDT=AMOUNT")
    # Imported here: simexchange.config imports this module for SimConfig.futures.
    from ai_engine.simexchange.config import parse_balance

    return key, parse_balance(amount)


def futures_config(symbols: str, wallets: list[str], fees_bps: str | None) -> FuturesConfig:
    """The CLI spelling: ``BTCUSDT,ETHUSDT``, ``["KEY:USDT=10000", ...]``, ``maker,taker``."""
    names = tuple(s.strip().upper() for s in symbols.split(",") if s.strip())
    fees = FUTURES_FEES
    if fees_bps:
        maker, _, taker = fees_bps.partition(",")
        fees = FeeRates.from_bps(maker.strip(), (taker or maker).strip())
    return FuturesConfig(
        symbols=names, fees=fees, wallets=tuple(parse_wallet(text) for text in wallets)
    )
