# The few commands the README names. Python 3.11 is the only thing a machine needs beforehand.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test fuzz install lint bench messages clean

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
	AUTOFIN_SANDBOX=$${AUTOFIN_SANDBOX:-1} HTTPS=$${HTTPS:-0} DEBUG=$${DEBUG:-0} $(BIN)/python -m autofin.dev.run $(if $(PORT),--port $(PORT))

## Run the test suite. PostgreSQL and Redis: DATABASE_URL / REDIS_URL if set, else the servers
## on 127.0.0.1:5432 / :6379 if they answer, else embedded ones started for the run
## (autofin/dev/testrun.py). E.g. make test PYTEST_ARGS="tests/pricing -x"
test: install
	AUTOFIN_SANDBOX=1 $(BIN)/python -m autofin.dev.testrun $(PYTEST_ARGS)

## Fuzz the API (/api/schema/) as anonymous, customer, dealer staff and servicing agent against
## gunicorn on the demo data; any 5xx fails (autofin/dev/fuzz.py). FUZZ_MAX_EXAMPLES, FUZZ_REUSE_DB=1
fuzz: install
	$(BIN)/python -m autofin.dev.fuzz

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m autofin.dev.codebase

messages: install
	$(BIN)/python manage.py makemessages -l en --ignore '.venv*' --ignore 'static/vendor/*'
	$(BIN)/python manage.py compilemessages -l en --ignore '.venv*'

bench: install
	@echo "see bench/README.md: each script prints its figures"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
