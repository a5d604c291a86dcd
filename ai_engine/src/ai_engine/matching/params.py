"""The knobs of the fill model: how the synthetic book is shaped and what trading costs.

Every value is a ``Decimal`` (or an ``int`` count) so that the same parameters give the same
fills to the last digit, in the simulated exchange and in the backtester alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain import DomainValueError, LiquiditySide, to_decimal

_BPS = Decimal(10_000)


@dataclass(frozen=True, slots=True, kw_only=True)
class BookParams:
    """Shape of the book built from a bar (formulas in ``book.py`` and docs/sim-exchange.md).

    ``half_spread_bps``: distance from mid to the best bid/ask, at least one tick.
    ``min_half_spread_ticks``: that floor in ticks (1); 0 lets a zero half spread put the best
    bid and ask both AT the mid: a market order then fills at exactly the mid, the
    backtest's "no slippage" fill (the replay trader's parity book, docs/execution.md).
    ``level_spacing_bps``: distance between consecutive levels, at least one tick.
    ``levels``: price levels per side.
    ``depth_fraction``: share of the bar's base volume shown on EACH side, split evenly over
    the levels; 0.5 with 20 levels puts 2.5 % of the bar's volume on every level.
    """

    half_spread_bps: Decimal = Decimal("0.5")
    level_spacing_bps: Decimal = Decimal(1)
    levels: int = 20
    depth_fraction: Decimal = Decimal("0.5")
    min_half_spread_ticks: int = 1

    def __post_init__(self) -> None:
        for name in ("half_spread_bps", "level_spacing_bps", "depth_fraction"):
            value = to_decimal(getattr(self, name), what=name)
            if value < 0:
                raise DomainValueError(f"{name} must not be negative, got {value}")
            object.__setattr__(self, name, value)
        if isinstance(self.levels, bool) or not 1 <= self.levels <= 5000:
            raise DomainValueError(f"levels must be 1..5000, got {self.levels}")
        if self.min_half_spread_ticks not in (0, 1):
            raise DomainValueError(
                f"min_half_spread_ticks must be 0 or 1, got {self.min_half_spread_ticks}"
            )

    @staticmethod
    def bps(value: Decimal, bps: Decimal) -> Decimal:
        """``value`` times ``bps`` basis points (exact: a finite Decimal divided by 10^4)."""
        return value * bps / _BPS


@dataclass(frozen=True, slots=True)
class FeeRates:
    """Commission rates as fractions: Binance spot's default 0.1 % is ``Decimal("0.001")``.

    ``bnb_discount``: the share taken off a commission the account pays in BNB (Binance: 0.25
    on spot, 0.10 on USD-M futures); 0, the default, means the account does not pay in BNB.
    Whether a fill can pay in BNB (a BNB price, enough BNB) is decided in ``bnb.py``.
    The rates of Binance's VIP tiers are in ``fee_tiers.py``.
    """

    maker: Decimal = Decimal("0.001")
    taker: Decimal = Decimal("0.001")
    bnb_discount: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        for name, what in (("maker", "maker fee"), ("taker", "taker fee")):
            value = to_decimal(getattr(self, name), what=what)
            if not 0 <= value < 1:
                raise DomainValueError(f"{what} rate must be in [0, 1), got {value}")
            object.__setattr__(self, name, value)
        discount = to_decimal(self.bnb_discount, what="BNB discount")
        if not 0 <= discount < 1:
            raise DomainValueError(f"BNB discount must be in [0, 1), got {discount}")
        object.__setattr__(self, "bnb_discount", discount)

    def rate(self, liquidity: LiquiditySide) -> Decimal:
        """The rate a fill pays: maker for a resting order, taker for one that takes."""
        return self.maker if liquidity is LiquiditySide.MAKER else self.taker

    @property
    def pays_in_bnb(self) -> bool:
        """Whether the account has chosen to pay its commissions in BNB."""
        return self.bnb_discount > 0

    def with_bnb(self, discount: Decimal) -> FeeRates:
        """The same rates, paid in BNB at ``discount`` off (0: not in BNB)."""
        return FeeRates(self.maker, self.taker, discount)

    @classmethod
    def from_bps(cls, maker_bps: Decimal | int | str, taker_bps: Decimal | int | str) -> FeeRates:
        """``FeeRates.from_bps(10, 10)`` is 0.1 % / 0.1 %."""
        return cls(
            maker=to_decimal(maker_bps, what="maker bps") / _BPS,
            taker=to_decimal(taker_bps, what="taker bps") / _BPS,
        )
