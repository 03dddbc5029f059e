# Two commands matter: `make run` (the whole stack) and `make test` (the whole suite).
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: install browser run test lint fmt bench-sync bench-plan bench-inspect bench-lifecycle faults fuzz load topology clean

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

run: install
	$(BIN)/entrygo dev

test: install browser
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

faults: install
	$(BIN)/python -m bench.faults

fuzz: install
	ENTRYGO_FUZZ_EXAMPLES=200 $(BIN)/pytest tests/fuzz -q

load: install
	$(BIN)/python -m bench.load

topology: install
	$(BIN)/python -m bench.topology

clean:
	rm -rf .entrygo $(VENV) *.egg-info
