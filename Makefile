# The few commands the README names. Python 3.11 is the only thing a machine needs beforehand.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Tests default to the local servers; a separate Redis database keeps test traffic off the demo's.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/autofin
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1

.PHONY: run test install lint bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[embedded,dev]'
	touch $@

install: $(VENV)/.installed

## Run the app with demo data on the embedded PostgreSQL and Redis (no servers to install),
## on the sandbox rails (AUTOFIN_SANDBOX=1).
run: install
	AUTOFIN_SANDBOX=$${AUTOFIN_SANDBOX:-1} HTTPS=$${HTTPS:-0} DEBUG=$${DEBUG:-0} $(BIN)/python -m autofin.run

## Run the test suite against PostgreSQL and Redis (DATABASE_URL / REDIS_URL, default local).
test: install
	AUTOFIN_SANDBOX=1 DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

messages: install
	$(BIN)/python manage.py makemessages -l en --ignore '.venv*' --ignore 'static/vendor/*'
	$(BIN)/python manage.py compilemessages -l en --ignore '.venv*'

bench: install
	@echo "see bench/README.md: each script prints its figures"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
