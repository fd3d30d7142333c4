# The two promises to a newcomer: `make run` and `make test`. Both work on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export DEBUG ?= 1
PORT ?= 8000

.PHONY: run test install lint messages clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

install: $(VENV)/.installed node_modules/.package-lock.json

## Migrate, load 二七区, the stations and the demo data, and serve http://127.0.0.1:8000 (`PORT=8001 make run`: another port)
run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_divisions
	$(PY) manage.py load_stations
	$(PY) manage.py load_demo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

## The whole suite: PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set, SQLite otherwise; in TEST_WORKERS
## processes at once (pytest-xdist), each test file in one of them; `make test PYTEST_ARGS=-n0` runs it in one
TEST_WORKERS ?= 3
test: install
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run --settings coalgov.settings_test

## Refresh the translation catalogues after changing user-facing strings, then compile them
messages: install
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore '$(VENV)/*' --ignore 'node_modules/*'
	$(PY) manage.py compilemessages --ignore '$(VENV)/*'

clean:
	rm -rf $(VENV) node_modules staticfiles db.sqlite3
