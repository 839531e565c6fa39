# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test lint bench clean app chromium

PORT ?= 8501

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(STAMP)

demo: $(STAMP)
	$(BIN)/gridshare demo

# The browser tests drive Debian's chromium; install it where missing (needs root and apt).
# Without it those tests are skipped with the reason, the rest of the suite still runs.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; } || \
	  echo "chromium is not installed and could not be installed: browser tests will be skipped"

test: $(TEST_STAMP) chromium
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -n 2 -q

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks

bench: $(TEST_STAMP)
	$(BIN)/pip install --quiet -e ".[test,bench]"
	$(BIN)/python benchmarks/profiles_1000.py
	$(BIN)/python benchmarks/community_lp.py

app: $(STAMP)
	$(BIN)/gridshare app --port $(PORT)

clean:
	rm -rf $(VENV) out artifacts .pytest_cache .hypothesis
