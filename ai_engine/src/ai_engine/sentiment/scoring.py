"""Scoring one article with Claude: structured output through a forced tool call.

Rules:
* The request is the versioned prompt (``prompt.py``): its system text, the article rendered
  into its user template, its ``record_sentiment`` tool, and ``tool_choice`` forcing that tool.
* The answer's tool input is validated (``scores.validate_answer``); anything else (no tool
  call, a bad field, a failed call) gives a neutral score with the reason in ``error``
  (``status="error"``); no key or no budget left gives ``status="skipped"`` (nothing sent).
* Cache: a successful score is kept per (source, article id, model, prompt hash); the same
  article is never sent twice for the same prompt and model. ``ScoreCache`` is the port; the
  pipeline also asks the store first, so the cache survives restarts.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

from ai_engine.domain.clock import Clock
from ai_engine.sentiment.articles import Article
from ai_engine.sentiment.claude import Claude, ClaudeFailed
from ai_engine.sentiment.prompt import Prompt, current_prompt
from ai_engine.sentiment.scores import InvalidScore, Score, neutral, validate_answer

CacheKey = tuple[str, str, str, str]  # source, article id, model, prompt hash


class ScoreCache(Protocol):
    def get(self, key: CacheKey) -> Score | None: ...

    def put(self, key: CacheKey, score: Score) -> None: ...


class MemoryScoreCache:
    def __init__(self, size: int = 10_000) -> None:
        self._items: OrderedDict[CacheKey, Score] = OrderedDict()
        self._size = size

    def get(self, key: CacheKey) -> Score | None:
        score = self._items.get(key)
        if score is not None:
            self._items.move_to_end(key)
        return score

    def put(self, key: CacheKey, score: Score) -> None:
        self._items[key] = score
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


class ClaudeScorer:
    def __init__(
        self,
        claude: Claude,
        clock: Clock,
        *,
        prompt: Prompt | None = None,
        cache: ScoreCache | None = None,
    ) -> None:
        self.claude = claude
        self.clock = clock
        self.prompt = prompt or current_prompt()
        self.cache = cache if cache is not None else MemoryScoreCache()

    def cache_key(self, article: Article) -> CacheKey:
        return (article.source, article.id, self.claude.model, self.prompt.hash)

    async def score(self, article: Article) -> Score:
        key = self.cache_key(article)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        tokens = (0, 0)
        try:
            message = await self.claude.create(
                max_tokens=self.prompt.max_tokens,
                system=self.prompt.system,
                messages=[{"role": "user", "content": self.prompt.render(article)}],
                tools=[self.prompt.tool],
                tool_choice={"type": "tool", "name": self.prompt.tool["name"]},
            )
            tokens = (message.usage.input_tokens, message.usage.output_tokens)
            calls = [b for b in message.content if b.type == "tool_use"]
            if not calls or calls[0].name != self.prompt.tool["name"]:
                raise InvalidScore(
                    f"model answer: no {self.prompt.tool['name']} tool call "
                    f"(stop_reason {message.stop_reason})"
                )
            answer = validate_answer(calls[0].input)
        except ClaudeFailed as exc:
            status = "skipped" if exc.budget else "error"
            return self._neutral(article, status, str(exc), exc.tokens)
        except InvalidScore as exc:
            return self._neutral(article, "error", str(exc), tokens)
        score = Score(
            source=article.source,
            article_id=article.id,
            status="ok",
            sentiment=answer.sentiment,
            relevance=answer.relevance,
            confidence=answer.confidence,
            assets=tuple(sorted({*answer.assets, *article.assets})),
            rationale=answer.rationale,
            model=self.claude.model,
            prompt_version=self.prompt.version,
            prompt_hash=self.prompt.hash,
            scored_at=self.clock.now(),
            input_tokens=tokens[0],
            output_tokens=tokens[1],
        )
        self.cache.put(key, score)
        return score

    def _neutral(
        self, article: Article, status: str, reason: str, tokens: tuple[int, int]
    ) -> Score:
        return neutral(
            article,
            status="skipped" if status == "skipped" else "error",
            reason=reason,
            model=self.claude.model,
            prompt_version=self.prompt.version,
            prompt_hash=self.prompt.hash,
            scored_at=self.clock.now(),
            input_tokens=tokens[0],
            output_tokens=tokens[1],
        )
