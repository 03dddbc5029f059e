# Two commands matter: `make run` (the whole stack) and `make test` (the whole suite).
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: install run test lint fmt bench-sync bench-plan bench-lifecycle faults fuzz load clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/entrygo dev

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy entrygo api workflows activities domain store sandbox

fmt: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench-sync: install
	$(BIN)/python -m bench.sync

bench-plan: install
	$(BIN)/python -m bench.plan

bench-lifecycle: install
	$(BIN)/python -m bench.lifecycle

faults: install
	$(BIN)/python -m bench.faults

fuzz: install
	ENTRYGO_FUZZ_EXAMPLES=200 $(BIN)/pytest tests/fuzz -q

load: install
	$(BIN)/python -m bench.load

clean:
	rm -rf .entrygo $(VENV) *.egg-info
