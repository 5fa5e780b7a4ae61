# The two set-up commands: `make demo` (runtime dependencies only) and `make test` (the dev extra).
# Both create .venv on first use, after checking $(PYTHON) against requires-python.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
# `make pytest PYTEST_ARGS="-m 'not slow'"` leaves out the slow tests; `PYTEST_WORKERS=0` runs in one process.
# worksteal: a worker that runs out of tests takes half of the busiest one's queue (the tests vary from
# milliseconds to a minute, so fixed batches or whole files per worker leave one worker running alone).
PYTEST_WORKERS ?= auto
PYTEST_ARGS ?=

.PHONY: venv demo test pytest lint format check readme clean bench smoke fuzz fixtures-update

# Checks $(PYTHON), creates $(VENV) when it has no interpreter, and installs $(1) into it. A failed
# install removes $(VENV); one interrupted leaves $(VENV)/.incomplete (removed once pip succeeded),
# and the next run starts from an empty $(VENV), as it does when $(VENV)'s Python is too old.
define install
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: run make with PYTHON=/path/to/python3.11-or-newer" >&2; exit 1; }
	@$(PYTHON) scripts/check_python.py $(PYTHON)
	@if [ -e $(VENV)/.incomplete ] || { [ -e $(PY) ] && ! $(PY) scripts/check_python.py >/dev/null 2>&1; }; then \
	  echo "removing $(VENV): an earlier run did not finish it, or its Python is too old"; rm -rf $(VENV); fi
	@mkdir -p $(VENV) && touch $(VENV)/.incomplete
	@{ [ -x $(PY) ] || $(PYTHON) -m venv $(VENV); } \
	  && $(PY) -m pip install -q --upgrade pip \
	  && $(PY) -m pip install -q -c constraints.txt $(1) \
	  && rm -f $(VENV)/.incomplete \
	  || { echo "installing into $(VENV) failed: removed it, so the next make starts afresh" >&2; rm -rf $(VENV); exit 1; }
endef

$(RUNTIME): pyproject.toml constraints.txt
	$(call install,-e .)
	touch $(RUNTIME)

$(DEV): pyproject.toml constraints.txt
	$(call install,-e '.[dev]')
	touch $(RUNTIME) $(DEV)

venv: $(DEV)

demo: $(RUNTIME)
	$(VENV)/bin/codemod apply --dry-run --color always fixtures/metaguardian

test: venv lint pytest

pytest: venv
	$(PY) -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check codemods tests
	$(VENV)/bin/mypy

format: venv
	$(VENV)/bin/ruff check --fix codemods tests
	$(VENV)/bin/ruff format codemods tests

check: test

readme: venv
	$(PY) scripts/update_readme.py

clean:
	rm -rf $(VENV) .codemod_cache .pytest_cache .mypy_cache .ruff_cache

bench: venv
	$(PY) bench/run.py $(BENCH_ARGS)

smoke: venv
	$(PY) bench/build_corpus.py
	$(PY) bench/smoke.py $(SMOKE_ARGS)

# Real FastAPI/Starlette apps of bench/apps.lock, each imported module by module before and after
# the rewrite (bench/smoke_apps.py; builds one venv per app on first use).
.PHONY: smoke-apps
smoke-apps: venv
	$(PY) bench/smoke_apps.py $(SMOKE_APPS_ARGS)

# Long property run: hypothesmith programs and fixture mutations (make test runs 60 per test).
FUZZ_EXAMPLES ?= 5000
fuzz: venv
	CODEMOD_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/test_properties.py -q -o timeout=0

fixtures-update: venv
	$(PY) scripts/update_snapshots.py
