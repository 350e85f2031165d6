# The two commands of the README's Quickstart, plus the longer jobs.
# Every target installs what it needs into .venv first, so a fresh machine needs only python3.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

NODE_STAMP := node_modules/.installed

.PHONY: install demo test lint typecheck unit bench bench-peers bench-postgres bench-web bench-hosting bench-entities eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/memvault demo

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy

# The official MCP Inspector CLI (pinned in package.json) is the outside client the MCP tests use.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# Debian's chromium, which the web page's browser tests drive through playwright (no download
# of playwright's own browsers: the machine has Debian's registry only).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
$(CHROMIUM):
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium \
	  || ($(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -q --no-install-recommends chromium)

unit: install $(NODE_STAMP) $(CHROMIUM)
	$(BIN)/pytest -q -n 2

test: lint typecheck unit

bench: install
	$(BIN)/python benchmarks/run.py

# Only the side-by-side tables (ChromaDB, plain sqlite-vec + FTS5, numpy floor); --quick for 10k only.
bench-peers: install
	$(BIN)/python benchmarks/run.py --peers-only

# Only SQLite next to PostgreSQL (the server at MEMVAULT_BENCH_POSTGRES_URL, by default the local
# test server); --quick for 10k only.
bench-postgres: install
	$(BIN)/python benchmarks/run.py --postgres-only

# Only the search page of `memvault serve --http` at 100k memories (server and wall time, weight).
bench-web: install
	$(BIN)/python benchmarks/run.py --web-only

# Only the hosted server (`serve --tenants`): 500 tenants, 50 clients on 200 of them for 60 s at
# --max-open 16 and 64, kill -9 under load, restart and check (docs/benchmarks.md, docs/hosting.md).
bench-hosting: install
	$(BIN)/python benchmarks/run.py --hosting-only

# Only the entity tables: extraction CPU per memory, insert throughput with it on and off.
bench-entities: install
	$(BIN)/python benchmarks/run.py --entities-only

# Search quality on SciFact and LoCoMo (docs/benchmarks.md, between the eval markers).
eval: install
	$(BIN)/python benchmarks/eval_all.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info
