# gitorch developer tasks. Only Python >= 3.11 and git are needed; everything else is
# installed into .venv from the package index.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin

.PHONY: install test lint demo bench zipapp clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "gitorch needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	# pip >= 25.2 writes the `git-orch` start script without `import re` (~6 ms of every start);
	# the pip that `venv` bundles with Python 3.11 is older. Users who `pip install` today get it.
	$(PY) -m pip install -q --disable-pip-version-check --upgrade 'pip>=25.2'
	# compat: a plain path in a .pth file, as a regular install costs at start-up (setuptools'
	# default editable finder imports pathlib, re and urllib into every process: ~15 ms quiet)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]' --config-settings editable_mode=compat
	# An editable install skips data files: put the man page where `git orch --help` finds it.
	mkdir -p $(VENV)/share/man/man1 && cp man/git-orch.1 $(VENV)/share/man/man1/
	touch $@

install: $(VENV)/.installed

lint: install
	$(BIN)/ruff check gitorch tests zipapp
	$(BIN)/mypy

# PYTHONDONTWRITEBYTECODE emptied: where the machine sets it, pytest would rewrite every test
# module's asserts again on each run and in each worker (~15 s of CPU). The slow tests are
# collected first (tests/conftest.py); a worker that runs out of tests takes half of another's
# (--dist worksteal), so no worker ends alone on a long test.
test: lint
	PYTHONDONTWRITEBYTECODE= PATH="$(CURDIR)/$(BIN):$$PATH" $(PY) -m pytest -q -n 2 --dist worksteal --maxfail=50 tests

demo: install
	PATH="$(CURDIR)/$(BIN):$$PATH" bash examples/demo.sh

# Issue 15's cases P1-P9, paired ratios from interleaved rounds (docs/benchmarks.md). The peers
# (go-task, doit, gita, pre-commit) come from the package index; make and git from the system.
# A selection: make bench BENCH_ARGS='--only P3,P4 --rounds 5'
bench: install
	$(PY) -m pip install -q --disable-pip-version-check -e '.[bench]' --config-settings editable_mode=compat
	PATH="$(CURDIR)/$(BIN):$$PATH" $(PY) tests/bench/run.py $(BENCH_ARGS)

zipapp: install
	$(PY) zipapp/build.py --out dist/orch.pyz

clean:
	rm -rf $(VENV) dist build *.egg-info .pytest_cache .mypy_cache .ruff_cache
