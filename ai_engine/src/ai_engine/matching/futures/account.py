"""One futures account: a USDT wallet and one-way positions with their per-symbol settings.

The wallet balance moves only by realised P&L, commission, funding and insurance clearance, so
at every moment ``wallet == start + realised - commission + funding + insurance`` exactly
(a property test checks it). Positions are the domain's ``Position`` (cost-basis accounting,
exact realised P&L); this module adds what margin trading needs on top.

Isolated margin: an isolated position's margin (``isolated_wallet``) is a part of the wallet set
aside for it. Opening or adding moves quantity x price / leverage into it; realised P&L of a
reducing fill settles into it and the closed share is then released (what is left of it is back
in the cross wallet, which is simply wallet minus every isolated wallet). Commission is paid
from the cross wallet. Funding on an isolated position is paid from/into its margin.

Paying in BNB (``matching/bnb.py``): an account whose rates carry a BNB discount and whose
futures wallet holds enough BNB (``bnb``, usable for fees only, as Binance's single-asset
mode) pays a fill's commission in BNB at the discount when the venue knows a BNB price; the
USDT wallet is then not charged, so the invariant above counts USDT commission only and
``bnb == bnb_start - bnb_commission``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from ai_engine.domain import (
    Fill,
    Instrument,
    LiquiditySide,
    Money,
    OrderSide,
    Position,
    Price,
    Quantity,
    from_epoch_ms,
)
from ai_engine.domain.decimals import exact, quantize_wide, wide_divide
from ai_engine.matching.bnb import BNB, bnb_commission, covers, discounted_value
from ai_engine.matching.futures.records import DEFAULT_LEVERAGE, ZERO, MarginType
from ai_engine.matching.params import FeeRates

MONEY_EXPONENT = -8  # USDT amounts are kept to 8 decimals, as Binance shows them


def money(value: Decimal) -> Decimal:
    """Round half-even to 8 decimals (for derived amounts: margins, funding)."""
    return quantize_wide(value, MONEY_EXPONENT)


@dataclass(slots=True)
class SymbolState:
    position: Position
    leverage: int = DEFAULT_LEVERAGE
    margin_type: MarginType = MarginType.CROSSED
    isolated_wallet: Decimal = ZERO
    update_ms: int = 0

    @property
    def quantity(self) -> Decimal:
        """Signed: positive long, negative short."""
        return self.position.signed_quantity

    @property
    def entry_price(self) -> Decimal:
        return self.position.avg_entry_price or ZERO

    @property
    def isolated(self) -> bool:
        return self.margin_type is MarginType.ISOLATED

    def reducible(self, side: OrderSide) -> Decimal:
        """How much an order on ``side`` can reduce the position (0: it would only add)."""
        held = self.quantity
        if side is OrderSide.BUY:
            return -held if held < 0 else ZERO
        return held if held > 0 else ZERO

    def unrealised(self, mark: Decimal) -> Decimal:
        return self.position.unrealised_pnl(Price(mark)) if self.quantity else ZERO


@dataclass(frozen=True, slots=True)
class Settlement:
    realised: Decimal  # realised P&L of the fill
    commission: Decimal
    commission_asset: str = "USDT"


class FuturesAccount:
    __slots__ = (
        "account_id",
        "asset",
        "bnb",
        "bnb_commission",
        "bnb_start",
        "commission",
        "fees",
        "funding",
        "insurance",
        "realised",
        "start",
        "symbols",
        "update_ms",
        "wallet",
    )

    def __init__(
        self, account_id: str, wallet: Decimal, fees: FeeRates, asset: str = "USDT"
    ) -> None:
        if wallet < 0:
            raise ValueError(f"starting wallet of {account_id!r} is negative: {wallet}")
        self.account_id = account_id
        self.asset = asset
        self.fees = fees
        self.start = wallet
        self.wallet = wallet
        self.realised = ZERO
        self.commission = ZERO
        self.funding = ZERO
        self.insurance = ZERO
        self.bnb_start = self.bnb = ZERO  # BNB in the futures wallet (deposit_bnb): fees only
        self.bnb_commission = ZERO
        self.update_ms = 0
        self.symbols: dict[str, SymbolState] = {}

    def state(self, instrument: Instrument) -> SymbolState:
        """The settings and position of ``instrument`` (created flat at first use)."""
        found = self.symbols.get(instrument.symbol)
        if found is None:
            found = self.symbols[instrument.symbol] = SymbolState(Position.flat(instrument))
        return found

    def positions(self) -> Iterator[tuple[str, SymbolState]]:
        """(symbol, state) of every symbol with an open position, in first-use order."""
        return ((s, st) for s, st in self.symbols.items() if st.quantity != 0)

    @property
    def cross_wallet(self) -> Decimal:
        with exact():
            return self.wallet - sum((st.isolated_wallet for st in self.symbols.values()), ZERO)

    def settle_fill(
        self,
        instrument: Instrument,
        side: OrderSide,
        price: Decimal,
        quantity: Decimal,
        liquidity: LiquiditySide,
        *,
        ts_ms: int,
        trade_id: int,
        client_order_id: str,
        charge: bool = True,
        bnb_price: Decimal | None = None,
    ) -> Settlement:
        """Apply one fill to the position and the wallet; ``charge=False``: no commission;
        ``bnb_price``: BNB in USDT, for an account paying in BNB (None: unknown)."""
        state = self.state(instrument)
        rate = self.fees.rate(liquidity)
        with exact():
            fee = quantize_wide(price * quantity * rate, MONEY_EXPONENT) if charge else ZERO
        fee_asset, fee_value = self.asset, fee  # fee_value: in USDT, for the position's books
        if charge and self.fees.pays_in_bnb and bnb_price is not None:
            discount = self.fees.bnb_discount
            in_bnb = bnb_commission(price, quantity, rate, discount, bnb_price)
            if covers(self.bnb, in_bnb):
                fee_asset, fee = BNB, in_bnb
                fee_value = discounted_value(price, quantity, rate, discount)
        held = abs(state.quantity)
        closing = min(quantity, state.reducible(side))
        before = state.position.realised_pnl_gross
        fill = Fill(
            client_order_id=client_order_id,
            venue_order_id=None,
            trade_id=str(trade_id),
            instrument_id=instrument.id,
            side=side,
            price=Price(price),
            quantity=Quantity(quantity),
            fee=Money(fee, fee_asset),
            liquidity=liquidity,
            ts=from_epoch_ms(ts_ms),
        )
        state.position = state.position.apply_fill(fill, fee_in_settlement=fee_value)
        with exact():
            realised = state.position.realised_pnl_gross - before
            self.wallet += realised
            self.realised += realised
            if fee_asset == BNB:
                self.bnb -= fee
                self.bnb_commission += fee
            else:
                self.wallet -= fee
                self.commission += fee
        if state.isolated:
            self._isolated_after_fill(state, held, closing, quantity - closing, price, realised)
        state.update_ms = self.update_ms = ts_ms
        return Settlement(realised, fee, fee_asset)

    def _isolated_after_fill(
        self,
        state: SymbolState,
        held: Decimal,
        closing: Decimal,
        opening: Decimal,
        price: Decimal,
        realised: Decimal,
    ) -> None:
        margin = state.isolated_wallet
        if closing:
            with exact():
                margin = max(ZERO, margin + realised)
            kept = held - closing
            margin = ZERO if kept == 0 else money(wide_divide(margin * kept, held))
        if opening:
            margin += money(wide_divide(opening * price, Decimal(state.leverage)))
        state.isolated_wallet = margin

    def deposit_bnb(self, amount: Decimal) -> None:
        """Put ``amount`` of BNB into the futures wallet (fees only; counted as a start)."""
        if amount < 0:
            raise ValueError(f"a BNB deposit must not be negative: {amount}")
        with exact():
            self.bnb += amount
            self.bnb_start += amount

    def apply_funding(self, symbol: str, amount: Decimal, ts_ms: int) -> None:
        """A funding payment (positive received); paid from/into isolated margin if isolated."""
        state = self.symbols[symbol]
        with exact():
            self.wallet += amount
            self.funding += amount
            if state.isolated:
                state.isolated_wallet = max(ZERO, state.isolated_wallet + amount)
        state.update_ms = self.update_ms = ts_ms

    def clear_insurance(self, symbol: str, amount: Decimal, ts_ms: int) -> None:
        """What a liquidation takes (negative) beyond the realised loss of its fill."""
        with exact():
            self.wallet += amount
            self.insurance += amount
        self.symbols[symbol].isolated_wallet = ZERO
        self.update_ms = ts_ms

    def expected_wallet(self) -> Decimal:
        """``start + realised - commission + funding + insurance``: the invariant's right side."""
        with exact():
            return self.start + self.realised - self.commission + self.funding + self.insurance
