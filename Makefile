# The two set-up commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv demo test pytest lint format check readme clean bench smoke fuzz fixtures-update

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(VENV)/bin/codemod apply --dry-run --color always fixtures/metaguardian

test: venv lint pytest

pytest: venv
	$(PY) -m pytest -q -p no:cacheprovider

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
