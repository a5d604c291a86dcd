"""A Claude-written one-paragraph summary of a decision, falling back to the template.

Rules: only when Claude is enabled (a key is set); the same budget and rate limit as scoring;
any failure (no key, budget, timeout, HTTP error, empty answer) returns the template text with
the reason, never an exception. Summaries are cached per caller-given key (symbol, bar, ...),
so a repeated GET of the same signal costs one call.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from ai_engine.ensemble.combine import Decision
from ai_engine.ensemble.explain import explain
from ai_engine.sentiment.claude import Claude, ClaudeFailed

SUMMARY_VERSION = "summary-v1"
_SYSTEM = (
    "You explain trading-signal decisions to a careful retail trader. Write one short "
    "paragraph (at most 80 words), plain language, no advice beyond the decision given, no "
    "invented numbers: use only the facts provided."
)


@dataclass(frozen=True)
class Summary:
    text: str
    source: str  # "claude" or "template"
    error: str | None = None


class SummaryWriter:
    def __init__(self, claude: Claude | None, *, cache_size: int = 1024) -> None:
        self.claude = claude
        self._cache: OrderedDict[Hashable, Summary] = OrderedDict()
        self._size = cache_size

    @staticmethod
    def template(decision: Decision, subject: str, reason: str | None = None) -> Summary:
        return Summary(explain(decision, subject), "template", reason)

    async def summarise(self, decision: Decision, subject: str, key: Hashable) -> Summary:
        template = explain(decision, subject)
        if self.claude is None or not self.claude.enabled:
            reason = None if self.claude is None else self.claude.disabled_reason
            return Summary(template, "template", reason)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        try:
            message = await self.claude.create(
                max_tokens=300,
                system=_SYSTEM,
                messages=[{"role": "user", "content": f"Decision facts: {template}"}],
            )
        except ClaudeFailed as exc:
            return Summary(template, "template", str(exc))
        text = " ".join(
            " ".join(b.text.split()) for b in message.content if b.type == "text"
        ).strip()
        if not text:
            return Summary(template, "template", "Claude answered no text")
        summary = Summary(text, "claude")
        self._cache[key] = summary
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return summary
