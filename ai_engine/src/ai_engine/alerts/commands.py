"""The Telegram commands, answered only in the authorised chats.

``build_application(...)`` returns a python-telegram-bot ``Application`` whose handlers all sit
behind ``filters.Chat(chat_ids)``: a message from any other chat matches no handler and gets no
answer at all (not even "unauthorised": the bot does not confirm it exists). Callback queries
(the emergency confirmation buttons) are checked the same way.

Commands: ``/status``, ``/positions``, ``/pnl``, ``/daily``, ``/trades``, ``/signal SYMBOL``,
``/pause [bot]``, ``/resume [bot]``, ``/stop [bot]``, ``/emergency`` (asks to confirm with a
button or ``/emergency CONFIRM``; the button expires after ``CONFIRM_WINDOW``), ``/help``.
Without a bot id the control commands act on every bot in a state they apply to. Answers go
through the ``Notifier`` (redacted, rate-limited).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from ai_engine.alerts.notifier import Notifier
from ai_engine.alerts.views import EngineView
from ai_engine.events import Command

CONFIRM_WINDOW = 60.0  # seconds an /emergency confirmation button stays valid
HELP = """Commands
/status - bots and their state
/positions - open positions
/pnl - realised and unrealised P&L, equity, drawdown
/daily - today's closed trades and P&L
/trades - the last 10 closed trades
/signal SYMBOL - the current signal for a symbol
/pause [bot] - pause (no new entries)
/resume [bot] - resume a paused bot
/stop [bot] - stop a bot
/emergency - flatten and halt every bot (asks to confirm)
/help - this list"""

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


class Commands:
    def __init__(
        self,
        view: EngineView,
        notifier: Notifier,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.view = view
        self.notifier = notifier
        self._clock = clock
        self._pending_emergency: dict[int, float] = {}

    async def _reply(self, update: Update, text: str, markup: Any = None) -> None:
        chat = update.effective_chat
        if chat is not None:
            await self.notifier.send(chat.id, text, reply_markup=markup)

    def _answering(self, produce: Callable[[list[str]], Awaitable[str]]) -> Handler:
        async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            try:
                text = await produce(list(context.args or []))
            except Exception as exc:  # a command must answer, whatever broke behind it
                text = f"Sorry, that failed: {type(exc).__name__}: {exc}"
            await self._reply(update, text)

        return handle

    def _control(self, command: Command) -> Handler:
        async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            chat = update.effective_chat
            actor = f"telegram:{chat.id if chat else '?'}"
            try:
                text = await self.view.control(
                    command, list(context.args or []), actor=actor, reason=f"telegram /{command}"
                )
            except Exception as exc:  # say so in the chat: the operator must know it failed
                text = f"{command.value} FAILED: {type(exc).__name__}: {exc}"
            await self._reply(update, text)

        return handle

    async def emergency(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        if [a.upper() for a in context.args or []] == ["CONFIRM"]:
            await self._emergency_now(update, chat.id)
            return
        self._pending_emergency[chat.id] = self._clock()
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("CONFIRM emergency stop", callback_data="emergency:yes"),
                    InlineKeyboardButton("Cancel", callback_data="emergency:no"),
                ]
            ]
        )
        await self._reply(
            update,
            "Emergency stop: cancel open orders, flatten every position and halt every bot?\n"
            f"Press CONFIRM within {CONFIRM_WINDOW:.0f} s, or send /emergency CONFIRM.",
            markup,
        )

    async def _emergency_now(self, update: Update, chat_id: int) -> None:
        self._pending_emergency.pop(chat_id, None)
        try:
            text = await self.view.control(
                Command.EMERGENCY_STOP,
                [],
                actor=f"telegram:{chat_id}",
                reason="telegram /emergency",
            )
        except Exception as exc:  # say so in the chat: the operator must act another way
            text = f"FAILED ({type(exc).__name__}: {exc}); use `tradingbot` or the dashboard"
        await self._reply(update, f"EMERGENCY STOP: {text}")

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, chat = update.callback_query, update.effective_chat
        if query is None or chat is None or chat.id not in self.notifier.chat_ids:
            return  # not an authorised chat: no answer at all
        await query.answer()
        asked = self._pending_emergency.get(chat.id)
        if query.data == "emergency:no":
            self._pending_emergency.pop(chat.id, None)
            await self._reply(update, "Emergency stop cancelled.")
        elif query.data == "emergency:yes" and asked is not None:
            if self._clock() - asked <= CONFIRM_WINDOW:
                await self._emergency_now(update, chat.id)
            else:
                self._pending_emergency.pop(chat.id, None)
                await self._reply(update, "That confirmation expired; send /emergency again.")
        else:
            await self._reply(update, "Nothing to confirm; send /emergency first.")

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply(update, HELP)

    async def unknown(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply(update, "Unknown command. /help lists them.")

    def handlers(self, chat_ids: Sequence[int]) -> list[Any]:
        only = filters.Chat(chat_id=list(chat_ids))

        async def signal(args: list[str]) -> str:
            if len(args) != 1:
                return "Usage: /signal SYMBOL (e.g. /signal BTCUSDT)"
            return await self.view.signal(args[0])

        answers: dict[str, Callable[[list[str]], Awaitable[str]]] = {
            "status": lambda _a: self.view.status(),
            "positions": lambda _a: self.view.positions(),
            "pnl": lambda _a: self.view.pnl(),
            "daily": lambda _a: self.view.daily(datetime.now(UTC)),
            "trades": lambda _a: self.view.trades(),
            "signal": signal,
        }
        out: list[Any] = [
            CommandHandler(name, self._answering(fn), filters=only) for name, fn in answers.items()
        ]
        for name, command in (
            ("pause", Command.PAUSE),
            ("resume", Command.RESUME),
            ("stop", Command.STOP),
        ):
            out.append(CommandHandler(name, self._control(command), filters=only))
        out += [
            CommandHandler("emergency", self.emergency, filters=only),
            CommandHandler(["help", "start"], self.help, filters=only),
            CallbackQueryHandler(self.button, pattern=r"^emergency:"),
            MessageHandler(only & filters.COMMAND, self.unknown),
        ]
        return out


def build_application(token: str, base_url: str) -> Application[Any, Any, Any, Any, Any, Any]:
    """The polling application (no job queue, no persistence); its ``bot`` sends everything."""
    return ApplicationBuilder().token(token).base_url(base_url).job_queue(None).build()


def install(
    app: Application[Any, Any, Any, Any, Any, Any], commands: Commands, chat_ids: Sequence[int]
) -> None:
    for handler in commands.handlers(chat_ids):
        app.add_handler(handler)
