# layerwise: `make demo` trains the main job, `make test` runs the tests (each sets up .venv first).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
EXTRAS := cli,dask,graph,torch,test,web,onnxruntime

.PHONY: venv demo test bench clean mutation test-engine

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(VENV)/bin/layerwise train

test: venv
	$(PY) -m pytest -q

bench: venv
	$(PY) -m benchmarks

# The quick engine tests (seconds): the files mutation testing runs, listed in pyproject.
ENGINE_TESTS = $(shell $(PY) -c "import tomllib; print(' '.join(tomllib.load(open('pyproject.toml', 'rb'))['tool']['mutmut']['pytest_add_cli_args_test_selection']))")
test-engine: venv
	$(PY) -m pytest -q $(ENGINE_TESTS)

# Mutation testing of the engine (not part of CI): mutmut over the modules in pyproject's
# [tool.mutmut], then mutation/report.py writes mutants/summary.md. See DEVELOPERS.md.
mutation: venv
	$(PY) -m pip install -q -e ".[mutation]"
	rm -rf mutants
	nice $(VENV)/bin/mutmut run
	$(PY) mutation/report.py

clean:
	rm -rf $(VENV) runs .pytest_cache mutants
