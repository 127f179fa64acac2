# Forecourt — the two commands: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py
# `make demo PORT=8080 HOST=0.0.0.0` serves elsewhere; seed-demo prints the address actually served.
HOST ?= 127.0.0.1
PORT ?= 5000
# pytest-xdist workers for `make test` (each gets its own SQLite file, PostgreSQL database and Redis db).
TEST_WORKERS ?= auto

PRODUCTION_WORKERS ?= 4

.PHONY: demo test install translations db seed run web worker scheduler lint extract-messages update-messages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

translations: install
	$(BIN)/pybabel compile -d translations

db: translations
	$(BIN)/flask db upgrade

seed: db
	$(BIN)/flask seed-demo --base-url http://$(HOST):$(PORT)

run:
	$(BIN)/flask run --host $(HOST) --port $(PORT)

## Runs the portal with demo data on http://$(HOST):$(PORT) (default 127.0.0.1:5000; SQLite under instance/).
demo: seed run

## Production processes (Procfile, deploy/systemd): web, background worker, scheduler. Environment from README.
web: translations
	$(BIN)/gunicorn --workers $(PRODUCTION_WORKERS) --bind $(HOST):$(PORT) --access-logfile - wsgi:app

worker: translations
	$(BIN)/rq worker --url "$$REDIS_URL" forecourt-imports forecourt-scheduled

scheduler: install
	$(BIN)/rq cron --url "$$REDIS_URL" app/cron.py

## Runs the whole suite on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set.
test: translations
	TEST_DATABASE_URL= $(BIN)/python -m pytest -n $(TEST_WORKERS) --durations=15
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on $$TEST_DATABASE_URL =="; \
		$(BIN)/python -m pytest -n $(TEST_WORKERS) --durations=15; \
	fi

lint: install
	$(BIN)/ruff check app tests config.py wsgi.py

extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k Message -k DealError -k DealTransitionError -k N_ -k ContractError -k DeliveryError -k HandoverError -k FinanceApplicationError -k PaymentError -k ReservationError -k TradeInError -k CheckoutInputError -k OfferError -k PromotionInvalid -k PartnerBankError -k InvalidResetToken -k ImageRejected -k CatalogError -k DealerError -k CostError -k CostListError -k AllocationError --no-location --sort-by-file -o translations/messages.pot .

update-messages: extract-messages
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) instance/forecourt.db
