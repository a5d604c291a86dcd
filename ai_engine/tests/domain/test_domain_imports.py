"""The domain imports the standard library and itself, nothing else (architecture rule)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import ai_engine.domain

DOMAIN_DIR = Path(ai_engine.domain.__file__).parent


def foreign_imports(source: str) -> list[str]:
    """Modules imported by ``source`` that are neither stdlib nor ``ai_engine.domain``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: only allowed within the package itself
                if node.level > 1:
                    found.append("." * node.level + (node.module or ""))
                continue
            names = [node.module or ""]
        else:
            continue
        for name in names:
            allowed = name.split(".")[0] in sys.stdlib_module_names or (
                name == "ai_engine.domain" or name.startswith("ai_engine.domain.")
            )
            if not allowed:
                found.append(name)
    return found


def test_checker_flags_foreign_imports() -> None:
    source = "import numpy\nfrom pydantic import BaseModel\nfrom ai_engine.store import x\n"
    source += (
        "from ..marketdata import y\nimport decimal\nfrom ai_engine.domain.enums import Venue\n"
    )
    assert foreign_imports(source) == ["numpy", "pydantic", "ai_engine.store", "..marketdata"]


def test_domain_modules_import_only_stdlib_and_domain() -> None:
    modules = sorted(DOMAIN_DIR.rglob("*.py"))
    assert len(modules) > 10  # the walk really found the package
    offenders = {
        str(path.relative_to(DOMAIN_DIR)): bad
        for path in modules
        if (bad := foreign_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
