# TradingBot: every entry point runs `setup` first, so a fresh clone needs only `make demo` or `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin
ENGINE := ai_engine

.PHONY: help setup test check lint typecheck demo bench bench-data bench-sim bench-signals bench-backtest soak services-up services-down api clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: ## install system packages (apt, as root) and the pinned .venv; idempotent
	@bash $(ENGINE)/scripts/setup.sh

test: setup ## run every test suite (starts its own PostgreSQL and Redis on free ports)
	cd $(ENGINE) && ../$(BIN)/pytest -q

lint: setup ## ruff lint and format check
	cd $(ENGINE) && ../$(BIN)/ruff check src tests benchmarks scripts && ../$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: setup ## mypy strict on ai_engine/src
	cd $(ENGINE) && ../$(BIN)/mypy

check: lint typecheck test ## lint, type check and tests: what a reviewer runs

demo: setup ## start local services, migrate, import the bundled real data, print a summary
	$(BIN)/tradingbot demo

bench: bench-data bench-sim bench-signals bench-backtest ## every benchmark (not tests); reads ../shared/data when present

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

bench-backtest: setup ## kernel vs vectorbt vs Backtrader, portfolio, optimisation fan-out
	$(BIN)/python $(ENGINE)/benchmarks/bench_backtest.py
	$(BIN)/python $(ENGINE)/benchmarks/bench_optimize.py

soak: setup ## long runs: live streams through disconnects and a 30 s stall
	$(BIN)/python $(ENGINE)/benchmarks/soak_market_streams.py

services-up: setup ## start local PostgreSQL and Redis under var/
	$(BIN)/tradingbot services up

services-down: setup ## stop the local services started by services-up or demo
	$(BIN)/tradingbot services down

api: setup ## run the engine API (uvicorn) against the local services
	$(BIN)/tradingbot api

clean: ## stop local services and remove var/ and caches (keeps .venv)
	-$(BIN)/tradingbot services down
	rm -rf var .pytest_cache $(ENGINE)/.pytest_cache $(ENGINE)/.mypy_cache $(ENGINE)/.ruff_cache
