#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine: system packages, the .venv with pinned
# dependencies, the engine installed editable (the `tradingbot` console script).
# Called by `make setup`; safe to run again at any time.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

# --- system packages (only what is missing) ---------------------------------------------
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need+=(postgresql); fi
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
command -v chromium >/dev/null 2>&1 || need+=(chromium)  # the HTML report test screenshots
# The Rails app (rails_app/): Debian's Ruby, Rails 6.1 and gems only (`bundle install --local`).
for pkg in ruby ruby-rails ruby-pg ruby-redis puma ruby-bcrypt ruby-rack-cors bundler; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${need[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# --- dashboard and browser-test npm packages (npm ci when a package-lock.json changed) -------
npm_ci() {  # $1: folder with package.json + package-lock.json
  local dir=$1 want_npm
  want_npm=$(cat "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)
  if [ -f "$dir/node_modules/.setup-stamp" ] && [ "$(cat "$dir/node_modules/.setup-stamp")" = "$want_npm" ]; then return 0; fi
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error 2>&1 | grep -v 'Unknown user config' || true)
  [ -d "$dir/node_modules" ] || { echo "setup: npm ci failed in $dir" >&2; exit 1; }
  echo "$want_npm" > "$dir/node_modules/.setup-stamp"
}
if command -v node >/dev/null 2>&1 && node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  npm_ci frontend
  npm_ci tests/e2e
else
  echo "setup: Node.js >= 20.19 not found: the dashboard (frontend/) and the browser tests (tests/e2e/) need it" >&2
fi

# --- python environment --------------------------------------------------------------------
lock=ai_engine/requirements.lock
stamp=.venv/.setup-stamp
want=$(cat "$lock" ai_engine/pyproject.toml | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x .venv/bin/tradingbot ]; then
  exit 0
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
pipq() { .venv/bin/python -m pip "$@" 2>&1 | grep -v -E "is ignored: it is neither|^$" || true; }
pipq install -q --upgrade pip
pipq install -q -r "$lock"
pipq install -q --no-deps --no-build-isolation -e ./ai_engine
.venv/bin/python -c 'import ai_engine, numpy, pyarrow, sqlalchemy, fastapi' # fails loudly if broken
echo "$want" > "$stamp"
echo "setup: .venv ready ($(.venv/bin/python --version), tradingbot at .venv/bin/tradingbot)"
