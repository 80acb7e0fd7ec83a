# aipm — two commands do all the set-up on a fresh machine:
#   make run    creates .venv (Python 3.12), installs aipm, runs the baseline → out/baseline/
#   make test   creates .venv if missing, runs ruff, mypy and the whole test suite
#   make compile  compiles the firm side with mypyc into build/mypyc (run, test, bench and
#                 check-model do it first; a no-op while the build matches the sources)
#   make fuzz-model  1,000 random runs over the allowed parameter space (invariants)
PYTHON ?= $(shell command -v python3.12 2>/dev/null || ls $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin/python3.12 2>/dev/null | tail -n 1 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench docs clean check-model fuzz-model app compile

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 12), f"need Python 3.12, got {sys.version}"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -m runs.warmup
	touch $(STAMP)

# the firm side compiled with mypyc (same numbers, faster); python -m runs.compile --help
compile: $(STAMP)
	$(BIN)/python -m runs.compile

run: compile
	$(BIN)/aipm run scenarios/baseline.toml --out out/baseline

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check agents world runs
	$(BIN)/mypy

test: lint compile
	$(BIN)/python -m pytest -q -p no:cacheprovider

# 1,000 random runs over the whole allowed parameter space (a new seed each time; failures
# with reproducers in out/finite_failures.jsonl). AIPM_FUZZ_MODEL_SEED=N repeats a seed.
fuzz-model: $(STAMP)
	@mkdir -p out
	AIPM_FUZZ_MODEL_RUNS=1000 AIPM_FUZZ_MODEL_SEED=$${AIPM_FUZZ_MODEL_SEED:-$$(date +%s)} \
	AIPM_FUZZ_MODEL_REPORT=$${AIPM_FUZZ_MODEL_REPORT:-out/finite_failures.jsonl} \
	$(BIN)/python -m pytest -q -p no:cacheprovider -s -rxX tests/test_model_finite.py -k every_allowed

# the interactive app on http://127.0.0.1:8765/ (PORT=9000 make app for another port)
app: compile
	$(BIN)/aipm app --port $(or $(PORT),8765)

# the model validation suite, full: 50 seeds of every scenario (100 of the baseline) and the Sobol sweep with
# replicates; regenerates docs/explanation/validation.md (exit 1 when a check fails)
check-model: compile
	$(BIN)/aipm check-model --full --docs

bench: compile
	$(BIN)/python benchmarks/run_all.py --out benchmarks/results

docs: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) build out site .pytest_cache .ruff_cache .mypy_cache .hypothesis
