# Heng — the two commands a newcomer needs are `make demo` and `make test`.
.DEFAULT_GOAL := help
VENV := .venv/bin
HENG := $(VENV)/heng
EMPLOYEES ?= 400
ONLY ?=
# The PostgreSQL benchmarks create and drop their own databases on this server.
HENG_BENCH_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export HENG_BENCH_POSTGRES_URL

.PHONY: help setup demo serve test lint format bench messages

help:
	@echo "make demo    install, build the demo company on SQLite and serve http://127.0.0.1:8000"
	@echo "make test    install and run every test on SQLite and on PostgreSQL, plus lint"
	@echo "make lint    ruff, mypy, import-linter, migrations check"
	@echo "make bench   run the benchmarks (ONLY=name for one) and rewrite docs/benchmarks.md"

setup:
	@scripts/setup.sh

demo: setup
	$(HENG) migrate --no-input -v0
	$(HENG) demo --employees $(EMPLOYEES)
	$(HENG) collectstatic --no-input -v0
	@echo "==> serving on http://127.0.0.1:8000 (worker runs alongside; Ctrl-C stops both)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(HENG) worker -w 1 & \
	  $(VENV)/gunicorn heng.config.wsgi -b 127.0.0.1:8000 -w 2 --threads 4 --access-logfile -

test: setup lint
	@scripts/test.sh

lint: setup
	$(VENV)/ruff check src bench
	$(VENV)/ruff format --check src bench
	$(VENV)/mypy src/heng
	$(VENV)/lint-imports
	DATABASE_URL=sqlite:///:memory: $(HENG) makemigrations --check --dry-run -v0

format: setup
	$(VENV)/ruff check --fix src bench
	$(VENV)/ruff format src bench

bench: setup
	$(VENV)/python -m bench.run $(if $(ONLY),--only $(ONLY),)

messages: setup
	cd src/heng && ../../$(HENG) makemessages -l zh_Hans -l en --no-obsolete -v0 && ../../$(HENG) compilemessages -v0
