"""A local fake of the Telegram Bot API, speaking its HTTP protocol (``/bot<token>/<method>``).

python-telegram-bot is pointed at it with ``base_url=f"{fake.url}/bot"`` (the token is appended).
Implemented: getMe, deleteWebhook, getUpdates (long polling, honours ``offset`` and
``timeout``), sendMessage, answerCallbackQuery, editMessageText, setMyCommands. Parameters arrive
form-encoded (what PTB sends) or as JSON. A wrong token answers 401 like Telegram.

Test side: ``push_command(chat_id, "/status")`` and ``push_callback(chat_id, data)`` queue
updates as Telegram would deliver them; ``messages`` records every sendMessage;
``await wait_for_messages(chat_id, n)`` waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 777000


@dataclass
class Sent:
    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None


@dataclass
class FakeBotApi:
    token: str
    url: str = ""
    updates: list[dict[str, Any]] = field(default_factory=list)
    messages: list[Sent] = field(default_factory=list)
    answered_callbacks: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- test side ---------------------------------------------------------------------------
    def _user(self, chat_id: int) -> dict[str, Any]:
        return {"id": chat_id, "is_bot": False, "first_name": "operator"}

    async def _push(self, update: dict[str, Any]) -> None:
        async with self._changed:
            update["update_id"] = next(self._ids)
            self.updates.append(update)
            self._changed.notify_all()

    async def push_command(self, chat_id: int, text: str) -> None:
        command = text.split()[0]
        await self._push(
            {
                "message": {
                    "message_id": next(self._ids),
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"},
                    "from": self._user(chat_id),
                    "text": text,
                    "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
                }
            }
        )

    async def push_callback(self, chat_id: int, data: str) -> None:
        await self._push(
            {
                "callback_query": {
                    "id": str(next(self._ids)),
                    "from": self._user(chat_id),
                    "chat_instance": str(chat_id),
                    "data": data,
                    "message": {
                        "message_id": next(self._ids),
                        "date": int(time.time()),
                        "chat": {"id": chat_id, "type": "private"},
                        "from": {"id": BOT_ID, "is_bot": True, "first_name": "TradingBot"},
                        "text": "Emergency stop?",
                    },
                }
            }
        )

    def to(self, chat_id: int) -> list[Sent]:
        return [m for m in self.messages if m.chat_id == chat_id]

    async def wait_for_messages(self, chat_id: int, count: int, timeout: float = 15) -> list[Sent]:
        async def enough() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.to(chat_id)) >= count)

        try:
            await asyncio.wait_for(enough(), timeout)
        except TimeoutError:
            got = [m.text for m in self.to(chat_id)]
            raise AssertionError(f"chat {chat_id}: wanted {count} messages, got {got}") from None
        return self.to(chat_id)

    async def wait_for_text(
        self, chat_id: int, needle: str, timeout: float = 15, *, after: int = 0
    ) -> Sent:
        """The first message to ``chat_id`` (from its ``after``-th on) containing ``needle``."""

        def hits() -> list[Sent]:
            return [m for m in self.to(chat_id)[after:] if needle in m.text]

        async def found() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: bool(hits()))

        try:
            await asyncio.wait_for(found(), timeout)
        except TimeoutError:
            got = [m.text for m in self.to(chat_id)]
            raise AssertionError(f"chat {chat_id}: no message with {needle!r} in {got}") from None
        return hits()[0]

    # --- the Bot API -------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update({k: v for k, v in (await request.post()).items()})
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        self.calls.append(method)
        params = await self._params(request)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
                status=404,
            )
        return web.json_response({"ok": True, "result": await handler(params)})

    async def _m_getme(self, _p: dict[str, Any]) -> Any:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "TradingBot",
            "username": "tradingbot_test_bot",
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_deletewebhook(self, _p: dict[str, Any]) -> Any:
        return True

    async def _m_setmycommands(self, _p: dict[str, Any]) -> Any:
        return True

    async def _m_getupdates(self, p: dict[str, Any]) -> Any:
        offset = int(p.get("offset") or 0)
        timeout = float(p.get("timeout") or 0)
        limit = int(p.get("limit") or 100)

        def pending() -> list[dict[str, Any]]:
            return [u for u in self.updates if u["update_id"] >= offset][:limit]

        async with self._changed:
            if not pending() and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait_for(lambda: bool(pending())), timeout)
            return pending()

    async def _m_sendmessage(self, p: dict[str, Any]) -> Any:
        markup = p.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        chat_id = int(p["chat_id"])
        async with self._changed:
            self.messages.append(Sent(chat_id, str(p["text"]), markup))
            self._changed.notify_all()
        return {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "TradingBot"},
            "text": str(p["text"]),
        }

    async def _m_answercallbackquery(self, p: dict[str, Any]) -> Any:
        self.answered_callbacks.append(str(p.get("callback_query_id")))
        return True

    async def _m_editmessagetext(self, p: dict[str, Any]) -> Any:
        return await self._m_sendmessage(p)
