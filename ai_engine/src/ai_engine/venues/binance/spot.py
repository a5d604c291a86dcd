"""The Binance spot adapter: ``ExecutionVenue`` over python-binance's ``AsyncClient``.

Async because the trader is one asyncio loop per bot and the user data stream, keepalives
and reconciliation run in it; an execution worker drives it from a loop of its own. Build it
with ``BinanceSpotVenue.connect(endpoints, credentials, allow_live=...)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ai_engine.domain import (
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
    OrderReport,
    PlaceOutcome,
)
from ai_engine.venues.binance import spot_wire
from ai_engine.venues.binance.base import BinanceVenueBase, cancel_all_failure, cancel_failure
from ai_engine.venues.binance.failures import VenueFailure
from ai_engine.venues.binance.instruments_wire import parse_exchange_info
from ai_engine.venues.binance.wire import BadVenueAnswer, Reader


class BinanceSpotVenue(BinanceVenueBase):
    MARKET = MarketType.SPOT

    async def place_order(self, order: Order) -> PlaceOutcome:
        self._symbol(order.instrument_id)
        params = spot_wire.order_params(order)
        what = f"place {order.client_order_id}"
        result = await self._attempt(what, self._client.create_order(**params))
        return await self._placed(
            what,
            order,
            result,
            lambda body: spot_wire.order_report(body, order.instrument_id, "order", sent=order),
        )

    async def cancel_order(
        self, instrument_id: InstrumentId, client_order_id: str
    ) -> CancelOutcome:
        symbol = self._symbol(instrument_id)
        what = f"cancel {client_order_id}"
        call = self._client.cancel_order(symbol=symbol, origClientOrderId=client_order_id)
        result = await self._attempt(what, call)
        if isinstance(result, VenueFailure):
            return cancel_failure(result)
        try:
            report: OrderReport | None = spot_wire.order_report(result, instrument_id, "cancel")
        except BadVenueAnswer:
            report = None  # canceled all the same: the venue said so
        return Canceled(client_order_id, report)

    async def cancel_all(self, instrument_id: InstrumentId) -> CancelAllOutcome:
        symbol = self._symbol(instrument_id)
        result = await self._attempt(
            f"cancel all {symbol}", self._client.cancel_all_open_orders(symbol=symbol)
        )
        if isinstance(result, VenueFailure):
            return cancel_all_failure(instrument_id, result)
        return CanceledAll(instrument_id)

    async def query_order(
        self, instrument_id: InstrumentId, client_order_id: str
    ) -> OrderReport | None:
        symbol = self._symbol(instrument_id)
        body = await self._lookup(
            f"query {client_order_id}",
            self._client.get_order(symbol=symbol, origClientOrderId=client_order_id),
        )
        if body is None:
            return None
        report = spot_wire.order_report(body, instrument_id, "order")
        self._remember(report)
        return report

    async def open_orders(self, instrument_id: InstrumentId | None = None) -> list[OrderReport]:
        params = {} if instrument_id is None else {"symbol": self._symbol(instrument_id)}
        rows = await self._read("open orders", self._client.get_open_orders(**params))
        reports = [self._row_report(row, "openOrders") for row in _list(rows, "openOrders")]
        for report in reports:
            self._remember(report)
        return reports

    async def trades_since(self, instrument_id: InstrumentId, since: datetime) -> list[Fill]:
        symbol = self._symbol(instrument_id)
        rows = await self._trade_rows(
            "myTrades", self._client.get_my_trades, symbol, to_epoch_ms(since)
        )
        ids = await self._client_ids(rows, "myTrades", self._client.get_order, symbol)
        fills = [
            spot_wire.trade_fill(row, instrument_id, ids[Reader(row, "myTrades").ident("orderId")])
            for row in rows
        ]
        return sorted(fills, key=lambda fill: (fill.ts, int(fill.trade_id)))

    async def account(self) -> AccountSnapshot:
        body = await self._read("account", self._client.get_account(omitZeroBalances="true"))
        return spot_wire.account_snapshot(body)

    async def instruments(self, symbols: Sequence[str] | None = None) -> list[Instrument]:
        body = await self._read("exchangeInfo", self._client.get_exchange_info())
        return parse_exchange_info(body, venue=self._venue, market=self.MARKET, symbols=symbols)

    async def start_user_stream(self) -> str:
        return await self._listen_key("userDataStream", self._client.stream_get_listen_key())

    async def keepalive_user_stream(self, listen_key: str) -> None:
        await self._read(
            "listen key keepalive", self._client.stream_keepalive(listenKey=listen_key)
        )

    async def close_user_stream(self, listen_key: str) -> None:
        await self._read("listen key close", self._client.stream_close(listenKey=listen_key))

    async def _server_ms(self) -> int:
        body = await self._read("time", self._client.get_server_time())
        return Reader(body, "time").integer("serverTime")

    def _row_report(self, row: Any, endpoint: str) -> OrderReport:
        symbol = Reader(row, endpoint).text("symbol")
        return spot_wire.order_report(row, self._instrument(symbol), endpoint)


def _list(body: Any, endpoint: str) -> list[Any]:
    if not isinstance(body, list):
        raise BadVenueAnswer("expected a list", endpoint=endpoint)
    return body
