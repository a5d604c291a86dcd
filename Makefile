# TradingBot: every entry point runs `setup` first, so a fresh clone needs only `make demo` or `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin
ENGINE := ai_engine

.PHONY: help setup test demo-down demo-data rails-test frontend frontend-test e2e check lint typecheck demo bench bench-data bench-sim bench-signals bench-backtest bench-trading soak services-up services-down api clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: ## install system packages (apt, as root) and the pinned .venv; idempotent
	@bash $(ENGINE)/scripts/setup.sh

test: setup ## run every test suite (starts its own PostgreSQL and Redis on free ports)
	cd $(ENGINE) && ../$(BIN)/pytest -q
	$(MAKE) --no-print-directory frontend-test e2e

rails-test: setup ## the Rails suite alone (minitest on its own PostgreSQL + Redis); `make test` runs it via pytest
	rails_app/bin/ci-test

frontend: setup ## build the dashboard (frontend/dist: type check + vite build)
	cd frontend && npm run --silent build

frontend-test: setup ## dashboard unit tests (vitest) and a check that the generated wire types are current
	cd frontend && npm run --silent check:api && npm run --silent typecheck && npm test --silent

e2e: frontend ## browser end-to-end suite (Chromium) against the whole stack; artifacts in var/e2e/
	cd tests/e2e && npm test --silent

lint: setup ## ruff lint and format check
	cd $(ENGINE) && ../$(BIN)/ruff check src tests benchmarks scripts && ../$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: setup ## mypy strict on ai_engine/src
	cd $(ENGINE) && ../$(BIN)/mypy

check: lint typecheck test ## lint, type check and tests: what a reviewer runs

demo: frontend ## the whole stack replaying real data (services, sim exchange, engine, workers, trader, Rails, dashboard): prints the URL and demo login
	$(BIN)/tradingbot stack up

demo-down: setup ## stop what `make demo` started
	$(BIN)/tradingbot stack down

demo-data: setup ## import the bundled real data into local services and print a summary (no servers left running)
	$(BIN)/tradingbot demo

bench: bench-data bench-sim bench-signals bench-backtest bench-trading ## every benchmark (not tests); reads ../shared/data when present

bench-data: setup ## store, order books from captures, history download
	$(BIN)/python $(ENGINE)/benchmarks/bench_store.py
	$(BIN)/python $(ENGINE)/benchmarks/bench_marketdata_streams.py
	$(BIN)/python $(ENGINE)/benchmarks/bench_download.py

bench-sim: setup ## sim exchange: order round trips, WebSocket replay, memory, tick replay
	$(BIN)/python $(ENGINE)/benchmarks/bench_sim_orders.py
	$(BIN)/python $(ENGINE)/benchmarks/bench_sim_streams.py
	$(BIN)/python $(ENGINE)/benchmarks/bench_sim_memory.py
	$(BIN)/python $(ENGINE)/benchmarks/bench_tick_replay.py

bench-signals: setup ## feature set, one-bar update, GET /signals latency at 200 req/s
	$(BIN)/python $(ENGINE)/benchmarks/bench_features.py
	$(BIN)/python $(ENGINE)/benchmarks/bench_signals.py

bench-trading: setup ## order path: closed bar -> order accepted by the sim, through Celery (500 orders)
	$(BIN)/python $(ENGINE)/benchmarks/bench_order_latency.py --orders 500

bench-backtest: setup ## kernel vs vectorbt vs Backtrader, portfolio, optimisation fan-out
	$(BIN)/python $(ENGINE)/benchmarks/bench_backtest.py
	$(BIN)/python $(ENGINE)/benchmarks/bench_optimize.py

soak: setup ## long runs: live streams through disconnects and a 30 s stall; the trader over a day of 11 instruments (9 perpetuals, 2 spot pairs)
	$(BIN)/python $(ENGINE)/benchmarks/soak_market_streams.py
	$(BIN)/python $(ENGINE)/benchmarks/soak_trader.py --set mixed --days 1

services-up: setup ## start local PostgreSQL and Redis under var/
	$(BIN)/tradingbot services up

services-down: setup ## stop the local services started by services-up or demo
	$(BIN)/tradingbot services down

api: setup ## run the engine API (uvicorn) against the local services
	$(BIN)/tradingbot api

clean: ## stop the demo stack and local services, remove var/ and caches (keeps .venv)
	-$(BIN)/tradingbot stack down
	-$(BIN)/tradingbot services down
	rm -rf var .pytest_cache $(ENGINE)/.pytest_cache $(ENGINE)/.mypy_cache $(ENGINE)/.ruff_cache
