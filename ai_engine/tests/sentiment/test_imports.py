"""Architecture rules: sentiment imports domain, httpx and anthropic only; ensemble adds
strategies, sentiment and ml; neither imports the store, the API or settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from domain.test_domain_imports import foreign_imports

import ai_engine.ensemble
import ai_engine.sentiment

ALLOWED = {
    "sentiment": ("ai_engine.sentiment", "httpx", "anthropic"),
    "ensemble": ("ai_engine.sentiment", "ai_engine.ensemble", "ai_engine.strategies",
                 "ai_engine.ml"),
}  # fmt: skip


def _allowed(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("package", [ai_engine.sentiment, ai_engine.ensemble])
def test_package_imports_follow_the_rule(package: object) -> None:
    root = Path(package.__file__).parent  # type: ignore[attr-defined]
    prefixes = ALLOWED[root.name]
    bad = {
        f"{path.relative_to(root)}: {name}"
        for path in root.rglob("*.py")
        for name in foreign_imports(path.read_text())
        if not _allowed(name, prefixes)
    }
    assert bad == set()


def test_the_rule_sees_a_store_import() -> None:
    assert foreign_imports("from ai_engine.store.sentiment import X\n") == [
        "ai_engine.store.sentiment"
    ]
