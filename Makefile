# LeadBridge: `make run` starts the app with demo data, `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export LEADBRIDGE_PORT := $(PORT)
export NO_MKDOCS_2_WARNING := 1

.PHONY: install run test lint docs docs-build clean

$(BIN)/.installed: requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(BIN)/.installed node_modules/.installed

run: install
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py seed_demo
	@echo
	@echo "LeadBridge is starting at http://127.0.0.1:$(PORT)/  (Ctrl-C stops the web server, worker and beat)"
	@echo
	DEBUG=true PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile.dev

# Prints the suite's wall time after pytest's closing line and exits with pytest's status.
test: install
	@echo "$(BIN)/python -m pytest $(PYTEST_ARGS)"; start=$$(date +%s); \
	$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	echo "suite wall time: $$(( $$(date +%s) - start )) s"; exit $$status

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

docs: $(BIN)/.installed
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8001

docs-build: $(BIN)/.installed
	$(BIN)/mkdocs build --strict --site-dir var/site

clean:
	rm -rf $(VENV) node_modules var
