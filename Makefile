# The two commands: `make run` (the tool + sandbox LMS on SQLite) and `make test`.
# Both set up everything they need on a fresh machine with Python 3.11.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck pytest browser-deps bench translations clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/flask --app lti_app db upgrade
	$(BIN)/flask --app lti_app sandbox run

test: $(STAMP) browser-deps lint typecheck pytest

browser-deps:
	@sh .ci/ensure-chromium

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench.launch

translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o lti_app/translations/messages.pot .
	$(BIN)/pybabel update -i lti_app/translations/messages.pot -d lti_app/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d lti_app/translations

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
