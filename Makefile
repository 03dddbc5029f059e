# Two commands matter: `make run` (the whole stack) and `make test` (the whole suite).
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: install browser node oidc-provider axe run test lint fmt bench-sync bench-plan bench-inspect bench-lifecycle bench-scale faults faults-fleet fuzz load topology clean

$(STAMP): pyproject.toml sdk/python/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	$(BIN)/pip install -q --disable-pip-version-check -e ./sdk/python
	touch $(STAMP)

install: $(STAMP)

# Browser tests use Debian's Chromium, never a downloaded build. As root we install it when it is
# missing; otherwise those tests skip (and fail where CI=true).
browser:
	@test -x /usr/bin/chromium || [ "$$(id -u)" != 0 ] || \
		{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

# The console's OpenID sign-in is tested against a real provider (tests/support/oidc: the npm
# package oidc-provider on Node.js, installed from its lock file). As root we install Node.js and
# npm when they are missing; otherwise those tests skip (and fail where CI=true).
OIDC_PROVIDER := tests/support/oidc
OIDC_STAMP    := $(OIDC_PROVIDER)/node_modules/.package-lock.json

node:
	@command -v npm > /dev/null || [ "$$(id -u)" != 0 ] || \
		{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm; }

$(OIDC_STAMP): $(OIDC_PROVIDER)/package.json $(OIDC_PROVIDER)/package-lock.json | node
	@if command -v npm > /dev/null; then \
		cd $(OIDC_PROVIDER) && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm is missing: the OpenID sign-in tests will skip (fail where CI=true)"; fi

oidc-provider: $(OIDC_STAMP)

# Every console page is checked with axe-core in the browser tests (tests/support/axe: the npm
# package, installed from its lock file and injected into the page by the tests; the app never
# serves it). Without npm those tests skip (and fail where CI=true).
AXE       := tests/support/axe
AXE_STAMP := $(AXE)/node_modules/.package-lock.json

$(AXE_STAMP): $(AXE)/package.json $(AXE)/package-lock.json | node
	@if command -v npm > /dev/null; then \
		cd $(AXE) && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm is missing: the accessibility tests will skip (fail where CI=true)"; fi

axe: $(AXE_STAMP)

run: install
	$(BIN)/entrygo dev

test: install browser oidc-provider axe
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict config signing observability entrygo entrygo_mcp api services workflows activities domain store sandbox
	$(BIN)/mypy --strict sdk/python/entrygo_client

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench-sync: install
	$(BIN)/python -m bench.sync

bench-plan: install
	$(BIN)/python -m bench.plan

bench-inspect: install
	$(BIN)/python -m bench.inspect

bench-lifecycle: install
	$(BIN)/python -m bench.lifecycle

# 10,000 exports into one database, the reads measured at 1,000 and 10,000. Smaller runs:
# `.venv/bin/python -m bench.scale --exports 1500 --checkpoints 500,1500`.
bench-scale: install
	$(BIN)/python -m bench.scale

faults: install
	$(BIN)/python -m bench.faults
	$(MAKE) --no-print-directory faults-fleet

# One broker outage (10 min) across 100 exports, on the commit before fleet control (a temporary
# git worktree) and on this tree, side by side; about 30 minutes. Smaller runs:
# `.venv/bin/python -m bench.fleet --exports 20 --outage 60 --no-baseline`.
faults-fleet: install
	$(BIN)/python -m bench.fleet

fuzz: install
	ENTRYGO_FUZZ_EXAMPLES=200 $(BIN)/pytest tests/fuzz -q

load: install
	$(BIN)/python -m bench.load

topology: install
	$(BIN)/python -m bench.topology

clean:
	rm -rf .entrygo $(VENV) *.egg-info
