# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test check bench deps db clean

run: deps db
	$(BIN)/helpdesk serve --host $(HOST) --port $(PORT)

test: deps
	$(BIN)/pytest

# The code gate: lint (pyflakes, isort, bugbear, pyupgrade, simplify), formatting and types.
check: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: deps
	$(BIN)/python bench/checkin.py
	$(BIN)/python bench/live.py
	$(BIN)/python bench/live.py --subscribers 1000 --phones 900
	$(BIN)/python bench/print_start.py

db: deps
	$(BIN)/helpdesk db upgrade
	$(BIN)/helpdesk seed

deps: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

clean:
	rm -rf $(VENV) node_modules
