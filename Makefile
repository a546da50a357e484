# layerwise: `make demo` trains the main job, `make test` runs the tests (each sets up .venv first).
# One venv, installed in two steps: the main job's (the core and the `cli` extra: plots, HDF5,
# progress bars, scikit-learn's data sets, pandas/pyarrow for tabular files), then, for the
# tests and benchmarks only, the test extras (pytest, hypothesis, torch, Dask, graphviz, web, ONNX Runtime, numba: the `fast` extra);
# `make bench` adds the `bench` extra (JAX, numba: the benchmarks' peers) to those.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEMO_EXTRAS := cli
TEST_EXTRAS := cli,dask,graph,torch,test,web,onnxruntime,fast
BENCH_EXTRAS := $(TEST_EXTRAS),bench

.PHONY: venv demo test bench clean mutation test-engine

$(VENV)/.demo: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[$(DEMO_EXTRAS)]"
	touch $@

$(VENV)/.test: $(VENV)/.demo
	$(PY) -m pip install -q -e ".[$(TEST_EXTRAS)]"
	touch $@

$(VENV)/.bench: $(VENV)/.test
	$(PY) -m pip install -q -e ".[$(BENCH_EXTRAS)]"
	touch $@

venv: $(VENV)/.demo

demo: $(VENV)/.demo
	$(VENV)/bin/layerwise train

test: $(VENV)/.test
	$(PY) -m pytest -q

bench: $(VENV)/.bench
	$(PY) -m benchmarks

# The quick engine tests (seconds): the files mutation testing runs, listed in pyproject.
ENGINE_TESTS = $(shell $(PY) -c "import tomllib; print(' '.join(tomllib.load(open('pyproject.toml', 'rb'))['tool']['mutmut']['pytest_add_cli_args_test_selection']))")
test-engine: $(VENV)/.test
	$(PY) -m pytest -q $(ENGINE_TESTS)

# Mutation testing of the engine (not part of CI): mutmut over the modules in pyproject's
# [tool.mutmut], then mutation/report.py writes mutants/summary.md. See DEVELOPERS.md.
mutation: $(VENV)/.test
	$(PY) -m pip install -q -e ".[mutation]"
	rm -rf mutants
	nice $(VENV)/bin/mutmut run
	$(PY) mutation/report.py

clean:
	rm -rf $(VENV) runs .pytest_cache mutants
