"""The Rails app (rails_app/: dashboard API, ActionCable, the event relay) as processes the
stack launcher starts: its environment, its one-off setup and its two long-running commands.

Rules:
- Ruby and every gem come from Debian packages; Bundler only ever runs `--local`.
- Rails runs in production mode against the engine's database (its own tables only) with a
  per-stack SECRET_KEY_BASE; ActionCable publishes on the engine's Redis server (database 1),
  the relay reads the engine's stream (EVENTS_REDIS_URL, the engine's Redis URL).
- `DATABASE_URL` is the libpq form (`postgresql://`): Rails knows no `+psycopg` driver suffix.
- Nothing here picks ports or decides lifetimes: that is `infra.stack`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ai_engine.infra.errors import ServiceError
from ai_engine.infra.urls import libpq_url

# ai_engine/src/ai_engine/infra/rails.py -> the repository root
REPO_ROOT = Path(__file__).resolve().parents[4]
RAILS_APP = REPO_ROOT / "rails_app"
SETUP_TIMEOUT = 180.0


@dataclass(frozen=True)
class RailsConfig:
    """What the Rails processes need to know (the stack fills it in)."""

    database_url: str  # the engine's SQLAlchemy URL
    redis_url: str  # the engine's Redis (its event stream lives in this database)
    engine_url: str
    engine_token: str
    port: int
    secret_key_base: str
    dashboard_dist: Path | None = None
    dashboard_origin: str = ""
    engine_timeout_s: float = 5.0
    demo_operator: tuple[str, str] = ("operator@example.com", "operator-demo")
    demo_viewer: tuple[str, str] = ("viewer@example.com", "viewer-demo")


def ruby_problem() -> str | None:
    """None when ruby, bundler and the Rails app are there, else what is missing."""
    for tool in ("ruby", "bundle"):
        if shutil.which(tool) is None:
            return (
                f"`{tool}` not found: run `make setup` (Debian packages ruby-rails, bundler, ...)"
            )
    if not (RAILS_APP / "Gemfile").is_file():
        return f"no Rails app at {RAILS_APP}"
    return None


def environment(config: RailsConfig, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every Rails process of the stack (`base`: os.environ by default)."""
    env = dict(os.environ if base is None else base)
    redis_server = config.redis_url.rsplit("/", 1)[0]
    env.update(
        {
            "RAILS_ENV": "production",
            "RAILS_LOG_TO_STDOUT": "1",
            "BUNDLE_SILENCE_ROOT_WARNING": "1",
            "SECRET_KEY_BASE": config.secret_key_base,
            "DATABASE_URL": libpq_url(config.database_url),
            "REDIS_URL": f"{redis_server}/1",
            "EVENTS_REDIS_URL": config.redis_url,
            "ENGINE_URL": config.engine_url,
            "ENGINE_API_TOKEN": config.engine_token,
            "ENGINE_TIMEOUT_S": f"{config.engine_timeout_s:g}",
            "PORT": str(config.port),
            "DASHBOARD_ORIGIN": config.dashboard_origin,
            "DEMO_OPERATOR_EMAIL": config.demo_operator[0],
            "DEMO_OPERATOR_PASSWORD": config.demo_operator[1],
            "DEMO_VIEWER_EMAIL": config.demo_viewer[0],
            "DEMO_VIEWER_PASSWORD": config.demo_viewer[1],
        }
    )
    if config.dashboard_dist is not None:
        env["DASHBOARD_DIST"] = str(config.dashboard_dist)
    else:
        env.pop("DASHBOARD_DIST", None)
    return env


def setup(env: dict[str, str], log: Path) -> None:
    """Resolve the gems from the installed Debian packages (`bundle install --local`, idempotent).

    Raises ServiceError with the log's tail when it fails.
    """
    step = ["bash", "-c", "bundle check >/dev/null 2>&1 || bundle install --local --quiet"]
    with log.open("ab") as out:
        try:
            result = subprocess.run(
                step, cwd=RAILS_APP, env=env, stdout=out, stderr=subprocess.STDOUT,
                timeout=SETUP_TIMEOUT, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            raise ServiceError(f"Rails setup (bundle) timed out; see {log}") from exc
    if result.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise ServiceError(f"Rails setup (bundle install --local) failed:\n{tail}")


def puma_command(pidfile: Path) -> list[str]:
    """Puma serving the app (and the built dashboard) on $PORT."""
    return ["bundle", "exec", "puma", "-C", "config/puma.rb", "--pidfile", str(pidfile)]


def relay_command(prepare: bool = True) -> list[str]:
    """The relay process: the engine's Redis stream -> ActionCable, until SIGTERM.

    With `prepare`, the same Ruby process first runs Rails' migrations and creates the demo
    users (`db:migrate db:seed`, idempotent): one Rails boot less when the stack starts. Its
    heartbeat, which the stack waits for, begins only after both.
    """
    return ["bin/rails", *(["db:migrate", "db:seed"] if prepare else []), "relay:run"]
