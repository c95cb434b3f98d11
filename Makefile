# The two commands for a fresh machine are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     ?= ./duiding-data
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint bench clean chromium postgresql

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Set up, ingest the bundled sample article into $(DB), search it, then serve the web UI and the API
## at http://$(HOST):$(PORT)/ until Ctrl-C.
run: $(STAMP)
	$(BIN)/duiding demo --db $(DB)
	$(BIN)/duiding serve --db $(DB) --host $(HOST) --port $(PORT)

## Set up and run the whole test suite (lint first). The browser tests drive Debian's Chromium:
## installed here when missing and run as root; without it they are skipped, saying why.
test: $(STAMP) chromium postgresql
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python -m pytest

chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium for the browser tests (apt-get)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq chromium >/dev/null \
		|| { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
		|| echo "could not install chromium: the browser tests will be skipped"; \
	fi

## The PostgreSQL backend's tests start a throwaway server of their own (tests/pg.py): Debian's postgresql
## is installed here when no PostgreSQL binaries are found and run as root; without it they are skipped.
postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1 \
		&& [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing postgresql for the PostgreSQL backend tests (apt-get)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq postgresql >/dev/null \
		|| { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; } \
		|| echo "could not install postgresql: the PostgreSQL backend tests will be skipped"; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

## Rerun the benchmarks (see benchmarks/README.md).
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
