"""The Binance USD-M adapter: ``FuturesExecutionVenue`` over python-binance's ``AsyncClient``.

Regular orders live at ``/fapi/v1/order``, conditional ones (stops, take profits, trailing
stops) in the algo service at ``/fapi/v1/algoOrder``; a client order id names one or the
other. So a query or cancel by client id tries the regular order first and the algo order
when the venue has no regular one; open orders and cancel-all cover both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ai_engine.domain import (
    DomainValueError,
    Fill,
    Instrument,
    InstrumentId,
    MarketType,
    Order,
    to_epoch_ms,
)
from ai_engine.execution import (
    AccountSnapshot,
    CancelAllOutcome,
    Canceled,
    CanceledAll,
    CancelOutcome,
    MarginType,
    OrderReport,
    PlaceOutcome,
    PositionReport,
)
from ai_engine.venues.binance import usdm_wire
from ai_engine.venues.binance.base import BinanceVenueBase, cancel_all_failure, cancel_failure
from ai_engine.venues.binance.connection import as_error
from ai_engine.venues.binance.failures import FailureKind, VenueFailure
from ai_engine.venues.binance.instruments_wire import parse_exchange_info
from ai_engine.venues.binance.wire import BadVenueAnswer, Reader

_MARGIN_UNCHANGED = -4046  # "No need to change margin type."


class BinanceUsdmVenue(BinanceVenueBase):
    MARKET = MarketType.USDM

    async def place_order(self, order: Order) -> PlaceOutcome:
        self._symbol(order.instrument_id)
        if usdm_wire.is_conditional(order):
            return await self._place_algo(order, usdm_wire.algo_params(order))
        what = f"place {order.client_order_id}"
        params = usdm_wire.order_params(order)
        result = await self._attempt(what, self._client.futures_create_order(**params))
        return await self._placed(
            what,
            order,
            result,
            lambda body: usdm_wire.order_report(body, order.instrument_id, "order"),
        )

    async def place_close_position(self, order: Order) -> PlaceOutcome:
        self._symbol(order.instrument_id)
        return await self._place_algo(order, usdm_wire.algo_params(order, close_position=True))

    async def _place_algo(self, order: Order, params: dict[str, Any]) -> PlaceOutcome:
        what = f"place algo {order.client_order_id}"
        result = await self._attempt(what, self._client.futures_create_algo_order(**params))
        return await self._placed(
            what,
            order,
            result,
            lambda body: usdm_wire.algo_report(body, order.instrument_id, "algoOrder"),
        )

    async def cancel_order(
        self, instrument_id: InstrumentId, client_order_id: str
    ) -> CancelOutcome:
        symbol = self._symbol(instrument_id)
        what = f"cancel {client_order_id}"
        call = self._client.futures_cancel_order(symbol=symbol, origClientOrderId=client_order_id)
        result = await self._attempt(what, call)
        if not isinstance(result, VenueFailure):
            return Canceled(client_order_id, self._quiet_report(result, instrument_id))
        if result.kind is not FailureKind.NOT_FOUND:
            return cancel_failure(result)
        # Algo ids are account-wide: Binance's algo query and cancel take no symbol.
        call = self._client.futures_cancel_algo_order(clientAlgoId=client_order_id)
        result = await self._attempt(f"cancel algo {client_order_id}", call)
        if isinstance(result, VenueFailure):
            return cancel_failure(result)
        return Canceled(client_order_id, await self._query_quietly(instrument_id, client_order_id))

    async def cancel_all(self, instrument_id: InstrumentId) -> CancelAllOutcome:
        symbol = self._symbol(instrument_id)
        for what, cancel in (
            (f"cancel all {symbol}", self._client.futures_cancel_all_open_orders),
            (f"cancel all algo {symbol}", self._client.futures_cancel_all_algo_open_orders),
        ):
            result = await self._attempt(what, cancel(symbol=symbol))
            if isinstance(result, VenueFailure):
                return cancel_all_failure(instrument_id, result)
        return CanceledAll(instrument_id)

    async def query_order(
        self, instrument_id: InstrumentId, client_order_id: str
    ) -> OrderReport | None:
        symbol = self._symbol(instrument_id)
        body = await self._lookup(
            f"query {client_order_id}",
            self._client.futures_get_order(symbol=symbol, origClientOrderId=client_order_id),
        )
        if body is not None:
            report = usdm_wire.order_report(body, instrument_id, "order")
        else:
            body = await self._lookup(
                f"query algo {client_order_id}",
                self._client.futures_get_algo_order(clientAlgoId=client_order_id),
            )
            if body is None or Reader(body, "algoOrder").text("symbol") != symbol:
                return None  # algo ids are account-wide; another symbol's is not this order
            report = usdm_wire.algo_report(body, instrument_id, "algoOrder")
        self._remember(report)
        return report

    async def open_orders(self, instrument_id: InstrumentId | None = None) -> list[OrderReport]:
        params = {} if instrument_id is None else {"symbol": self._symbol(instrument_id)}
        rows = await self._read("open orders", self._client.futures_get_open_orders(**params))
        algos = await self._read(
            "open algo orders", self._client.futures_get_open_algo_orders(**params)
        )
        reports = [self._row(row, "openOrders", usdm_wire.order_report) for row in _list(rows)]
        reports += [self._row(row, "openAlgoOrders", usdm_wire.algo_report) for row in _list(algos)]
        for report in reports:
            self._remember(report)
        return reports

    async def trades_since(self, instrument_id: InstrumentId, since: datetime) -> list[Fill]:
        symbol = self._symbol(instrument_id)
        fetch = self._client.futures_account_trades
        rows = await self._trade_rows("userTrades", fetch, symbol, to_epoch_ms(since))
        ids = await self._client_ids(rows, "userTrades", self._client.futures_get_order, symbol)
        fills = [
            usdm_wire.trade_fill(
                row, instrument_id, ids[Reader(row, "userTrades").ident("orderId")]
            )
            for row in rows
        ]
        return sorted(fills, key=lambda fill: (fill.ts, int(fill.trade_id)))

    async def account(self) -> AccountSnapshot:
        return usdm_wire.balances(
            await self._read("balance", self._client.futures_account_balance())
        )

    async def positions(self, instrument_id: InstrumentId | None = None) -> list[PositionReport]:
        params = {} if instrument_id is None else {"symbol": self._symbol(instrument_id)}
        rows = await self._read("positionRisk", self._client.futures_position_information(**params))
        settings = usdm_wire.position_settings(
            await self._read("account", self._client.futures_account())
        )
        found = []
        for row in _list(rows):
            symbol = Reader(row, "positionRisk").text("symbol")
            report = usdm_wire.position_report(row, self._instrument(symbol), settings)
            if report is not None:
                found.append(report)
        return found

    async def funding_fees(
        self, instrument_id: InstrumentId, since: datetime
    ) -> list[tuple[datetime, Decimal]]:
        """(time, amount) of the funding booked on ``instrument_id`` from ``since`` on, oldest
        first (``/fapi/v1/income``, type ``FUNDING_FEE``; negative: the position paid)."""
        symbol = self._symbol(instrument_id)
        rows = await self._read(
            f"income {symbol}",
            self._client.futures_income_history(
                symbol=symbol, incomeType="FUNDING_FEE", startTime=to_epoch_ms(since), limit=1000
            ),
        )
        found = []
        for row in _list(rows):
            r = Reader(row, "income")
            found.append((r.time("time"), r.decimal("income")))
        return sorted(found)

    async def set_leverage(self, instrument_id: InstrumentId, leverage: int) -> int:
        symbol = self._symbol(instrument_id)
        body = await self._read(
            f"leverage {symbol}",
            self._client.futures_change_leverage(symbol=symbol, leverage=leverage),
        )
        return Reader(body, "leverage").integer("leverage")

    async def set_margin_type(self, instrument_id: InstrumentId, margin_type: MarginType) -> None:
        symbol = self._symbol(instrument_id)
        what = f"margin type {symbol}"
        name = usdm_wire.MARGIN_TYPE_NAMES[margin_type]
        result = await self._attempt(
            what, self._client.futures_change_margin_type(symbol=symbol, marginType=name)
        )
        if isinstance(result, VenueFailure) and result.code != _MARGIN_UNCHANGED:
            raise as_error(what, result)

    async def arm_dead_man_switch(self, instrument_id: InstrumentId, timeout: timedelta) -> None:
        symbol = self._symbol(instrument_id)
        ms = timeout // timedelta(milliseconds=1)
        if ms < 0:
            raise DomainValueError(f"dead-man switch timeout must not be negative, got {timeout}")
        await self._read(
            f"countdown cancel all {symbol}",
            self._client.futures_countdown_cancel_all(symbol=symbol, countdownTime=ms),
        )

    async def instruments(self, symbols: Sequence[str] | None = None) -> list[Instrument]:
        body = await self._read("exchangeInfo", self._client.futures_exchange_info())
        return parse_exchange_info(body, venue=self._venue, market=self.MARKET, symbols=symbols)

    async def start_user_stream(self) -> str:
        return await self._listen_key("listenKey", self._client.futures_stream_get_listen_key())

    async def keepalive_user_stream(self, listen_key: str) -> None:
        await self._read(
            "listen key keepalive", self._client.futures_stream_keepalive(listenKey=listen_key)
        )

    async def close_user_stream(self, listen_key: str) -> None:
        await self._read(
            "listen key close", self._client.futures_stream_close(listenKey=listen_key)
        )

    async def _server_ms(self) -> int:
        body = await self._read("time", self._client.futures_time())
        return Reader(body, "time").integer("serverTime")

    def _row(
        self, row: Any, endpoint: str, parse: Callable[[Any, InstrumentId, str], OrderReport]
    ) -> OrderReport:
        symbol = Reader(row, endpoint).text("symbol")
        return parse(row, self._instrument(symbol), endpoint)

    def _quiet_report(self, body: Any, instrument_id: InstrumentId) -> OrderReport | None:
        try:
            return usdm_wire.order_report(body, instrument_id, "cancel")
        except BadVenueAnswer:
            return None


def _list(body: Any) -> list[Any]:
    if not isinstance(body, list):
        raise BadVenueAnswer("expected a list", endpoint="open orders")
    return body
