# Two commands: `make run` and `make test`. Everything they need is installed from here.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := run.py
PORT ?= 8080
BROWSER_PACKAGES := chromium chromium-driver fonts-noto-cjk

.PHONY: run test test-sqlite test-postgres migrate babel browser-deps clean mutation fuzz bench bench-services e2e screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# Compiled catalogs are build output: made from babel/*/LC_MESSAGES/messages.po.
translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -f -d babel

migrate: $(VENV)/.installed translations
	$(BIN)/flask deploy

run: migrate
	$(BIN)/flask demo load --if-empty
	@$(BIN)/flask demo accounts
	@echo "Serving on http://127.0.0.1:$(PORT)"
	@# The task worker (app/jobs.py: exports, imports, …) runs beside gunicorn; both stop together on Ctrl-C (the
	@# terminal signals both) or when gunicorn ends (the trap).
	@$(BIN)/flask jobs worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --config deploy/gunicorn.conf.py --bind 127.0.0.1:$(PORT) run:app

# Chromium and CJK fonts for the browser tests, from Debian's packages (never a downloaded browser build).
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then \
		echo "installing $(BROWSER_PACKAGES)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; \
	fi

# `make bench` (bench/README.md): PostgreSQL, Redis and wrk (installed from Debian's packages and started when absent:
# bench/services.sh), then every bench script in turn and one table of their figures. QUICK=1: smaller sizes.
bench-services:
	@sh bench/services.sh

bench: $(VENV)/.installed translations bench-services
	$(BIN)/python bench/run_all.py $(if $(QUICK),--quick)

# Coverage of app/ (settings in setup.cfg): the floor is the total measured when it was introduced, rounded down.
COVERAGE_FLOOR := 95
# Two processes (pytest-xdist), one database each (tests/conftest.py): the suite in half the time on CI's 2 cores.
TEST_WORKERS ?= 2
test: $(VENV)/.installed translations browser-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile --ignore=tests/e2e --cov=app --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR) --durations=15

# The whole-campaign rehearsal, a generated campaign's review through to its certificates (test_review_campaign) and
# the accessibility sweep (tests/e2e/; .ci/run runs them after the suites, on PostgreSQL; `make test` leaves them
# out, to stay within its 15 minutes on 2 cores): every role in Debian's Chromium
# from the campaign's creation to a verified certificate; prints each stage's time and every page's load time.
# `make screenshots` runs it saving the guides' pictures (docs/guide/img/*.png, each under 100 KB).
E2E := $(BIN)/python -m pytest -q -p no:cacheprovider -n 0 -s tests/e2e
e2e: $(VENV)/.installed translations browser-deps
	$(E2E)

screenshots: $(VENV)/.installed translations browser-deps
	SCREENSHOTS_DIR=docs/guide/img $(BIN)/python -m pytest -q -p no:cacheprovider -n 0 -s tests/e2e/test_rehearsal.py

# Hostile input (tests/test_fuzz.py): schemathesis over the OpenAPI document as every role (token and cookie) and
# Hypothesis over the main forms, FUZZ_EXAMPLES per operation and form (fresh randomness each run; `make test` runs
# a few with a fixed seed). Not part of CI. TEST_DATABASE_URL=postgresql://… fuzzes against PostgreSQL.
FUZZ_EXAMPLES ?= 50
fuzz: $(VENV)/.installed translations
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_fuzz.py

# Mutation testing of app/workflow.py and app/scoping.py against their fast tests (setup.cfg [mutmut]).
# Slow (minutes per module): not part of `make test` nor of CI. `mutmut show NAME` prints a surviving mutant.
mutation: $(VENV)/.installed translations
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results

babel: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel/babel.cfg -k lazy_gettext -k _l -o babel/messages.pot --no-location --sort-output --project="首都市民学习之星评选系统" .
	$(BIN)/pybabel update -N --no-fuzzy-matching -i babel/messages.pot -d babel -l zh
	$(BIN)/pybabel update -N --no-fuzzy-matching -i babel/messages.pot -d babel -l en
	$(BIN)/pybabel compile -f -d babel

clean:
	rm -rf $(VENV) instance .pytest_cache
