# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
TRANSLATIONS := shared/translations
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))
MESSAGE_SOURCES := helpdesk kiosk dashboard shared printers
EXTRACT_OPTIONS := --add-location=file --sort-by-file --no-wrap --project="KPU Helpdesk" --copyright-holder="KPU Helpdesk"
UPDATE_OPTIONS := --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date --no-wrap

.PHONY: run test check bench deps db messages clean

run: deps db
	$(BIN)/helpdesk serve --host $(HOST) --port $(PORT)

test: deps
	$(BIN)/pytest

# The code gate: lint (pyflakes, isort, bugbear, pyupgrade, simplify), formatting and types.
check: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: deps $(VENV)/.installed-bench
	$(BIN)/python bench/checkin.py
	$(BIN)/python bench/live.py
	$(BIN)/python bench/live.py --subscribers 1000 --phones 900
	$(BIN)/python bench/print_start.py
	$(BIN)/python bench/page_weight.py
	$(BIN)/python bench/faq_search.py
	$(BIN)/python bench/report_pdf.py

db: deps
	$(BIN)/helpdesk db upgrade
	$(BIN)/helpdesk seed

deps: $(VENV)/.installed node_modules/.installed $(MO_FILES)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The benchmarks also compare gunicorn with `helpdesk serve --workers` (bench/README.md): the `bench` extra.
$(VENV)/.installed-bench: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

# Interface text (README, "Translations"): the compiled catalogs the app reads, rebuilt when a .po changes.
$(TRANSLATIONS)/%.mo: $(TRANSLATIONS)/%.po $(VENV)/.installed
	$(BIN)/pybabel compile -d $(TRANSLATIONS)

# After adding or changing interface text: extract the Indonesian msgids into the template and merge them into
# each catalog; then write the English of every new entry in the .po.
messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -o $(TRANSLATIONS)/messages.pot $(EXTRACT_OPTIONS) $(MESSAGE_SOURCES)
	$(BIN)/pybabel -q update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) $(UPDATE_OPTIONS)
	$(BIN)/pybabel compile -d $(TRANSLATIONS)

# The screens' fonts, cut down from the npm package to the characters they show (helpdesk/webfonts.py). They are
# kept in git, so installations without make serve them too: run this after changing the package or the characters.
.PHONY: fonts
fonts: deps
	$(BIN)/python -m helpdesk.webfonts

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

clean:
	rm -rf $(VENV) node_modules
