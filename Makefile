# Two commands do all set-up on a fresh machine with Python >= 3.11:
#   make run    create .venv, install, load synthetic demo data into an empty database, serve at http://127.0.0.1:8000
#   make test   create .venv, install with test extras, run the whole test suite (on two cores)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/stadskarna demo --if-empty
	STADSKARNA_STAFF_SECURE_COOKIES=false $(BIN)/stadskarna serve  # plain HTTP on this machine: see "Staff sign-in"

# two workers, a file each at a time (README "Test time"); schemathesis' tests apart: under
# pytest-xdist it collects one test per test function instead of one per API operation
test: $(BIN)/.installed
	$(BIN)/python -m pytest -n 2 --dist loadfile --ignore=tests/security/test_schemathesis.py
	$(BIN)/python -m pytest tests/security/test_schemathesis.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
