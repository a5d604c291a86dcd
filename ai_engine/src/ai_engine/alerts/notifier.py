"""Every message the bot sends goes through here: redacted, rate-limited, never raising.

``Notifier.send(chat_id, text)`` redacts secrets (``redact.Redactor``), cuts the text to
Telegram's 4096 characters, waits for the rate limiter (``ratelimit.SendLimiter``), and sends with
python-telegram-bot's ``Bot.send_message``. Telegram's own ``RetryAfter`` is honoured once; a
network or API error is logged (redacted) and reported as ``False``: a flaky Telegram must never
stop the alert loop or the trader behind it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import RetryAfter, TelegramError

from ai_engine.alerts.ratelimit import SendLimiter
from ai_engine.alerts.redact import Redactor

MAX_TEXT = 4096
log = logging.getLogger(__name__)


class Notifier:
    def __init__(
        self,
        bot: Bot,
        chat_ids: Sequence[int],
        *,
        redactor: Redactor,
        limiter: SendLimiter | None = None,
    ) -> None:
        self.bot = bot
        self.chat_ids = tuple(chat_ids)
        self.redact = redactor
        self.limiter = limiter or SendLimiter()

    async def send(
        self, chat_id: int, text: str, *, reply_markup: InlineKeyboardMarkup | None = None
    ) -> bool:
        body = self.redact(text)
        if len(body) > MAX_TEXT:
            body = body[: MAX_TEXT - 1] + "…"
        for attempt in (1, 2):
            await self.limiter.acquire(chat_id)
            try:
                await self.bot.send_message(chat_id=chat_id, text=body, reply_markup=reply_markup)
                return True
            except RetryAfter as exc:
                if attempt == 2:
                    break
                delay = exc.retry_after
                seconds = delay if isinstance(delay, int | float) else delay.total_seconds()
                await asyncio.sleep(min(float(seconds), 60.0))
            except TelegramError as exc:
                log.warning("telegram send to %s failed: %s", chat_id, self.redact(str(exc)))
                return False
        return False

    async def broadcast(self, text: str) -> int:
        """Send to every authorised chat; returns how many took it."""
        sent = 0
        for chat_id in self.chat_ids:
            sent += await self.send(chat_id, text)
        return sent
