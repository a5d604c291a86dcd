"""The Rails app's minitest suite (models, requests, channels, relay), run by its own command
`rails_app/bin/ci-test` on this session's real PostgreSQL and Redis, so `make test` covers it.

Skipped only when Ruby is not installed (`make setup` installs the Debian packages)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from ai_engine.infra.local_services import ServiceUrls

RAILS_APP = Path(__file__).resolve().parents[3] / "rails_app"
SUMMARY = re.compile(r"(\d+) runs, (\d+) assertions, (\d+) failures, (\d+) errors, (\d+) skips")

pytestmark = pytest.mark.skipif(
    shutil.which("ruby") is None or shutil.which("bundle") is None,
    reason="ruby/bundler not installed: `make setup` installs Debian's ruby-rails packages",
)


def test_rails_suite_passes_on_real_postgres_and_redis(service_urls: ServiceUrls) -> None:
    database = make_url(service_urls.database_url)
    env = {
        **os.environ,
        "PGHOST": str(database.host),
        "PGPORT": str(database.port),
        "PGUSER": str(database.username),
        "REDIS_URL": service_urls.redis_url,
    }
    for name in ("DATABASE_URL", "ENGINE_URL", "ENGINE_API_TOKEN", "DASHBOARD_ORIGIN"):
        env.pop(name, None)
    result = subprocess.run(
        [str(RAILS_APP / "bin" / "ci-test")],
        cwd=RAILS_APP,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    summary = SUMMARY.search(output)
    assert summary is not None, output[-3000:]
    runs, _, failures, errors, skips = (int(value) for value in summary.groups())
    assert (failures, errors, skips) == (0, 0, 0), output[-6000:]
    assert runs >= 50, f"only {runs} Rails tests ran: {summary.group(0)}"
