"""Write requirements.lock from the project's venv: exactly the installed distributions that
``ai_engine[dev]`` needs (walked through installed metadata), at their installed versions.

    .venv/bin/python ai_engine/scripts/lock_from_venv.py > ai_engine/requirements.lock

Tools installed by hand for benchmarks only (vectorbt and what only it pulls in) stay out.
"""

from __future__ import annotations

import contextlib
import re
import sys
from importlib import metadata

from packaging.markers import default_environment
from packaging.requirements import Requirement


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def needed(root: str, extras: set[str]) -> dict[str, str]:
    env = default_environment()
    found: dict[str, str] = {}
    todo: list[tuple[str, frozenset[str]]] = [(root, frozenset(extras))]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, wanted = todo.pop()
        if (canonical(name), wanted) in seen:
            continue
        seen.add((canonical(name), wanted))
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        found[canonical(name)] = f"{dist.metadata['Name']}=={dist.version}"
        for text in dist.requires or []:
            req = Requirement(text)
            active = any(
                req.marker is None or req.marker.evaluate({**env, "extra": extra})
                for extra in (wanted or {""})
            )
            if active:
                todo.append((req.name, frozenset(req.extras)))
    found.pop(canonical(root), None)
    return found


def main() -> None:
    pins = needed("ai_engine", {"dev"})
    for name in ("setuptools", "wheel"):  # what the venv itself brings
        with contextlib.suppress(metadata.PackageNotFoundError):
            pins.setdefault(name, f"{name}=={metadata.version(name)}")
    pins.pop("pip", None)
    sys.stdout.write("".join(f"{pin}\n" for pin in sorted(pins.values(), key=str.lower)))


if __name__ == "__main__":
    main()
