"""Claude through the ``anthropic`` SDK: one guarded call path shared by scoring and summaries.

Rules:
* No key -> ``Claude.disabled_reason`` says so and no call is ever made (sentiment neutral).
* Every call waits for the ``RateLimiter``, is refused when the ``TokenBudget`` is used up,
  and spends the tokens of the response's ``usage`` (input + output).
* Every SDK failure (timeout, connection error, 4xx/5xx, an answer the SDK cannot read) becomes
  ``ClaudeFailed`` with a one-line message; callers turn it into a neutral score or a template
  text, never a crash. Messages never contain the API key (``redact``).
* The SDK's *sync* client runs in a worker thread: it is not tied to an event loop, so one
  client serves the API's requests (each may run on a different loop) and the CLI alike.
* Every answer's ``usage`` is also told to ``on_usage`` (``UsageObserver``: model, input and
  output tokens) when the composition root gives one -- the API passes the metrics hook
  ``metrics.definitions.count_claude_tokens`` (sentiment imports no metrics); an observer that
  raises is logged and ignored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ai_engine.domain.errors import RetryableError
from ai_engine.sentiment.limits import RateLimiter, TokenBudget

if TYPE_CHECKING:  # anthropic takes over a second to import: only when a key is set
    import anthropic

log = logging.getLogger("ai_engine.sentiment")

UsageObserver = Callable[[str, int, int], None]
"""Told ``(model, input tokens, output tokens)`` of every Claude answer."""

DEFAULT_MODEL = "claude-haiku-4-5"
NO_KEY = "sentiment disabled: no Anthropic API key (set TRADINGBOT_ANTHROPIC_API_KEY)"


class ClaudeFailed(RetryableError):  # noqa: N818 - reads as "Claude failed"
    """A call to Claude failed or was not made (budget); ``str()`` says why, key-free."""

    def __init__(
        self, message: str, *, tokens: tuple[int, int] = (0, 0), budget: bool = False
    ) -> None:
        super().__init__(message)
        self.tokens = tokens  # (input, output) spent before the failure was noticed
        self.budget = budget  # refused by the budget: nothing was sent


def redact(text: str, secret: str | None) -> str:
    if secret:
        text = text.replace(secret, "[redacted]")
    return text


def _describe(exc: anthropic.APIError) -> str:
    import anthropic

    if isinstance(exc, anthropic.APITimeoutError):
        return "Claude request timed out"
    if isinstance(exc, anthropic.APIConnectionError):
        return "Claude unreachable (connection error)"
    if isinstance(exc, anthropic.APIStatusError):
        body = exc.body.get("error") if isinstance(exc.body, dict) else None
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            kind = body.get("type", "error")
            detail = f"({kind}) {' '.join(body['message'].split())[:200]}"
        else:
            detail = " ".join(exc.message.split())[:200]
        return f"Claude answered HTTP {exc.status_code}: {detail}"
    return f"Claude answer unreadable: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"


class Claude:
    def __init__(
        self,
        client: anthropic.Anthropic | None,
        *,
        model: str,
        budget: TokenBudget,
        limiter: RateLimiter,
        secret: str | None = None,
        disabled_reason: str | None = None,
        on_usage: UsageObserver | None = None,
    ) -> None:
        self._client = client
        self.on_usage = on_usage
        self.model = model
        self.budget = budget
        self.limiter = limiter
        self._secret = secret
        self.sent = 0  # requests actually sent
        self.disabled_reason = disabled_reason if client is None else None
        if client is None and disabled_reason is None:
            self.disabled_reason = NO_KEY

    def __repr__(self) -> str:
        return f"Claude(model={self.model!r}, enabled={self.enabled})"

    def close(self) -> None:
        """Close the SDK's connection pool (the owner calls this at shutdown)."""
        if self._client is not None:
            self._client.close()

    @property
    def enabled(self) -> bool:
        return self._client is not None

    async def create(self, **request: Any) -> anthropic.types.Message:
        """``messages.create(model=self.model, **request)`` under the limits (see module doc)."""
        if self._client is None:
            raise ClaudeFailed(self.disabled_reason or NO_KEY, budget=True)
        if self.budget.exhausted():
            raise ClaudeFailed(self.budget.reason(), budget=True)
        await self.limiter.wait()
        import anthropic

        client = self._client
        self.sent += 1
        try:
            message: anthropic.types.Message = await asyncio.to_thread(
                lambda: client.messages.create(model=self.model, **request)
            )
        except anthropic.APIError as exc:
            raise ClaudeFailed(redact(_describe(exc), self._secret)) from None
        usage = message.usage
        self.budget.spend(usage.input_tokens + usage.output_tokens)
        if self.on_usage is not None:
            try:
                self.on_usage(self.model, usage.input_tokens, usage.output_tokens)
            except Exception as exc:  # counting never fails a call
                log.warning("Claude usage observer failed: %s", exc)
        return message


def connect(
    api_key: str | None,
    *,
    budget: TokenBudget,
    limiter: RateLimiter,
    model: str = DEFAULT_MODEL,
    base_url: str | None = None,
    timeout_s: float = 20.0,
    max_retries: int = 2,
    on_usage: UsageObserver | None = None,
) -> Claude:
    """A ``Claude`` for ``api_key`` (None or empty: disabled, with the reason); ``on_usage`` is
    told the tokens of every answer (module docstring)."""
    if not api_key:
        return Claude(None, model=model, budget=budget, limiter=limiter, on_usage=on_usage)
    import anthropic

    client = anthropic.Anthropic(
        api_key=api_key, base_url=base_url, timeout=timeout_s, max_retries=max_retries
    )
    return Claude(
        client, model=model, budget=budget, limiter=limiter, secret=api_key, on_usage=on_usage
    )
