# litfeed: `make run` sets up and serves; `make test` sets up and runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The port `make run` serves on (default: LITFEED_PORT, else 8000): make run PORT=8001
PORT ?=
# The official Hugging Face client, in a venv of its own: the version that has
# list_daily_papers needs huggingface_hub >= 1.2, and transformers (litfeed's) pins it below 1.0.
HF_CLIENT ?= .venv-hfclient

.PHONY: run test lint typecheck unit bench screenshot js clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

$(HF_CLIENT)/.installed:
	$(PYTHON) -m venv $(HF_CLIENT)
	$(HF_CLIENT)/bin/python -m pip install --quiet huggingface_hub==2.4.0
	touch $@

## run: create .venv, install, load the example corpus into an empty database, serve on :8000
## (the background worker embeds the examples while the pages are served)
## (the data directory is litfeed's default, as for the bare command: $XDG_DATA_HOME/litfeed)
run: $(VENV)/.installed-run
	$(BIN)/litfeed load-examples --if-empty --no-embed
	$(BIN)/litfeed serve $(if $(PORT),--port $(PORT))

## test: install test tools (and Chromium, PostgreSQL when missing), lint, type-check, run tests
test: $(VENV)/.installed-test $(HF_CLIENT)/.installed
	bash scripts/test-setup
	$(MAKE) lint typecheck unit

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

unit: $(VENV)/.installed-test
	$(BIN)/pytest

## screenshot: take docs/daily.png (the README's) in Chromium from the example data
screenshot: $(VENV)/.installed-test
	LITFEED_SCREENSHOTS=docs $(BIN)/pytest tests/test_browser.py -k screenshot -p no:cacheprovider

## js: rebuild the topic map's script (src/litfeed/web/static/topicmap.js, committed) from js/
## with node and npm: the locked libraries, bundled by esbuild
js:
	cd js && npm ci --ignore-scripts --no-audit --no-fund && node build.mjs

## bench: import the 74,728-paper corpus from ../shared and time keyword search
bench: $(VENV)/.installed-test
	$(BIN)/python bench/search_latency.py

clean:
	rm -rf $(VENV) $(HF_CLIENT) data .pytest_cache .mypy_cache .ruff_cache
