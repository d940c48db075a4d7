# Every workflow of the course is a target here. Each bootstraps the virtual
# environment it needs in .venv, so a fresh machine needs only Python 3 and make.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# nbgrader runs bare `alembic` and `jupyter`: the venv's bin/ must come first.
export PATH := $(abspath $(VENV))/bin:$(PATH)

SUBMISSION ?= exercises
SUBMISSIONS ?= build/class/submissions
RESULTS ?= build/grade/results.json
GRADEBOOK ?= build/class/gradebook.csv
# ASSIGNMENT=N grades (or packs for Gradescope) one assignment of course.toml only;
# FAIL_UNDER=X makes `make grade` fail below X points, or below full marks with
# FAIL_UNDER=full (CI: the reference must keep every point).
ASSIGNMENT ?=
FAIL_UNDER ?=

CORE := $(VENV)/.core-installed
NOTEBOOK_DEPS := $(VENV)/.notebooks-installed
DEV_DEPS := $(VENV)/.dev-installed

.PHONY: help browser grade test demo exercises check release grade-all gradescope \
        notebooks autograde gradebook feedback bench clean similarity

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

$(CORE): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(NOTEBOOK_DEPS): requirements-notebooks.txt $(CORE)
	$(PY) -m pip install --quiet -r requirements-notebooks.txt
	@# jsonschema imports rfc3987-syntax when it is there, to check "iri" formats, which
	@# nothing here validates; it compiles a grammar for 1.3 s in every process that
	@# imports nbformat (each nbgrader command, each test worker). jsonschema does without.
	$(PY) -m pip uninstall --quiet --yes rfc3987-syntax
	@touch $@

$(DEV_DEPS): requirements-dev.txt $(CORE)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

grade: $(CORE) ## grade a folder or zip: make grade [SUBMISSION=exercises] [ASSIGNMENT=N] [FAIL_UNDER=X] [RESULTS=file]
	@mkdir -p $(dir $(RESULTS))
	$(PY) -m autograder grade $(SUBMISSION) --results $(RESULTS) \
		$(if $(ASSIGNMENT),--assignment $(ASSIGNMENT)) $(if $(FAIL_UNDER),--fail-under $(FAIL_UNDER))

# summary.html's sorting is tested in headless Chromium, Debian's package: CI (CI=true,
# root) installs it here; elsewhere a missing browser skips that test, naming the package.
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { [ -n "$(CI)" ] && [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } || \
	  echo "make test: no Chromium (apt-get install chromium): the browser test is skipped"

test: $(CORE) $(NOTEBOOK_DEPS) $(DEV_DEPS) browser ## the project's whole test suite (what CI runs)
	$(PY) -m ruff check .
	$(PY) -m pytest -n auto --dist loadgroup

demo: $(CORE) ## the post's experiments and the digits example, with figures
	$(PY) examples/linear_regression.py
	$(PY) examples/product.py
	$(PY) examples/digits.py
	$(PY) examples/convnet.py
	$(PY) examples/gpt.py
	$(PY) examples/recall.py
	$(PY) examples/sort.py --seeds 0

exercises: $(CORE) ## regenerate exercises/ from solutions/
	$(PY) -m tools.make_exercises

check: $(CORE) ## the student-visible checks: make check [EX=2.3]
	$(PY) -m tools.check $(if $(EX),--exercise $(EX))

release: $(CORE) notebooks ## the student edition in dist/student, notebooks included
	$(PY) -m tools.release dist/student

grade-all: $(CORE) ## a whole class: make grade-all [SUBMISSIONS=DIR] [JOBS=N] [ASSIGNMENT=N] (default: a generated class)
	@if [ "$(SUBMISSIONS)" = "build/class/submissions" ] && [ ! -d "$(SUBMISSIONS)" ]; then \
		$(PY) -m tools.make_class $(SUBMISSIONS) --students $(or $(STUDENTS),60); fi
	$(PY) -m autograder grade-all $(SUBMISSIONS) --gradebook $(GRADEBOOK) $(if $(JOBS),--jobs $(JOBS)) \
		$(if $(ASSIGNMENT),--assignment $(ASSIGNMENT))
	@echo "summary: $(dir $(GRADEBOOK))summary.html  reports: $(dir $(GRADEBOOK))reports/<student>/report.html"

similarity: $(CORE) ## the most similar pairs of a class: make similarity [SUBMISSIONS=DIR] (similarity.html and .csv beside GRADEBOOK)
	$(PY) -m autograder similarity $(SUBMISSIONS) --out $(dir $(GRADEBOOK))

gradescope: $(CORE) ## Gradescope zip: dist/autograder.zip, or [ASSIGNMENT=N] dist/autograder-N.zip, ASSIGNMENT=all one per assignment
	$(PY) -m tools.gradescope $(if $(filter all,$(ASSIGNMENT)),--all,$(if $(ASSIGNMENT),--assignment $(ASSIGNMENT)))

notebooks: $(NOTEBOOK_DEPS) ## nbgrader: release notebooks
	$(MAKE) -C assignments notebooks

autograde: $(NOTEBOOK_DEPS) ## nbgrader: grade the submitted notebooks [STUDENT=id]
	$(MAKE) -C assignments autograde $(if $(STUDENT),STUDENT='$(STUDENT)')

gradebook: $(NOTEBOOK_DEPS) ## nbgrader: grades.csv, grades-cells.csv (per cell, names) [ROSTER=file.csv]
	$(MAKE) -C assignments gradebook $(if $(ROSTER),ROSTER=$(abspath $(ROSTER)))

feedback: $(NOTEBOOK_DEPS) ## nbgrader: HTML feedback
	$(MAKE) -C assignments feedback

# torch goes into its own folder, never into .venv: code graded from .venv must not
# find a library that differentiates for it.
BENCH_TORCH := build/bench-torch
bench: $(CORE) ## performance figures: make bench [TORCH=1] [QUICK=1]; TORCH=1 adds PyTorch CPU
	$(if $(TORCH),test -d $(BENCH_TORCH)/torch || $(PY) -m pip install --quiet --target $(BENCH_TORCH) torch==2.13.0)
	$(if $(TORCH),PYTHONPATH=$(abspath $(BENCH_TORCH))) $(PY) benchmarks/bench.py $(if $(QUICK),--quick)

clean:
	rm -rf build dist .pytest_cache
