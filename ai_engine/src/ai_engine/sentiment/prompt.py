"""The versioned scoring prompt: a TOML file shipped in the package, identified by its sha256.

Rules: a released prompt file is never edited; a change is a new file (``news_v2.toml``) and a
new ``CURRENT``. ``Prompt.hash`` is the sha256 of the file's bytes, stored with every score, so
the cache and the point-in-time queries never mix scores of different prompts (or models).
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ai_engine.sentiment.articles import Article

PROMPTS = Path(__file__).resolve().parent / "prompts"
CURRENT = "news_v1.toml"


@dataclass(frozen=True)
class Prompt:
    version: str
    hash: str  # sha256 hex of the file
    system: str
    user: str
    tool: dict[str, Any]
    max_tokens: int

    def render(self, article: Article) -> str:
        return self.user.format(
            source=article.source,
            published_at=article.published_at.isoformat(),
            title=article.title,
            summary=article.summary[:2000] or "(none)",
            assets=", ".join(article.assets) or "(none)",
        )


def load_prompt(path: Path) -> Prompt:
    raw = path.read_bytes()
    data = tomllib.loads(raw.decode("utf-8"))
    return Prompt(
        version=str(data["version"]),
        hash=hashlib.sha256(raw).hexdigest(),
        system=str(data["system"]).strip(),
        user=str(data["user"]).strip(),
        tool=dict(data["tool"]),
        max_tokens=int(data["max_tokens"]),
    )


@cache
def current_prompt() -> Prompt:
    return load_prompt(PROMPTS / CURRENT)
